"""`ledger export --format pdf`: the record as the HTML export holds it, on A4, in any script, with
London times; logged, anonymised and refused as every other format. On SQLite and on PostgreSQL.

Text is read back with pypdf (a test dependency only): the PDF stores its text as glyph numbers of
an embedded font subset, so looking for a name in the file's bytes would prove nothing."""

from __future__ import annotations

import io
import logging
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.helpers import templated
from tests.integration.helpers import (
    NOT_NAMES,
    as_asked_in_london,
    asked_moments,
    exactly,
    fragments_left,
    log,
    record_told_disclosure,
    register_joined_names,
)

REF = "WMP-000123"
GREEK_CYRILLIC = "Ζωή Ιβάνοβα"


@templated
def history(registered):
    """A timed disclosure, an entry in Greek and Cyrillic, a correction and a transfer."""
    record_told_disclosure(registered)
    registered.ok(
        "record",
        "entry",
        REF,
        "--summary",
        f"Neighbour {GREEK_CYRILLIC} reports visitors late at night",
        "--occurred-at",
        "2016-12-01T09:00",
        "--by",
        "4521",
    )
    registered.ok("correct", REF, "2", "--reason", "Words misheard", "--summary", "Feels isolated")
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-11-01")
    return registered


def export_pdf(cli, folder: Path, *args: str, name: str = "record.pdf") -> Path:
    out = folder / name
    cli.ok("export", REF, "--format", "pdf", "--out", str(out), *args)
    return out


def read_pdf(path: Path) -> tuple[bytes, PdfReader, str]:
    data = path.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return data, reader, "\n".join(page.extract_text() for page in reader.pages)


def test_a_pdf_export_is_a_pdf_holding_the_record(history, tmp_path):
    data, reader, text = read_pdf(export_pdf(history, tmp_path))
    digest = history.ok("verify", "--json").json()["digest"]

    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert f"Record of {REF}" in text
    # Who exported it, why, and the digest it can be checked against later.
    assert "Justification testing" in text and "By Ann Admin (1001, Insp)" in text
    assert digest["hash"] in text and f"position {digest['position']}" in text
    # The offender, the chronology with both clocks, the text in any script, the corrections.
    assert "John Doe" in text and "Birmingham" in text
    assert "Occurred 2016-10-17 14:30 BST" in text  # 13:30 UTC, British Summer Time
    assert "Occurred 2016-12-01 09:00 GMT" in text
    assert "Occurred 2016-07-04\n" in text  # a date alone stays a date
    assert GREEK_CYRILLIC in text
    assert "LATE" in text
    assert "Feels isolated" in text and "thoughts of <rape>" in text and "Words misheard" in text
    assert "Who knew each item" in text and "Responsible, not" in text
    assert "Pat Lowe" in text and "Probation Officer" in text
    assert "T13:30:00+00:00" not in text
    # Print furniture: numbered A4 pages.
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_the_pdf_metadata_says_what_it_is(history, tmp_path):
    _, reader, _ = read_pdf(export_pdf(history, tmp_path))
    meta = reader.metadata

    assert meta.title == f"Record of {REF}"
    assert meta.author == "1001"
    assert meta.creation_date is not None and meta.creation_date.year >= 2024
    digest = history.ok("verify", "--json").json()["digest"]
    assert digest["hash"] in meta.subject


def test_a_pdf_export_is_logged_as_one_disclosure(history, tmp_path):
    history.reason = "Coroner's request 2020/117"
    before = len(log(history))

    out = export_pdf(history, tmp_path, "--to", "HM Coroner")

    rows = log(history)[before:]
    assert [(r["command"], r["outcome"], r["offender"]) for r in rows] == [
        ("export", "disclosed", REF)
    ]
    assert rows[0]["details"]["format"] == "pdf"
    assert rows[0]["details"]["destination"] == str(out.resolve())
    assert rows[0]["details"]["recipients"] == ["HM Coroner"]
    assert rows[0]["reason"] == "Coroner's request 2020/117"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["record.pdf"]


def test_an_anonymised_pdf_names_no_one_in_its_text_or_metadata(history, tmp_path):
    data, reader, text = read_pdf(export_pdf(history, tmp_path, "--anonymise"))
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())

    for identifying in ("John", "Doe", "Pat Lowe", "Lowe", "Sam Reid", "4521", "7702", REF):
        # A staff id as a number of its own: "4521" may also be digits of the creation time.
        alone = re.compile(rf"(?<!\d){re.escape(identifying)}(?!\d)")
        assert not alone.search(text), identifying
        assert not alone.search(metadata), identifying
        if not identifying.isdigit():
            # A number can turn up in the file's own structure (offsets, its random /ID, the
            # digest): the text and the metadata above are where a staff id would show.
            assert identifying.encode() not in data, identifying
    assert "Name Subject" in text and "Born 1975\n" in text
    assert "Subject told Staff" in text
    assert "Record of Subject" in text and reader.metadata.title == "Record of Subject"
    assert "Anonymised yes" in text


def test_an_anonymised_pdf_replaces_joined_names_whole(cli, tmp_path):
    data, reader, text = read_pdf(export_pdf(register_joined_names(cli), tmp_path, "--anonymise"))
    metadata = " ".join(str(value) for value in (reader.metadata or {}).values())
    flat = " ".join(text.split())

    assert fragments_left(text) == [] and fragments_left(metadata) == []
    assert "Subject said Staff " in flat and "visited Subject's flat" in flat
    assert "Subject-" not in flat and "'Subject" not in flat
    assert NOT_NAMES in flat
    for name in (b"Jean-Luc", b"O'Neil", b"D'Arcy", b"Mary-Kate"):
        assert name not in data, name


def test_as_of_exports_what_the_ledger_held_then(history, tmp_path):
    entries = history.ok("timeline", REF, "--json").json()["entries"]
    before_correction = next(e["recorded_at"] for e in entries if e["entry"] == 3)

    _, _, text = read_pdf(export_pdf(history, tmp_path, "--as-of", before_correction))

    assert GREEK_CYRILLIC in text and "Words misheard" not in text
    assert "thoughts of <rape>" in text and "Feels isolated" not in text
    assert "As the ledger stood at" in text and "the time of export" not in text


def test_the_as_of_caption_names_the_exact_moment_asked_for(history, tmp_path):
    for moment in asked_moments(history):
        _, _, text = read_pdf(export_pdf(history, tmp_path, "--as-of", as_asked_in_london(moment)))

        assert f"As the ledger stood at {exactly(moment)}" in " ".join(text.split())


def test_characters_the_font_lacks_are_replaced_and_the_pdf_says_so(registered, tmp_path, caplog):
    registered.ok("record", "entry", REF, "--summary", "Alias 王小明 given at the door")
    caplog.set_level(logging.WARNING)

    _, _, text = read_pdf(export_pdf(registered, tmp_path))

    assert "Alias \ufffd\ufffd\ufffd given at the door" in text
    note = " ".join(text.split())
    assert "no glyph for 3 different character(s) in this record (CJK)" in note
    assert "U+738B, U+5C0F, U+660E" in note and "hold the text exactly" in note
    assert not [r for r in caplog.records if "missing" in r.getMessage()]


def test_a_record_with_nothing_the_font_lacks_has_no_such_note(history, tmp_path):
    _, _, text = read_pdf(export_pdf(history, tmp_path))

    assert "\ufffd" not in text and "has no glyph" not in text


# The layout is the renderer's, whatever the backend; test_long_text reads the longest values
# back whole from both.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_text_of_any_length_runs_on_across_pages(registered, tmp_path):
    long_text = " ".join(f"word{n}" for n in range(2000)) + " " + "x" * 300 + " THE-END"
    assert len(long_text) <= 20_000  # as long as free text may be
    registered.ok("record", "entry", REF, "--summary", long_text)
    registered.ok("transfer", REF, "--to", "7702", "--reason", long_text)

    _, reader, text = read_pdf(export_pdf(registered, tmp_path))

    assert len(reader.pages) >= 6
    assert text.count("THE-END") >= 3  # the entry, the transfer's reason, who knew the entry
    assert "word1999" in text


def test_a_refused_pdf_target_leaves_nothing_and_discloses_nothing(registered, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    fifo = folder / "r.pdf"
    os.mkfifo(fifo)
    before = len(log(registered))

    out = registered("export", REF, "--format", "pdf", "--out", str(fifo))

    assert out.exit_code == 2 and "not a regular file" in out.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["r.pdf"]
    assert [r["outcome"] for r in log(registered)[before:]] == ["refused"]


def test_a_pdf_that_cannot_be_made_leaves_nothing_and_discloses_nothing(
    registered, tmp_path, monkeypatch
):
    import cli.export_pdf

    def broken(view: object) -> bytes:
        raise RuntimeError("the PDF library failed")

    monkeypatch.setattr(cli.export_pdf, "render", broken)
    folder = tmp_path / "exports"
    folder.mkdir()
    before = len(log(registered))

    out = registered("export", REF, "--format", "pdf", "--out", str(folder / "r.pdf"))

    assert out.exit_code != 0 and "Traceback" not in out.stderr
    assert list(folder.iterdir()) == []
    assert [r["outcome"] for r in log(registered)[before:]] == ["refused"]


def test_the_html_export_shows_london_times_and_json_keeps_utc(history, tmp_path):
    page = (tmp_path / "r.html").resolve()
    history.ok("export", REF, "--format", "html", "--out", str(page))
    html = page.read_text(encoding="utf-8")
    doc = tmp_path / "r.json"
    history.ok("export", REF, "--format", "json", "--out", str(doc))
    json_text = doc.read_text(encoding="utf-8")

    assert "<td>2016-10-17 14:30 BST</td>" in html and "<td>2016-12-01 09:00 GMT</td>" in html
    assert "<td>2016-07-04</td>" in html
    assert "+00:00" not in html and "T13:30" not in html
    assert "GMT or BST" in html
    assert GREEK_CYRILLIC in html
    assert '"occurred_at": "2016-10-17T13:30:00+00:00"' in json_text


def test_export_help_offers_pdf(cli):
    out = cli("export", "--help", env={"COLUMNS": "200"})

    assert out.exit_code == 0
    assert "not built in" not in out.stdout
    assert "pdf" in out.stdout and "London" in out.stdout
