"""Aggregate ids are derived from human references, so the reference alone finds the stream."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every stream already stored.
NAMESPACE = UUID("6f1c2d9e-5b7a-4c3e-9a21-0d4e8b7f3a10")


def offender_id(ref: str) -> UUID:
    return uuid5(NAMESPACE, f"offender:{ref}")


def staff_id(staff_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"staff:{staff_ref}")


def normalise_ref(ref: str) -> str:
    """A reference to look up: compared exactly as typed, without surrounding space. What a new
    reference may be is checked at registration (`domain.text.check_new_reference`)."""
    from domain.errors import InvalidValueError

    text = ref.strip()
    if not text or any(c.isspace() for c in text) or "#" in text:
        raise InvalidValueError(
            f"{ref!r} is not a usable reference: give it as registered, e.g. WMP-000123"
        )
    return text
