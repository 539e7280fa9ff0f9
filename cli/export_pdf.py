"""The PDF form of an export: what the HTML form holds, laid out for print on A4.

Imported only for `ledger export --format pdf`, so that fpdf2 (and Pillow and fontTools beneath it)
never slows any other command. Text is set in DejaVu Sans, bundled with the package (see
`cli/fonts/LICENSE-DejaVu.txt`), which covers Latin, Greek, Cyrillic and many other scripts. A
character it has no glyph for (Chinese, Japanese or Korean, for instance) is printed as U+FFFD, the
replacement character, and a note on the first page says how many were replaced and which
characters they were: the JSON and HTML exports hold the text exactly.

Every record with free text (the chronology, ownership, who knew) is laid out as a list of blocks,
not as a table, so that text of any length wraps and runs on across pages. Each page repeats the
record's reference, the export time and the ledger digest, and is numbered "Page N of M".
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterator
from importlib import resources
from typing import TYPE_CHECKING, NamedTuple

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from ledger.document import (
    CUSTODY_COLUMNS,
    INTRODUCTION,
    KNOWING_NOTE,
    KNOWLEDGE_COLUMNS,
    OWNERSHIP_COLUMNS,
    STAFF_COLUMNS,
    TIME_NOTE,
    UNVERIFIED,
    Entry,
    ExportDocument,
    Knowledge,
    Readable,
    london,
)

if TYPE_CHECKING:
    from pathlib import Path

FAMILY = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
REPLACEMENT = "\ufffd"
CREATOR = "offender-timeline-ledger: ledger export --format pdf"

MARGIN = 15.0  # mm
LABEL_WIDTH = 38.0  # mm, the label column of a block
LINE = 4.6  # mm, a line of body text
BODY, SMALL, HEADING, TITLE = 9.5, 7.5, 12.5, 17.0  # pt
GREY, DARK, RED, SHADE = (90, 90, 90), (0, 0, 0), (170, 0, 0), (235, 235, 235)


def pdf_file(document: ExportDocument) -> bytes:
    """The export's document as a PDF file's bytes."""
    return render(document.readable())


def render(view: Readable) -> bytes:
    """The export as a PDF file's bytes."""
    with _fonts() as paths:
        pdf = _Document(view, paths)
        pdf.write_record()
        return bytes(pdf.output())


@contextlib.contextmanager
def _fonts() -> Iterator[dict[str, Path]]:
    """The bundled fonts as files on disk (they are, unless the package is run from a zip)."""
    folder = resources.files("cli").joinpath("fonts")
    with contextlib.ExitStack() as stack:
        yield {
            style: stack.enter_context(resources.as_file(folder.joinpath(name)))
            for style, name in FONT_FILES.items()
        }


class Field(NamedTuple):
    """A labelled value in a block: "S" in `style` strikes it through (an original, corrected)."""

    label: str
    value: str
    style: str = ""
    colour: tuple[int, int, int] = DARK
    alarm: str | None = None


class _Document(FPDF):
    def __init__(self, view: Readable, fonts: dict[str, Path]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.view = view
        for style, path in fonts.items():
            self.add_font(FAMILY, style, str(path))
        self._glyphs = {
            style: frozenset(self.fonts[f"{FAMILY.lower()}{style}"].cmap) for style in fonts
        }
        self.set_margins(MARGIN, MARGIN + 4, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.alias_nb_pages()
        self._metadata()

    def _metadata(self) -> None:
        """Title, author and dates from what the document shows: an anonymised export has
        already had its people replaced, so nothing here names them."""
        view = self.view
        self.set_title(view.title)
        self.set_author(view.generated_by)
        self.set_subject(f"Disclosure from the offender timeline ledger; ledger {view.digest}")
        self.set_creator(CREATOR)
        self.set_lang("en-GB")
        self.set_creation_date(view.generated_at)

    # ------------------------------------------------------------------------ text and glyphs

    def printable(self, text: str, style: str = "") -> str:
        """The text with tabs as spaces, line breaks as newlines, and every character the font
        has no glyph for as U+FFFD."""
        glyphs = self._glyphs[style]
        text = _plain(text)
        return "".join(
            c if c == "\n" or ord(c) in glyphs else REPLACEMENT for c in text
        )  # fmt: skip

    def missing(self) -> list[str]:
        """The characters in the record that the regular font cannot show, in order of first
        appearance (all text from the record is set in the regular font)."""
        glyphs = self._glyphs[""]
        seen: dict[str, None] = {}
        for text in _texts(self.view):
            for c in _plain(text):
                if c != "\n" and ord(c) not in glyphs:
                    seen.setdefault(c)
        return list(seen)

    def font(self, size: float, style: str = "", colour: tuple[int, int, int] = DARK) -> None:
        """`style`: "" or "B", and "S" to strike the text through."""
        self.set_font(FAMILY, style, size)
        self.set_text_color(*colour)

    def paragraph(
        self, text: str, size: float = BODY, style: str = "", colour: tuple[int, int, int] = DARK
    ) -> None:
        self.font(size, style, colour)
        self.multi_cell(
            0,
            size * 0.48,
            self.printable(text, style.replace("S", "")),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    # ------------------------------------------------------------------------ page furniture

    def header(self) -> None:
        view = self.view
        self.set_y(MARGIN - 6)
        self.font(SMALL, colour=GREY)
        self.cell(0, 4, self.printable(view.title), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Exported {london(view.generated_at.isoformat())}", align="R")
        self.set_draw_color(*GREY)
        self.line(self.l_margin, MARGIN - 1.5, self.w - self.r_margin, MARGIN - 1.5)
        self.set_xy(self.l_margin, MARGIN + 4)

    def footer(self) -> None:
        view = self.view
        self.set_y(-(MARGIN + 1))
        self.set_draw_color(*GREY)
        self.line(self.l_margin, self.get_y() - 1, self.w - self.r_margin, self.get_y() - 1)
        self.font(SMALL - 1, colour=GREY)
        state = "" if view.verified else f" {UNVERIFIED}"
        self.cell(0, 4, f"Ledger {view.digest}{state}", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # ------------------------------------------------------------------------ the record

    def write_record(self) -> None:
        view = self.view
        self.add_page()
        self.paragraph(view.title, TITLE, "B")
        self.ln(2)
        self.paragraph(f"{INTRODUCTION} {TIME_NOTE}")
        missing = self.missing()
        if missing:
            self.ln(1.5)
            self.paragraph(_missing_note(missing), style="B", colour=RED)
        self.section("Disclosure")
        self.key_values(view.disclosure, {} if view.verified else {"Ledger digest": UNVERIFIED})
        self.section("Offender")
        self.key_values(view.offender, {})
        self.section("Ownership")
        self.ownership()
        self.section("Chronology")
        if not view.chronology:
            self.paragraph("No entries.")
        for entry in view.chronology:
            self.chronology_entry(entry)
        self.section("Custody")
        if not view.custody:
            self.paragraph("No period in custody recorded.")
        for start, *rest in view.custody:
            fields = [
                Field(label, value)
                for label, value in zip(CUSTODY_COLUMNS[1:], rest, strict=True)
                if value
            ]
            self.block(f"In custody from {start}", fields)
        self.section("Who knew each item, how and since when")
        self.paragraph(KNOWING_NOTE)
        if not view.knowledge:
            self.paragraph("No items.")
        for item in view.knowledge:
            self.knowledge_item(item)
        self.section("Staff in this record")
        self.staff()

    def section(self, title: str) -> None:
        self.ln(4)
        self.keep_room(3)
        self.paragraph(title, HEADING, "B")
        self.ln(1)

    def keep_room(self, lines: float) -> None:
        """A new page unless `lines` lines of body text fit on this one (a heading stays with
        what follows it)."""
        if self.get_y() + lines * LINE > self.page_break_trigger:
            self.add_page()

    def block(self, heading: str, fields: list[Field]) -> None:
        """A heading and its fields, started on a new page if they would fit on one page but
        not in what is left of this one; longer blocks run on across pages."""
        self.ln(1.5)
        needed = self.block_height(heading, fields)
        if needed > self.page_break_trigger - self.get_y():
            if needed <= self.page_break_trigger - self.t_margin:
                self.add_page()
            else:
                self.keep_room(4)
        self.font(BODY, "B")
        self.set_fill_color(*SHADE)
        self.multi_cell(
            0,
            LINE + 0.6,
            self.printable(heading, "B"),
            align="L",
            fill=True,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        for field in fields:
            self.field(field)

    def block_height(self, heading: str, fields: list[Field]) -> float:
        """How tall the block would be, in mm, measured without drawing it."""
        whole = self.w - self.l_margin - self.r_margin
        beside = whole - LABEL_WIDTH
        self.font(BODY, "B")
        height = self._height(whole, LINE + 0.6, self.printable(heading, "B"))
        for field in fields:
            self.font(BODY - 1)
            label = self._height(LABEL_WIDTH - 2, LINE, field.label)
            self.font(BODY, field.style)
            value = self._height(beside, LINE, self.printable(field.value, field.style.strip("S")))
            if field.alarm:
                self.font(BODY, "B")
                value += self._height(beside, LINE, field.alarm)
            height += max(label, value)
        return height

    def _height(self, width: float, line: float, text: str) -> float:
        lines = self.multi_cell(width, line, text, dry_run=True, output="LINES")
        return len(lines) * line

    def field(self, field: Field) -> None:
        """One labelled value: the label in a column of its own, the value wrapped beside it
        (and over as many pages as it needs)."""
        self.keep_room(2)
        self.font(BODY - 1, colour=GREY)
        top = self.get_y()
        self.set_x(self.l_margin)
        self.multi_cell(
            LABEL_WIDTH - 2, LINE, field.label, align="L", new_x=XPos.RIGHT, new_y=YPos.NEXT
        )
        page, below_label = self.page, self.get_y()
        self.set_xy(self.l_margin + LABEL_WIDTH, top)
        self.font(BODY, field.style, field.colour)
        self.multi_cell(
            0,
            LINE,
            self.printable(field.value, field.style.strip("S")),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if field.alarm:
            self.set_x(self.l_margin + LABEL_WIDTH)
            self.font(BODY, "B", RED)
            self.multi_cell(0, LINE, field.alarm, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.page == page and self.get_y() < below_label:
            self.set_y(below_label)

    def key_values(self, rows: list[tuple[str, str]], alarms: dict[str, str]) -> None:
        for label, value in rows:
            self.field(Field(label, value, alarm=alarms.get(label)))

    def ownership(self) -> None:
        """A block per period, headed "agency: owner"; the other columns as its fields."""
        if not self.view.ownership:
            self.paragraph("No owners.")
        for agency, owner, *rest in self.view.ownership:
            fields = [
                Field(label, value)
                for label, value in zip(OWNERSHIP_COLUMNS[2:], rest, strict=True)
                if value or label != "Reason"
            ]
            self.block(f"{agency}: {owner}", fields)

    def chronology_entry(self, entry: Entry) -> None:
        fields = [
            Field("Occurred", entry.occurred),
            Field("Recorded", entry.recorded, alarm="LATE" if entry.late else None),
            Field("By", f"{entry.by} ({entry.agency_rank})"),
            Field("Summary", entry.summary),
            *(Field("Fact", fact) for fact in entry.facts),
        ]
        if entry.typed_by is not None:
            fields.append(Field("Typed in by", entry.typed_by))
        if entry.position:
            fields.append(Field("Ledger position", entry.position))
        if entry.original_summary is not None:
            fields.append(Field("Originally", entry.original_summary, "S", RED))
        if entry.original_occurred is not None:
            fields.append(Field("Originally occurred", entry.original_occurred, "S", RED))
        fields.extend(Field("Correction", correction) for correction in entry.corrections)
        self.block(f"#{entry.entry}  {entry.type}", fields)

    def knowledge_item(self, item: Knowledge) -> None:
        summary, agencies, staff, responsible = KNOWLEDGE_COLUMNS[2:]
        fields = [
            Field(summary, item.summary),
            Field(agencies, "\n".join(item.agencies) or "none"),
            Field(staff, "\n".join(item.staff) or "none"),
            Field(responsible, "\n".join(item.responsible) or "none"),
        ]
        self.block(f"#{item.entry}  {item.type}", fields)

    def staff(self) -> None:
        if not self.view.staff:
            self.paragraph("No staff.")
            return
        self.font(BODY)
        self.set_draw_color(*GREY)
        with self.table(
            col_widths=(25, 70, 35, 50),
            text_align="LEFT",
            line_height=LINE,
            repeat_headings=1,
            headings_style=FontFace(family=FAMILY, emphasis="BOLD", fill_color=SHADE),
        ) as table:
            heading = table.row()
            for column in STAFF_COLUMNS:
                heading.cell(column)
            for member in self.view.staff:
                row = table.row()
                for cell in member:
                    row.cell(self.printable(cell))


def _plain(text: str) -> str:
    """Tabs as four spaces and every line break as a newline, which is how a PDF line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(
        "\n" if c in "\v\f\x1c\x1d\x1e\x85\u2028\u2029" else c for c in text
    )  # fmt: skip


def _texts(view: Readable) -> Iterator[str]:
    """Every piece of text from the record that the PDF shows."""
    yield view.ref
    yield view.generated_by
    for pair in (*view.disclosure, *view.offender):
        yield from pair
    for row in (*view.ownership, *view.staff, *view.custody):
        yield from row
    yield KNOWING_NOTE
    for entry in view.chronology:
        yield from (entry.entry, entry.occurred, entry.recorded, entry.by, entry.agency_rank)
        yield from (entry.type, entry.summary, *entry.corrections, *entry.facts)
        yield from (t for t in (entry.original_summary, entry.original_occurred) if t)
    for item in view.knowledge:
        yield from (item.entry, item.type, item.summary, *item.agencies, *item.staff)
        yield from item.responsible


def _missing_note(missing: list[str]) -> str:
    shown = ", ".join(f"U+{ord(c):04X}" for c in missing[:20])
    more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
    scripts = sorted({_script(c) for c in missing})
    return (
        f"This PDF's font has no glyph for {len(missing)} different character(s) in this record "
        f"({', '.join(scripts)}): each is printed as {REPLACEMENT}. They are {shown}{more}. The "
        "JSON and HTML exports of this record hold the text exactly."
    )


def _script(character: str) -> str:
    """A rough name for the kind of character, from its Unicode name: "CJK", "HANGUL", ..."""
    name = unicodedata.name(character, "")
    if not name:
        return "unnamed"
    return "CJK" if name.startswith("CJK") else name.split()[0]
