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
from typing import TYPE_CHECKING, Any, NamedTuple

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from ledger.document import (
    CUSTODY_COLUMNS,
    INTRODUCTION,
    KNOWLEDGE_COLUMNS,
    OWNERSHIP_COLUMNS,
    STAFF_COLUMNS,
    TIME_NOTE,
    UNVERIFIED,
    WARNINGS_NOTE,
    Entry,
    ExportDocument,
    Knowledge,
    Readable,
    Warning,
    london,
)
from projections.labels import KNOWING_NOTE

if TYPE_CHECKING:
    from pathlib import Path

    from cli.chart import Chart

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
    """The export's document as a PDF file's bytes, opening with the timeline chart."""
    from cli.chart import layout

    return render(document.readable(), layout(document))


def render(view: Readable, chart: Chart | None = None) -> bytes:
    """The export as a PDF file's bytes."""
    with _fonts() as paths:
        pdf = _Document(view, paths)
        pdf.write_record(chart)
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

    def write_record(self, chart: Chart | None = None) -> None:
        view = self.view
        self.add_page()
        self.paragraph(view.title, TITLE, "B")
        self.ln(2)
        self.paragraph(f"{INTRODUCTION} {TIME_NOTE}")
        missing = self.missing()
        if missing:
            self.ln(1.5)
            self.paragraph(_missing_note(missing), style="B", colour=RED)
        if chart is not None:
            self.section("Timeline", 40)
            self.paragraph(chart.description, SMALL, colour=GREY)
            self.ln(1)
            self.draw_chart(chart)
        self.section("Disclosure", 2 * LINE)
        self.key_values(view.disclosure, {} if view.verified else {"Ledger digest": UNVERIFIED})
        self.section("Offender", 2 * LINE)
        self.key_values(view.offender, {})
        self.section("Ownership", self.first_block(self.ownership_blocks()))
        self.ownership()
        chronology = [self.chronology_block(entry) for entry in view.chronology]
        self.section("Chronology", self.first_block(chronology))
        if not view.chronology:
            self.paragraph("No entries.")
        for heading, fields in chronology:
            self.block(heading, fields)
        custody = [
            (
                f"In custody from {start}",
                [
                    Field(label, value)
                    for label, value in zip(CUSTODY_COLUMNS[1:], rest, strict=True)
                    if value
                ],
            )
            for start, *rest in view.custody
        ]
        self.section("Custody", self.first_block(custody))
        if not view.custody:
            self.paragraph("No period in custody recorded.")
        for heading, fields in custody:
            self.block(heading, fields)
        warnings = [self.warning_block(w) for w in view.warnings]
        self.section("Missed warnings", 3 * LINE + self.first_block(warnings))
        self.paragraph(WARNINGS_NOTE)
        if not view.warnings:
            self.paragraph("No alert fell due on this record.")
        for heading, fields in warnings:
            self.block(heading, fields)
        knowledge = [self.knowledge_block(item) for item in view.knowledge]
        self.section("Who knew each item, how and since when", self.first_block(knowledge))
        self.paragraph(KNOWING_NOTE)
        if not view.knowledge:
            self.paragraph("No items.")
        for heading, fields in knowledge:
            self.block(heading, fields)
        self.section("Staff in this record", 3 * LINE)
        self.staff()

    def section(self, title: str, following: float = 3 * LINE) -> None:
        """A heading, on a new page unless `following` mm of what comes after it fit beneath
        it: no heading is left alone at the foot of a page."""
        self.ln(4)
        heading = HEADING * 0.48 + 1
        if self.get_y() + heading + following > self.page_break_trigger:
            self.add_page()
        self.paragraph(title, HEADING, "B")
        self.ln(1)

    def first_block(self, blocks: list[tuple[str, list[Field]]]) -> float:
        """How much of a section's first block its heading keeps with it: all of it where it
        fits on a page (a block that fits is never split), else its first lines."""
        if not blocks:
            return 2 * LINE
        needed = 1.5 + self.block_height(*blocks[0])
        whole_page = self.page_break_trigger - self.t_margin - 12
        return needed if needed <= whole_page else 4 * LINE

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

    def ownership_blocks(self) -> list[tuple[str, list[Field]]]:
        """A block per period, headed "agency: owner"; the other columns as its fields."""
        return [
            (
                f"{agency}: {owner}",
                [
                    Field(label, value)
                    for label, value in zip(OWNERSHIP_COLUMNS[2:], rest, strict=True)
                    if value or label != "Reason"
                ],
            )
            for agency, owner, *rest in self.view.ownership
        ]

    def ownership(self) -> None:
        if not self.view.ownership:
            self.paragraph("No owners.")
        for heading, fields in self.ownership_blocks():
            self.block(heading, fields)

    def chronology_block(self, entry: Entry) -> tuple[str, list[Field]]:
        fields = [
            Field("Occurred", entry.occurred),
            Field("Recorded", entry.recorded, alarm="LATE" if entry.late else None),
            Field("By", f"{entry.by}, {entry.agency}" if entry.agency else entry.by),
            Field("Summary", entry.summary),
            *(Field("Fact", fact) for fact in entry.facts),
        ]
        if entry.risk_relevant:
            fields.insert(0, Field("Risk", "risk-relevant", "B", RED))
        if entry.typed_by is not None:
            fields.append(Field("Typed in by", entry.typed_by))
        if entry.position:
            fields.append(Field("Ledger position", entry.position))
        if entry.original_summary is not None:
            fields.append(Field("Originally", entry.original_summary, "S", RED))
        if entry.original_occurred is not None:
            fields.append(Field("Originally occurred", entry.original_occurred, "S", RED))
        fields.extend(Field("Correction", correction) for correction in entry.corrections)
        fields.append(Field("Type", entry.type, colour=GREY))
        return f"#{entry.entry}  {entry.label or entry.type}", fields

    def warning_block(self, warning: Warning) -> tuple[str, list[Field]]:
        fields = [
            Field("Concerns", warning.entry or "the case as a whole"),
            Field("Fell due", warning.due),
            Field(
                "Met",
                warning.met,
                "B" if warning.never_met else "",
                RED if warning.never_met else DARK,
            ),
        ]
        if warning.met_by:
            fields.append(Field("Met by", warning.met_by))
        fields += [
            Field("Detail", warning.detail),
            Field("Rule", f"{warning.code}, {warning.state}", colour=GREY),
        ]
        return warning.heading, fields

    def knowledge_block(self, item: Knowledge) -> tuple[str, list[Field]]:
        summary, agencies, staff, responsible = KNOWLEDGE_COLUMNS[2:]
        fields = [
            Field(summary, item.summary),
            Field(agencies, "\n".join(item.agencies) or "none"),
            Field(staff, "\n".join(item.staff) or "none"),
            Field(responsible, "\n".join(item.responsible) or "none"),
        ]
        return f"#{item.entry}  {item.type}", fields

    # ------------------------------------------------------------------------ the chart

    def draw_chart(self, chart: Chart) -> None:
        """The timeline chart as the HTML shows it (`cli.chart.layout`), drawn with fpdf2's own
        lines and shapes across the page's width, shrunk if need be to fit what is left of it."""
        from cli.chart import LEFT, RIGHT

        width = self.w - self.l_margin - self.r_margin
        room = self.page_break_trigger - self.get_y() - 2
        if chart.height * width / chart.width > room and room < 120:
            self.add_page()
            room = self.page_break_trigger - self.get_y() - 2
        k = min(width / chart.width, room / chart.height)
        left, top = self.l_margin + (width - chart.width * k) / 2, self.get_y()

        def at(x: float, y: float) -> tuple[float, float]:
            return left + x * k, top + y * k

        def colour(text: str) -> tuple[int, int, int]:
            text = text.lstrip("#")
            return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)

        def words(x: float, y: float, text: str, size: float, bold: bool = False,
                  anchor: str = "start", fill: str = "#111111") -> None:  # fmt: skip
            self.set_font(FAMILY, "B" if bold else "", size * k * 72 / 25.4)
            self.set_text_color(*colour(fill))
            text = self.printable(text, "B" if bold else "")
            px, py = at(x, y)
            if anchor == "middle":
                px -= self.get_string_width(text) / 2
            self.text(px, py, text)

        def shape(name: str, x: float, y: float, r: float, points: Any, fill: str,
                  stroke: str | None, line: float) -> None:  # fmt: skip
            self.set_fill_color(*colour(fill))
            if stroke:
                self.set_draw_color(*colour(stroke))
                self.set_line_width(line * k)
            style = "DF" if stroke else "F"
            if name in ("circle", "ring"):
                cx, cy = at(x, y)
                self.circle(cx, cy, r * k, style=style)
            else:
                self.polygon([at(px, py) for px, py in points], style=style)

        with self.local_context():
            self.set_line_width(0.2)
            for index, lane in enumerate(chart.lanes):
                self.set_fill_color(*colour(("#FAFAFA", "#F1F1F1")[index % 2]))
                self.rect(*at(0, lane.y), chart.width * k, lane.height * k, style="F")
                words(6, lane.y + lane.height / 2 + 4, lane.agency, 11, bold=True)
            if chart.warnings is not None:
                band = chart.warnings
                self.set_fill_color(*colour("#FFF6F4"))
                self.rect(*at(0, band.y), chart.width * k, band.height * k, style="F")
                words(6, band.y + 12, "missed warnings", 11, bold=True)
            self.set_draw_color(*colour("#D0D0D0"))
            self.set_line_width(0.6 * k)
            for tick in chart.ticks:
                self.line(*at(tick.x, chart.grid_top), *at(tick.x, chart.axis_y + 4))
                if tick.label:
                    words(tick.x, chart.axis_y + 15, tick.label, 9.5, anchor="middle")
            self.set_fill_color(255, 255, 255)
            for x in chart.breaks:
                self.rect(*at(x - 7, chart.grid_top), 14 * k,
                          (chart.axis_y - chart.grid_top) * k, style="F")  # fmt: skip
            self.set_draw_color(*colour("#555555"))
            self.set_line_width(0.8 * k)
            self.line(*at(LEFT, chart.axis_y), *at(chart.width - RIGHT, chart.axis_y))
            for x in chart.breaks:
                self.rect(*at(x - 7, chart.axis_y - 2), 14 * k, 4 * k, style="F")
                self.set_line_width(1 * k)
                for dx in (-6, 1):
                    self.line(*at(x + dx, chart.axis_y + 5), *at(x + dx + 5, chart.axis_y - 5))
            for bar in chart.bars:
                self.set_fill_color(*colour(bar.fill))
                self.set_draw_color(*colour("#6B8FB3"))
                self.set_line_width(0.7 * k)
                self.rect(*at(bar.x, bar.y), bar.width * k, bar.height * k, style="DF")
                if bar.text:
                    words(bar.x + 3, bar.y + bar.height - 4.5, bar.text, 9.5, fill="#112233")
            for link in chart.links:
                self.set_draw_color(*colour(link.colour))
                self.set_line_width(1.1 * k)
                self.polyline([at(x, y) for x, y in link.points])
            with self.local_context():
                self.set_dash_pattern(dash=2 * k, gap=2 * k)
                self.set_draw_color(*colour("#333333"))
                self.set_line_width(0.8 * k)
                for x1, x2, y in chart.late_lines:
                    self.line(*at(x1, y), *at(x2, y))
            for mark in chart.marks:
                if mark.late:
                    with self.local_context():
                        self.set_dash_pattern(dash=2 * k, gap=1.6 * k)
                        self.set_draw_color(*colour("#222222"))
                        self.set_line_width(0.9 * k)
                        self.circle(*at(mark.x, mark.y), (mark.size + 3.2) * k, style="D")
                if mark.shape == "ring":
                    shape("ring", mark.x, mark.y, mark.size - 1, (), "#FFFFFF", mark.fill, 2)
                else:
                    stroke, line = ("#000000", 1.8) if mark.risk else ("#FFFFFF", 0.8)
                    shape(
                        mark.shape, mark.x, mark.y, mark.size, mark.points, mark.fill, stroke, line
                    )
            for flag in chart.flags:
                self.set_draw_color(*colour(flag.colour))
                self.set_fill_color(*colour(flag.colour))
                self.set_line_width(2.6 * k)
                self.line(*at(flag.x1, flag.y), *at(flag.x2, flag.y))
                self.polygon([at(flag.x1, flag.y - 4.5), at(flag.x1 + 7, flag.y - 2.2),
                              at(flag.x1, flag.y)], style="F")  # fmt: skip
                if flag.never_met:
                    self.polygon([at(flag.x2 - 5, flag.y - 3.5), at(flag.x2, flag.y),
                                  at(flag.x2 - 5, flag.y + 3.5)], style="F")  # fmt: skip
                else:
                    self.set_line_width(1.6 * k)
                    self.line(*at(flag.x2, flag.y - 3.5), *at(flag.x2, flag.y + 3.5))
            for item in chart.legend:
                if item.style == "risk":
                    shape("circle", item.x, item.y, 6.4, (), "#FFFFFF", "#000000", 1.8)
                elif item.style == "late":
                    with self.local_context():
                        self.set_dash_pattern(dash=2 * k, gap=1.6 * k)
                        self.set_draw_color(*colour("#222222"))
                        self.set_line_width(0.9 * k)
                        self.circle(*at(item.x, item.y), 7.8 * k, style="D")
                elif item.style == "line":
                    self.set_draw_color(*colour(item.fill))
                    self.set_line_width((2.6 if item.shape == "flag" else 1.4) * k)
                    self.line(*at(item.x - 7, item.y), *at(item.x + 8, item.y))
                    if item.shape == "flag":
                        self.set_fill_color(*colour(item.fill))
                        self.polygon([at(item.x - 7, item.y - 4.5), at(item.x, item.y - 2.2),
                                      at(item.x - 7, item.y)], style="F")  # fmt: skip
                elif item.shape == "ring":
                    shape("ring", item.x, item.y, 3.6, (), "#FFFFFF", item.fill, 2)
                else:
                    shape(item.shape, item.x, item.y, 4.6, item.points, item.fill, None, 0)
                words(item.x + 12, item.y + 3.5, item.text, 9.5)
        self.set_xy(self.l_margin, top + chart.height * k + 2)

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
