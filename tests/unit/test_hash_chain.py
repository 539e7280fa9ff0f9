"""The hash chain's checker on hand-made rows: no database, every kind of problem."""

from __future__ import annotations

import hashlib
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.errors import ConfigurationError
from ledger.integrity import GENESIS, link_hash, links_for
from ledger.verification import Digest, check

STREAM = uuid4()


def ledger(count: int) -> tuple[list[tuple], list[tuple]]:
    """`count` events of one stream at positions 1..count, and their links."""
    stored = [
        StoredEvent(STREAM, version, f"domain.offender:Offender.E{version}", f"s{version}".encode())
        for version in range(1, count + 1)
    ]
    positions = list(range(1, count + 1))
    links = [
        (p, o.bytes, v, t, h, link) for p, o, v, t, h, link in links_for(GENESIS, positions, stored)
    ]
    events = [
        (p, s.originator_id.bytes, s.originator_version, s.topic, s.state)
        for p, s in zip(positions, stored, strict=True)
    ]
    return events, links


def kinds(events, links, against=None) -> list[tuple[str, int]]:
    report = check(iter(events), iter(links), against)
    return [(p.kind, p.position) for p in report.problems]


def test_an_intact_chain_has_no_problems_and_its_head_is_the_newest_link():
    events, links = ledger(5)
    report = check(iter(events), iter(links))

    assert report.ok and report.events == 5
    assert report.head == Digest(5, links[-1][5].hex())


def test_links_depend_on_every_field_and_on_the_link_before():
    base = (GENESIS, 1, STREAM.bytes, 1, "t", hashlib.sha256(b"s").digest())
    variants = [
        (bytes([1]) * 32, *base[1:]),
        (base[0], 2, *base[2:]),
        (*base[:2], uuid4().bytes, *base[3:]),
        (*base[:3], 2, *base[4:]),
        (*base[:4], "u", base[5]),
        (*base[:5], hashlib.sha256(b"z").digest()),
    ]
    assert len({link_hash(*v) for v in [base, *variants]}) == 7


def test_each_alteration_is_named_at_its_position():
    events, links = ledger(5)
    changed = list(events)
    changed[1] = (*changed[1][:4], b"edited")
    assert kinds(changed, links) == [("payload_changed", 2)]

    changed = list(events)
    changed[2] = (*changed[2][:3], "domain.offender:Offender.Other", changed[2][4])
    assert kinds(changed, links) == [("event_changed", 3)]

    assert kinds(events[:3] + events[4:], links) == [("event_missing", 4)]
    assert kinds([*events, (6, STREAM.bytes, 6, "t", b"x")], links) == [("event_unchained", 6)]
    assert kinds(events[:3] + events[4:], links[:3] + links[4:]) == [("chain_broken", 5)]


def test_a_digest_catches_truncation_and_a_rewrite():
    events, links = ledger(5)
    kept = Digest(5, links[-1][5].hex())

    assert kinds(events[:4], links[:4], kept) == [("digest_truncated", 5)]
    assert kinds(events, links, Digest(5, "00" * 32)) == [("digest_mismatch", 5)]
    assert kinds(events, links, Digest(3, links[2][5].hex())) == []


def test_a_digest_at_position_0_holds_the_genesis_and_nothing_else():
    """Position 0 is the empty ledger, whose digest `verify` gives as the genesis (all zeros):
    every ledger extends that, and no ledger extends another hash there."""
    events, links = ledger(3)
    assert check(iter([]), iter([])).head == Digest(0, GENESIS.hex())
    assert kinds(events, links, Digest(0, GENESIS.hex())) == []
    assert kinds([], [], Digest(0, GENESIS.hex())) == []
    assert kinds(events, links, Digest(0, "11" * 32)) == [("digest_mismatch", 0)]
    assert kinds([], [], Digest(0, "11" * 32)) == [("digest_mismatch", 0)]


def test_a_digest_file_round_trips_and_a_bad_one_is_a_usage_error(tmp_path):
    path = tmp_path / "digest.json"
    Digest(7, "ab" * 32).write(path)
    assert Digest.read(path) == Digest(7, "ab" * 32)

    path.write_text('{"position": 7, "hash": "not hex"}')
    with pytest.raises(ConfigurationError):
        Digest.read(path)
    with pytest.raises(ConfigurationError):
        Digest.read(tmp_path / "missing.json")
