"""The installed command writes a PDF with the fonts bundled in the package, and loads the PDF
library only for that: `ledger --help` and every other command start without it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import InProcessShell, Shell, imported_modules

PDF_LIBRARIES = ("fpdf", "PIL", "fontTools", "defusedxml")


def test_help_loads_no_pdf_library(tmp_path: Path):
    shell = Shell(tmp_path, "sqlite:///ledger.db")

    for args in (("--help",), ("export", "--help")):
        modules = imported_modules(shell, *args)
        assert modules.isdisjoint(PDF_LIBRARIES), (args, sorted(modules & set(PDF_LIBRARIES)))


def test_the_installed_command_writes_a_pdf_with_its_bundled_font(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    made = InProcessShell(tmp_path, url)  # the ledger is not what is looked at here
    made.ok("init")
    made.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    made.env["LEDGER_ACTOR"] = "1001"
    made.ok(
        "offender", "register", "WMP-000123", "--name", "Ζωή Ιβάνοβα", "--born", "1975-03-02",
        "--category", "1",
    )  # fmt: skip
    shell = Shell(tmp_path, url)
    shell.env["LEDGER_ACTOR"] = "1001"
    json_modules = imported_modules(
        shell, "export", "WMP-000123", "--format", "json", "--out", "r.json"
    )
    assert json_modules.isdisjoint(PDF_LIBRARIES), sorted(json_modules & set(PDF_LIBRARIES))

    done = shell.ok("export", "WMP-000123", "--format", "pdf", "--out", "r.pdf", "--json")

    assert done.json()["format"] == "pdf"
    data = (tmp_path / "r.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"DejaVuSans" in data  # the bundled font, embedded (a subset of it)
    assert not done.stderr.strip()
