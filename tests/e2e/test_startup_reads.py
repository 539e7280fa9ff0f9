"""Reading starts quickly: a read whose read models are up to date imports neither pydantic, nor
SQLAlchemy's ORM, nor the projections."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import Shell

REF = "WMP-000123"
READS = (
    ("show", REF),
    ("timeline", REF),
    ("ownership", REF),
    ("who-knew", REF),
    ("alerts", "--offender", REF),
)


def imported_module_names(shell: Shell, *args: str) -> set[str]:
    """Every module the installed command imports, by its full name (`python -X importtime`)."""
    script = Path(shell.command)
    python = script.read_text().splitlines()[0].removeprefix("#!")
    done = subprocess.run(
        [python, "-X", "importtime", str(script), *args],
        cwd=shell.folder,
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.MULTILINE)
    assert names, "python -X importtime printed nothing"
    return set(names)


def test_a_read_with_nothing_to_apply_imports_neither_pydantic_nor_the_orm_nor_the_projections(
    tmp_path: Path,
):
    shell = Shell(tmp_path, "sqlite:///ledger.db")
    shell.ok("init")
    shell.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    shell.env.update(LEDGER_ACTOR="1001", LEDGER_REASON="start-up check")
    shell.ok("offender", "register", REF, "--name", "J", "--born", "1975-03-02", "--category", "1")
    shell.ok("record", "entry", REF, "--summary", "Seen")
    shell.ok("show", REF)  # the read models catch up once
    for read in READS:
        modules = imported_module_names(shell, *read)
        assert "sqlalchemy" in modules
        heavy = {m for m in modules if m.split(".")[0] == "pydantic" or m == "sqlalchemy.orm"}
        assert not heavy, (read, sorted(heavy))
        # Up to date: no projection is built (the alerts' own read uses their queries).
        assert "projections.builtin" not in modules, read
