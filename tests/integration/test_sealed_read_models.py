"""No plaintext beside the cipher: with LEDGER_CIPHER_KEY set, the read models and the access log
hold every name, summary, fact, alert text, justification, recipient, path and refusal sealed, so
that neither the SQLite file's bytes nor a pg_dump of the schema shows any of them; the same
scenario without a key shows every one (so the search would find plaintext). The views print the
same with and without the key; a key that does not match how the read models are stored is
refused in one line and writes nothing; a rebuild with the key seals what it writes.
Every scenario runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.settings import parse_database_url
from tests.helpers import LedgerCLI, enrol, postgres_base_url, register_offender
from tests.integration.helpers import REF, count_events, dump_read_models

OFFENDER_NAME = "Quentin Vellacott-Marsh"
STAFF_NAME = "Orla Fennimore-Quist"
SUMMARY = "Seen near Wexcombe primary school gates"
RATIONALE = "Kestrelmoor hostel place withdrawn"
DISAGREEMENT = "Quillfeather risk view not shared"
RECIPIENT = "Coroner Ambrose Pelling"
EXPORT_NAME = "pack-vornholt.json"
JUSTIFICATION = "Halcyonbridge serious case review"
# A refused read's text (the offender's ref, a plain key, is in it too).
REFUSAL = "no offender with reference"


class KeyedCLI(LedgerCLI):
    """The CLI with LEDGER_CIPHER_KEY set to `key` (none: unset), unless a call overrides it."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url)
        self.key = key
        self.reason = JUSTIFICATION

    def __call__(self, *args: str, actor: str | None = None, env: dict[str, str] | None = None):
        return super().__call__(
            *args, actor=actor, env={"LEDGER_CIPHER_KEY": self.key, **(env or {})}
        )


def new_key(url: str) -> str:
    return LedgerCLI(url).ok("keygen").stdout.strip()


def build(cli: KeyedCLI, out: Path) -> dict[str, Any]:
    """A ledger holding a distinctive string of every kind, read by every view, exported and
    refused once; returns what the views printed and the alert detail the rules wrote."""
    enrol(cli, "7702")
    cli.ok(
        "staff",
        "add",
        "6601",
        "--name",
        STAFF_NAME,
        "--agency",
        "police",
        "--rank",
        "DI",
        "--since",
        "2010-01-01",
    )
    register_offender(cli, "--area", "north", name=OFFENDER_NAME)
    cli.ok("record", "entry", REF, "--summary", SUMMARY, "--occurred-at", "2016-07-10")
    cli.ok(
        "record",
        "decision",
        REF,
        "--decision",
        "Move to approved premises",
        "--rationale",
        RATIONALE,
        "--about",
        "2",
        "--occurred-at",
        "2016-07-11",
    )
    cli.ok(
        "record",
        "disagreement",
        REF,
        "--with",
        "7702",
        "--summary",
        DISAGREEMENT,
        "--by",
        "6601",
        "--occurred-at",
        "2016-07-12",
    )
    views = {
        "show": cli.ok("show", REF, "--json").json(),
        "timeline": cli.ok("timeline", REF, "--json").json(),
        "who-knew": cli.ok("who-knew", REF, "--json").json(),
        "ownership": cli.ok("ownership", REF, "--json").json(),
        "alerts": cli.ok("alerts", "--offender", REF, "--history", "--json").json(),
        "standing": cli.ok("alerts", "--json").json(),
        "summary": cli.ok("alerts", "--summary", "--json").json(),
        "staff": cli.ok("staff", "list", "--json").json(),
        "offenders": cli.ok("offender", "list", "--json").json(),
    }
    assert views["standing"]["alerts"]  # the standing list reads the stored documents
    path = out / EXPORT_NAME
    cli.ok("export", REF, "--format", "json", "--out", str(path), "--to", RECIPIENT)
    views["export"] = json.loads(path.read_text("utf-8"))
    refused = cli("show", "WMP-999999")
    assert refused.exit_code == 1 and REFUSAL in refused.stderr
    views["audit"] = cli.ok("audit", "--json").json()
    return views


def stored_text(url: str) -> bytes:
    """What a raw read of the database shows: every byte of the SQLite file and the files SQLite
    keeps beside it, or a pg_dump of the ledger's PostgreSQL schema."""
    db = parse_database_url(url)
    if db.is_sqlite:
        folder = Path(db.path).parent
        return b"".join(p.read_bytes() for p in sorted(folder.glob(Path(db.path).name + "*")))
    base = parse_database_url(postgres_base_url())
    command = shutil.which("pg_dump")
    if command is None:
        pytest.skip("no pg_dump on this machine")
    done = subprocess.run(
        [command, "--port", str(base.port), "--dbname", base.dbname]
        + (["--host", base.host] if base.host else [])
        + (["--username", base.user] if base.user else [])
        + ["--schema", db.schema, "--inserts", "--no-comments"],
        capture_output=True,
        env=dict(os.environ, PGPASSWORD=base.password, PGCONNECT_TIMEOUT="5"),
        timeout=60,
        check=True,
    )
    # psql's meta-commands (\restrict) carry a random token each time.
    return b"\n".join(line for line in done.stdout.splitlines() if not line.startswith(b"\\"))


def found(url: str, strings: list[str]) -> list[str]:
    raw = stored_text(url)
    return [s for s in strings if s.encode("utf-8") in raw]


def distinctive(views: dict[str, Any]) -> list[str]:
    alert = views["alerts"]["alerts"][0]
    assert alert["detail"]
    return [
        OFFENDER_NAME,
        STAFF_NAME,
        SUMMARY,
        RATIONALE,
        DISAGREEMENT,
        alert["detail"],
        RECIPIENT,
        EXPORT_NAME,
        REFUSAL,
        JUSTIFICATION,
    ]


_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
# What differs between two ledgers built the same way: when, where, and the chain's bytes.
_VARYING = {"digest", "generated_at", "path", "out", "file", "login", "link", "sha256", "hash"}


def comparable(value: Any, out: Path) -> Any:
    if isinstance(value, dict):
        return {k: comparable(v, out) for k, v in value.items() if k not in _VARYING}
    if isinstance(value, list):
        return [comparable(v, out) for v in value]
    if isinstance(value, str):
        return _INSTANT.sub("<instant>", value.replace(str(out), "<out>"))
    return value


@pytest.fixture
def plain_and_sealed(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> tuple[tuple[str, dict[str, Any], Path], tuple[str, dict[str, Any], Path, str]]:
    """The scenario built twice: on a ledger without a key, and on one with."""
    plain_url = database_url
    if parse_database_url(database_url).is_sqlite:
        sealed_url = f"sqlite:///{tmp_path / 'sealed' / 'ledger.db'}"
        (tmp_path / "sealed").mkdir()
    else:
        # A second schema of its own, dropped at the end as the fixture's own is.
        from tests.helpers import drop_schema, schema_url

        schema = f"{parse_database_url(database_url).schema}_sealed"
        drop_schema(schema)
        request.addfinalizer(lambda: drop_schema(schema))
        sealed_url = schema_url(schema)
    key = new_key(plain_url)
    outputs = []
    for url, cipher, folder in ((plain_url, "", "plain-out"), (sealed_url, key, "sealed-out")):
        out = tmp_path / folder
        out.mkdir()
        outputs.append((url, build(KeyedCLI(url, cipher), out), out))
    (p_url, p_views, p_out), (s_url, s_views, s_out) = outputs
    return (p_url, p_views, p_out), (s_url, s_views, s_out, key)


def test_no_distinctive_string_is_stored_in_plaintext_with_a_key(plain_and_sealed) -> None:
    (plain_url, plain_views, _), (sealed_url, sealed_views, _, _) = plain_and_sealed
    strings = distinctive(plain_views)
    assert distinctive(sealed_views) == strings
    # Without a key, a raw read finds every one: the search would catch plaintext.
    assert found(plain_url, strings) == strings
    assert found(sealed_url, strings) == []


def test_the_views_print_the_same_with_and_without_the_key(plain_and_sealed) -> None:
    (_, plain_views, plain_out), (_, sealed_views, sealed_out, _) = plain_and_sealed
    for view in plain_views:
        assert comparable(sealed_views[view], sealed_out) == comparable(
            plain_views[view], plain_out
        ), view


@pytest.mark.filterwarnings("error::RuntimeWarning")  # a child that failed is read around
def test_a_rebuild_with_the_key_seals_what_it_writes_and_equals_the_incremental_build(
    plain_and_sealed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import reading, runner
    from projections.alerts import settling as alerts
    from projections.db import make_engine

    _, (url, views, out, key) = plain_and_sealed
    db = parse_database_url(url)
    engine = make_engine(db.sqlalchemy_url(), db.schema, key)
    try:
        built = dump_read_models(engine)
        # Pages read and prepared by child processes, alerts evaluated by worker processes:
        # each must seal with the key as this process does.
        monkeypatch.setattr(runner, "PREPARE_IN_CHILD_EVENTS", 0)
        monkeypatch.setattr(reading, "PART", 3)
        monkeypatch.setattr(alerts, "PARALLEL_ROWS", 0)
        monkeypatch.setattr(alerts, "WORKER_CHUNK", 1)
        cli = KeyedCLI(url, key)
        cli.actor = "1001"
        cli.ok("projections", "rebuild")
        rebuilt = dump_read_models(engine)
    finally:
        engine.dispose()
    built.pop("access_log"), rebuilt.pop("access_log")
    assert rebuilt == built
    assert found(url, distinctive(views)) == []
    assert comparable(cli.ok("show", REF, "--json").json(), out) == comparable(views["show"], out)


def stored_counts(url: str) -> tuple[int, int, Any]:
    """Events, access-log rows and the seal row, read without any key."""
    db = parse_database_url(url)
    sql = ("SELECT count(*) FROM access_log", "SELECT sealed, check_value FROM ledger_seal")
    if db.is_sqlite:
        with sqlite3.connect(db.path) as conn:
            rows = [conn.execute(q).fetchall() for q in sql]
    else:
        from tests.helpers import owner_connection

        with owner_connection() as conn:
            conn.execute(f'SET search_path TO "{db.schema}"')
            rows = [conn.execute(q).fetchall() for q in sql]
    return count_events(LedgerCLI(url)), rows[0][0][0], rows[1]


def refused_without_writing(cli: KeyedCLI, *args: str, key: str, says: str) -> None:
    before = stored_counts(cli.url)
    out = cli(*args, env={"LEDGER_CIPHER_KEY": key})
    assert out.exit_code != 0 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert says in lines[0] and "nothing was done" in lines[0]
    assert stored_counts(cli.url) == before


def test_a_key_that_does_not_match_the_ledger_is_refused_and_writes_nothing(
    database_url: str,
) -> None:
    key, other = new_key(database_url), new_key(database_url)
    sealed = KeyedCLI(database_url, key)
    enrol(sealed, "7702")
    sealed.ok("staff", "list")
    # No key on a sealed ledger, and a wrong key.
    for command in (("show", REF), ("staff", "list"), ("audit",)):
        refused_without_writing(sealed, *command, key="", says="set LEDGER_CIPHER_KEY")
        refused_without_writing(sealed, *command, key=other, says="LEDGER_CIPHER_KEY")


def test_a_key_on_a_plain_ledger_is_refused_and_writes_nothing(database_url: str) -> None:
    key = new_key(database_url)
    plain = KeyedCLI(database_url, "")
    enrol(plain, "7702")
    plain.ok("staff", "list")
    for command in (("staff", "list"), ("audit",), ("show", REF)):
        refused_without_writing(plain, *command, key=key, says="LEDGER_CIPHER_KEY is set")


def test_the_seal_itself_refuses_where_no_event_can_try_the_key(database_url: str) -> None:
    """Read models and an access log but no event yet: the seal row alone tells a plain ledger,
    a sealed one and a wrong key apart."""
    key, other = new_key(database_url), new_key(database_url)
    sealed = KeyedCLI(database_url, key)
    sealed.actor = "1001"
    sealed.ok("init")
    sealed.ok("audit")  # an access-log row, sealed
    refused_without_writing(sealed, "audit", key=other, says="not the one this ledger")
    refused_without_writing(sealed, "audit", key="", says="are sealed")
    refused_without_writing(
        sealed,
        "staff",
        "add",
        "1001",
        "--name",
        STAFF_NAME,
        "--agency",
        "police",
        "--rank",
        "DI",
        "--admin",
        key="",
        says="are sealed",
    )


def test_a_key_on_an_initialised_plain_ledger_with_an_access_log_is_refused(
    database_url: str,
) -> None:
    key = new_key(database_url)
    plain = KeyedCLI(database_url, "")
    plain.actor = "1001"
    plain.ok("init")
    plain.ok("audit")  # an access-log row, in plaintext
    enrolment = ("staff", "add", "1001", "--name", STAFF_NAME, "--agency", "police", "--rank", "DI")
    for command in (("audit",), enrolment, ("init",)):
        refused_without_writing(plain, *command, key=key, says="written in plaintext")


def test_a_new_ledger_takes_the_key_of_its_first_use(database_url: str) -> None:
    """Initialised without a key and nothing stored yet: the first use with a key seals it."""
    key = new_key(database_url)
    cli = KeyedCLI(database_url, "")
    cli.ok("init")
    cli.key = key
    enrol(cli, "7702")
    assert found(database_url, ["Pat Lowe", "Ann Admin"]) == []
    assert cli.ok("staff", "list", "--json").json()["staff"][0]["name"] == "Ann Admin"


def test_init_with_the_key_seals_a_ledger_whose_events_were_encrypted_before_sealing(
    database_url: str,
) -> None:
    """A ledger of an earlier release: events encrypted, read models and access log in
    plaintext, no seal. `ledger init` with its key seals them in place; other commands are
    refused until then."""
    from sqlalchemy import text

    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings
    from projections.access_log import REFUSED, record_access
    from projections.catalogue import all_projections
    from projections.db import make_engine
    from projections.runner import rebuild

    key = new_key(database_url)
    cli = KeyedCLI(database_url, key)
    enrol(cli, "7702")
    register_offender(cli, name=OFFENDER_NAME)
    cli.ok("record", "entry", REF, "--summary", SUMMARY, "--occurred-at", "2016-07-10")
    # As the earlier release left it: read models and access log written without sealing.
    db = parse_database_url(database_url)
    plain = make_engine(db.sqlalchemy_url(), db.schema)
    ledger = open_ledger(Settings(database=db, cipher_key=key))
    try:
        rebuild(plain, ledger, all_projections())
        with plain.begin() as conn:
            record_access(
                conn,
                actor="1001",
                command="export",
                outcome=REFUSED,
                offender=REF,
                reason=JUSTIFICATION,
                details={"recipients": [RECIPIENT]},
                error=REFUSAL,
            )
            conn.execute(text("DROP TABLE ledger_seal"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0500'"))
    finally:
        plain.dispose()
        ledger.close()
    strings = [OFFENDER_NAME, "Pat Lowe", SUMMARY, JUSTIFICATION]
    strings += [RECIPIENT, REFUSAL]
    assert found(database_url, strings) == strings
    before = stored_text(database_url)
    for command in (("show", REF), ("audit",)):
        out = cli(*command)
        assert out.exit_code == 1 and out.stderr.count("\n") == 1
        assert "upgrade it with 'ledger init'" in out.stderr
    assert stored_text(database_url) == before

    sealed = cli.ok("init")

    assert "sealed" in sealed.stdout
    assert found(database_url, strings) == []
    assert cli.ok("show", REF, "--json").json()["name"] == OFFENDER_NAME
    old = [e for e in cli.ok("audit", "--json").json()["entries"] if e["command"] == "export"]
    assert old[0]["reason"] == JUSTIFICATION and old[0]["error"] == REFUSAL
    assert old[0]["details"] == {"recipients": [RECIPIENT]}
