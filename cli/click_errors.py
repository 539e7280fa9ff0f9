"""Click's exceptions, wherever this Typer keeps them: Typer 0.26 and later carry their own copy
of Click (`typer._click`); earlier ones use Click itself."""

from __future__ import annotations

try:
    from typer._click.exceptions import (
        BadParameter,
        ClickException,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )
except ImportError:  # pragma: no cover - Typer before 0.26
    from click.exceptions import (  # type: ignore[no-redef]
        BadParameter,
        ClickException,
        NoArgsIsHelpError,
        NoSuchOption,
        UsageError,
    )

__all__ = ["BadParameter", "ClickException", "NoArgsIsHelpError", "NoSuchOption", "UsageError"]
