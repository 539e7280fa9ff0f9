"""The read service (`ledger.reading`) called directly, as any program other than the command
line would: each view comes back as plain data, each read leaves exactly one row in the access
log, and a refused read leaves one refused row and returns nothing. On SQLite and on PostgreSQL.

The ledger's state is built through the command line's fixtures for now.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.errors import UnknownOffenderError
from ledger import reading
from ledger.context import LedgerContext
from ledger.settings import Settings, parse_database_url
from tests.helpers import LedgerCLI

REF = "WMP-000123"
REASON = "MAPPA serious case review 2020/01"


@pytest.fixture
def history(registered: LedgerCLI) -> LedgerCLI:
    """WMP-000123 with a disclosure to probation (7702) that police (4521) acknowledged, and an
    entry by police that nobody else has read."""
    registered.ok(
        "record",
        "disclosure",
        REF,
        "--summary",
        "Says he feels isolated",
        "--by",
        "7702",
        "--occurred-at",
        "2016-10-17T14:30",
    )
    registered.ok("acknowledge", REF, "2", "--by", "4521", "--occurred-at", "2016-10-18")
    registered.ok(
        "record", "entry", REF, "--summary", "New address", "--by", "4521", "--occurred-at",
        "2016-10-20",
    )  # fmt: skip
    return registered


@pytest.fixture
def context(history: LedgerCLI) -> Iterator[LedgerContext]:
    """The probation officer 7702 reading the ledger, with a justification."""
    settings = Settings(database=parse_database_url(history.url), actor="7702", reason=REASON)
    opened = LedgerContext(settings)
    yield opened
    opened.close()


def access_log(context: LedgerContext) -> list[dict[str, Any]]:
    """Every row of the access log, oldest first."""
    from projections.access_log import access_entries

    with context.engine().connect() as conn:
        return access_entries(conn)


def rows_written(context: LedgerContext, before: int) -> list[tuple[str, str, str | None]]:
    """The command, outcome and offender of each row written since there were `before`."""
    return [(r["command"], r["outcome"], r["offender"]) for r in access_log(context)[before:]]


def test_show_returns_the_current_picture_and_logs_one_consultation(context):
    before = len(access_log(context))

    doc = reading.show(context, REF)

    assert (doc["ref"], doc["name"], doc["category"]) == (REF, "John Doe", 1)
    assert doc["owners"] == {"police": "4521"}
    assert doc["entries"] == 4
    assert rows_written(context, before) == [("show", "consulted", REF)]
    row = access_log(context)[-1]
    assert (row["actor"], row["reason"]) == ("7702", REASON)


def test_timeline_returns_the_entries_in_the_order_they_happened(context):
    before = len(access_log(context))

    doc = reading.timeline(context, REF)

    assert doc["ref"] == REF
    assert [e["entry"] for e in doc["entries"]] == [1, 2, 3, 4]
    assert doc["entries"][1]["type"] == "DisclosureRecorded"
    assert doc["entries"][3]["summary"] == "New address"
    assert rows_written(context, before) == [("timeline", "consulted", REF)]


def test_timeline_keeps_only_the_days_asked_for(context):
    doc = reading.timeline(
        context,
        REF,
        date_from=datetime(2016, 10, 19, tzinfo=UTC).date(),
        agency="police",
    )

    assert [e["summary"] for e in doc["entries"]] == ["New address"]


def test_who_knew_says_which_agency_knew_the_disclosure_and_since_when(context):
    before = len(access_log(context))

    found = reading.who_knew(context, REF, entry=2)

    (item,) = found.document["items"]
    assert item["entry"] == 2
    assert set(item["agencies"]) == {"police", "probation"}
    how = {k["staff"]: k["how"] for k in item["staff"]}
    assert (how["7702"], how["4521"]) == ("recorded", "acknowledged")
    assert found.names["7702"] == "Pat Lowe"
    assert rows_written(context, before) == [("who-knew", "consulted", REF)]


def test_the_export_document_holds_the_whole_record_in_one_model(context):
    before = len(access_log(context))

    document = reading.export_document(context, REF, recipients=["HM Coroner, Birmingham"])

    header = document.data["export"]
    assert (header["ref"], header["generated_by"], header["reason"]) == (REF, "7702", REASON)
    assert header["generated_by_name"] == "Pat Lowe (7702, Probation Officer)"
    assert header["ledger"]["verified"] is True
    assert document.entries == 4
    assert document.digest == header["ledger"]["digest"]
    view = document.readable()
    assert view.title == f"Record of {REF}"
    assert [e.entry for e in view.chronology] == ["1", "2", "3", "4"]
    assert ("Recipients", "HM Coroner, Birmingham") in view.disclosure
    assert ("By", "Pat Lowe (7702, Probation Officer)") in view.disclosure
    assert rows_written(context, before) == [("export", "consulted", REF)]


def test_an_export_to_a_file_is_one_disclosure_logged_before_the_file_appears(context, tmp_path):
    before = len(access_log(context))
    seen: list[bool] = []
    target = tmp_path / "record.txt"

    def render(document: Any) -> str:
        seen.append(target.exists())
        return f"{document.entries} entries\n"

    done = reading.export(
        context, REF, out=target, fmt="text", render=render, recipients=["HM Coroner"]
    )

    assert seen == [False]
    assert Path(done.destination).read_text() == "4 entries\n"
    assert done.verification.ok
    assert rows_written(context, before) == [("export", "disclosed", REF)]
    details = access_log(context)[-1]["details"]
    assert details["recipients"] == ["HM Coroner"]
    assert details["destination"] == str(done.destination)


def test_a_read_of_an_unknown_offender_is_logged_once_as_refused(context):
    before = len(access_log(context))

    with pytest.raises(UnknownOffenderError):
        reading.show(context, "WMP-999999")

    assert rows_written(context, before) == [("show", "refused", "WMP-999999")]
    row = access_log(context)[-1]
    assert row["actor"] == "7702" and "WMP-999999" in row["error"]


def test_a_refused_export_writes_no_file_and_discloses_nothing(context, tmp_path):
    before = len(access_log(context))

    with pytest.raises(UnknownOffenderError):
        reading.export(
            context, "WMP-999999", out=tmp_path / "r.json", fmt="json", render=lambda d: ""
        )

    assert not (tmp_path / "r.json").exists()
    assert not any(p.name.startswith(".r.json") for p in tmp_path.iterdir())
    assert rows_written(context, before) == [("export", "refused", "WMP-999999")]


def test_a_read_without_a_justification_is_refused_before_anything_is_read(context):
    from ledger.errors import MissingReasonError

    unjustified = LedgerContext(Settings(database=context.settings.database, actor="7702"))
    before = len(access_log(context))
    try:
        with pytest.raises(MissingReasonError):
            reading.timeline(unjustified, REF)
    finally:
        unjustified.close()

    assert rows_written(context, before) == [("timeline", "refused", REF)]


def test_a_read_with_nothing_to_apply_builds_no_projection_and_one_with_something_applies_it(
    context, history, monkeypatch
):
    from sqlalchemy import text

    reading.show(context, REF)  # brings every read model up to date

    def not_needed(self: LedgerContext) -> list[Any]:
        raise AssertionError("the read models were up to date: nothing to build")

    with monkeypatch.context() as patched:
        patched.setattr(LedgerContext, "projections", not_needed)
        assert reading.show(context, REF)["entries"] == 4

    # A new event is applied by the next read, once.
    history.ok("record", "entry", REF, "--summary", "Seen again", "--by", "4521")
    assert reading.show(context, REF)["entries"] == 5
    assert [e["summary"] for e in reading.timeline(context, REF)["entries"]].count(
        "Seen again"
    ) == 1

    # A deferred index a rebuild left missing is made again by the next read.
    from projections.runner import _present_indexes

    wanted = ["ix_entries_offender_type", "ix_offenders_area"]
    with context.engine().begin() as conn:
        conn.execute(text("DROP INDEX ix_entries_offender_type"))
        assert _present_indexes(conn, wanted) == {"ix_offenders_area"}
    assert reading.show(context, REF)["entries"] == 5
    with context.engine().connect() as conn:
        assert _present_indexes(conn, wanted) == set(wanted)
