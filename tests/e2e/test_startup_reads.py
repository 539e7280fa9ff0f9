"""Reading starts quickly: a read whose read models are up to date imports neither pydantic, nor
SQLAlchemy's ORM, nor the projections, nor the alert rules. The installed command, run as a user
would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import LedgerCLI

REF = "WMP-000123"
READS = (
    ("show", REF),
    ("timeline", REF),
    ("ownership", REF),
    ("who-knew", REF),
    ("alerts", "--offender", REF),
)


def ledger_script() -> Path:
    beside = Path(sys.executable).with_name("ledger")
    found = str(beside) if beside.exists() else shutil.which("ledger")
    if found is None:
        pytest.fail("the 'ledger' command is not installed; run: pip install -e '.[test]'")
    return Path(found)


def run(folder: Path, env: dict[str, str], *args: str, importtime: bool = False) -> str:
    """Runs the installed command; returns its standard error."""
    script = ledger_script()
    python = script.read_text().splitlines()[0].removeprefix("#!")
    flags = ["-X", "importtime"] if importtime else []
    done = subprocess.run(
        [python, *flags, str(script), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def imported_module_names(folder: Path, env: dict[str, str], *args: str) -> set[str]:
    """Every module the command imports, by its full name (`python -X importtime`)."""
    report = run(folder, env, *args, importtime=True)
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", report, re.MULTILINE)
    assert names, "python -X importtime printed nothing"
    return set(names)


def test_a_read_with_nothing_to_apply_imports_neither_pydantic_nor_the_orm_nor_the_projections(
    tmp_path: Path,
):
    # The ledger is made in this process: only the reads' own start-up is looked at.
    made = LedgerCLI(f"sqlite:///{tmp_path}/ledger.db")
    made.ok("init")
    made.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    made.actor = "1001"
    made.ok("offender", "register", REF, "--name", "J", "--born", "1975-03-02", "--category", "1")
    made.ok("record", "entry", REF, "--summary", "Seen")
    made.ok("show", REF)  # the read models catch up once
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL="sqlite:///ledger.db", LEDGER_REASON="start-up check")
    env["LEDGER_ACTOR"] = "1001"
    for read in READS:
        modules = imported_module_names(tmp_path, env, *read)
        assert "sqlalchemy" in modules
        heavy = {m for m in modules if m.split(".")[0] == "pydantic" or m == "sqlalchemy.orm"}
        assert not heavy, (read, sorted(heavy))
        # Up to date: no projection is built (the alerts' own read uses their queries), and
        # with nothing pending the alert rules are not even imported.
        assert "projections.builtin" not in modules, read
        assert "projections.alerts.rules" not in modules, read
