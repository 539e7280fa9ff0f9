"""Reading starts quickly: a read whose read models are up to date imports neither pydantic, nor
SQLAlchemy's ORM, nor the projections, nor the alert rules. The installed command, run as a user
would."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import REF, imported_module_names, in_process, registered_in_process

READS = (
    ("show", REF),
    ("timeline", REF),
    ("ownership", REF),
    ("who-knew", REF),
    ("alerts", "--offender", REF),
)


def test_a_read_with_nothing_to_apply_imports_neither_pydantic_nor_the_orm_nor_the_projections(
    tmp_path: Path,
):
    shell = registered_in_process(tmp_path)  # only the reads' own start-up is looked at
    made = in_process(shell)
    made.ok("record", "entry", REF, "--summary", "Seen")
    made.ok("show", REF)  # the read models catch up once
    for read in READS:
        modules = imported_module_names(shell, *read)
        assert "sqlalchemy" in modules
        heavy = {m for m in modules if m.split(".")[0] == "pydantic" or m == "sqlalchemy.orm"}
        assert not heavy, (read, sorted(heavy))
        # Up to date: no projection is built (the alerts' own read uses their queries), and
        # with nothing pending the alert rules are not even imported.
        assert "projections.builtin" not in modules, read
        assert "projections.alerts.rules" not in modules, read
