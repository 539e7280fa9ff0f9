"""The installed command writes a PDF with the fonts bundled in the package, and loads the PDF
library only for that: `ledger --help` and every other command start without it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import Shell, imported_modules, registered_in_process

PDF_LIBRARIES = ("fpdf", "PIL", "fontTools", "defusedxml")


def test_help_loads_no_pdf_library(tmp_path: Path):
    shell = Shell(tmp_path, "sqlite:///ledger.db")

    for args in (("--help",), ("export", "--help")):
        modules = imported_modules(shell, *args)
        assert modules.isdisjoint(PDF_LIBRARIES), (args, sorted(modules & set(PDF_LIBRARIES)))


def test_the_installed_command_writes_a_pdf_with_its_bundled_font(tmp_path: Path):
    shell = registered_in_process(tmp_path, name="Ζωή Ιβάνοβα")
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
