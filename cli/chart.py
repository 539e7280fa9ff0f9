"""The review pack's timeline chart, laid out once for the HTML and the PDF to draw alike.

One lane per agency, holding its ownership periods as bars labelled with the owner's name and its
staff's entries as marks at the time each occurred: the kind of entry by shape as well as colour,
risk-relevant entries larger with a black outline, entries recorded late inside a dashed ring.
Shares and acknowledgements are linked by curves to the entries they concern. Below the lanes, each
alert that fell due is a flag from when it fell due to when it was met, or to the chart's end.

`layout` places everything in chart units (`WIDTH` across); `cli/templates/chart.svg.j2` draws it
as inline SVG with a text alternative on every mark, and `cli.export_pdf` draws the same shapes
with fpdf2. Plain Python, no plotting library: see the README's export section for why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.frozen import frozen
from ledger.document import (
    entry_labels,
    london,
    owner_ranks,
    person,
    rule_words,
    staff_names,
)

if TYPE_CHECKING:
    from ledger.document import ExportDocument

WIDTH = 800.0
LEFT, RIGHT, TOP = 92.0, 14.0, 6.0
FONT = 11.0  # chart units; a character is about 0.6 of it wide in DejaVu Sans
SMALL = 9.5
BAR_TOP, BAR_HEIGHT = 5.0, 16.0
ROW, MAX_ROWS = 15.0, 4
FLAG_ROW, MAX_FLAG_ROWS = 9.0, 12
MARK, RISK_MARK = 4.6, 6.4
AGENCIES = ("police", "probation", "prison", "health", "social-care", "other")

# Each kind of entry (`projections.labels.KINDS`): its shape and colour (the Okabe-Ito palette,
# which colour-blind readers tell apart), so that shape alone also says what it is.
STYLES: dict[str, tuple[str, str]] = {
    "Registration": ("square", "#555555"),
    "Release on licence": ("square", "#999999"),
    "Case transfer": ("bar", "#555555"),
    "Correction": ("ring", "#777777"),
    "Disclosure": ("circle", "#D55E00"),
    "Entry": ("triangle", "#0072B2"),
    "Concern": ("triangle-down", "#CC79A7"),
    "Visit": ("square", "#009E73"),
    "Risk assessment": ("diamond", "#E69F00"),
    "Risk review": ("diamond", "#56B4E9"),
    "Management decision": ("hexagon", "#0072B2"),
    "Recall decision": ("hexagon", "#D55E00"),
    "Escalation": ("chevron", "#CC79A7"),
    "Disagreement": ("cross", "#D55E00"),
    "MAPPA referral": ("pentagon", "#E69F00"),
    "MAPPA meeting": ("pentagon", "#009E73"),
    "Acknowledgement": ("plus", "#444444"),
    "Information shared": ("arrow", "#56B4E9"),
}
OTHER_STYLE = ("circle", "#777777")
NEVER_MET, MET_LATE, NOT_DUE = "#C00000", "#E69F00", "#999999"
SHARE, ACKNOWLEDGE = "#2F8FC7", "#777777"


@frozen
class Lane:
    agency: str
    y: float
    height: float


@frozen
class Tick:
    x: float
    label: str  # empty where it would overlap the one before


@frozen
class Bar:
    agency: str
    x: float
    y: float
    width: float
    height: float
    fill: str
    text: str  # as much of the owner's name as fits
    title: str


@frozen
class Mark:
    entry: int
    agency: str
    kind: str
    x: float
    y: float
    size: float
    shape: str
    fill: str
    risk: bool
    late: bool
    text: str  # the text alternative: "#N label, when, agency, ...: summary"
    points: tuple[tuple[float, float], ...] = ()  # the outline, for every shape but a circle

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@frozen
class Link:
    kind: str  # "shared" or "acknowledged"
    colour: str
    points: tuple[tuple[float, float], ...]  # a curve as short straight pieces
    agencies: tuple[str, str]

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@frozen
class Flag:
    x1: float
    x2: float
    y: float
    colour: str
    never_met: bool
    text: str


@frozen
class LegendItem:
    x: float
    y: float
    text: str
    shape: str
    fill: str
    points: tuple[tuple[float, float], ...] = ()
    style: str = ""  # "risk", "late", "line" or "" for a kind's mark

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


@dataclass
class Chart:
    """Everything the chart shows, placed in chart units (`width` by `height`)."""

    title: str
    width: float
    height: float = 0.0
    start: str = ""
    end: str = ""
    lanes: list[Lane] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    grid_top: float = 0.0
    axis_y: float = 0.0
    bars: list[Bar] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    late_lines: list[tuple[float, float, float]] = field(default_factory=list)  # x1, x2, y
    warnings: Lane | None = None
    flags: list[Flag] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    breaks: list[float] = field(default_factory=list)  # where the axis skips a long empty time

    @property
    def agencies(self) -> list[str]:
        return [lane.agency for lane in self.lanes]

    @property
    def description(self) -> str:
        entries = "1 entry" if len(self.marks) == 1 else f"{len(self.marks)} entries"
        never = sum(f.never_met for f in self.flags)
        if not self.flags:
            warnings = "no warning that fell due"
        elif len(self.flags) == 1:
            warnings = "1 warning that fell due, " + ("never met" if never else "met")
        else:
            warnings = f"{len(self.flags)} warnings that fell due, {never} of them never met"
        return (
            f"Timeline of {entries} from {self.start} to {self.end}, one lane per agency "
            f"({', '.join(self.agencies) or 'none'}), and below them {warnings}. "
            "Each entry's mark is named by its number, as in the chronology."
        )


def text_width(text: str, size: float = FONT) -> float:
    """About how wide `text` is set in DejaVu Sans at `size`, in chart units."""
    return len(text) * size * 0.6


def layout(document: ExportDocument, width: float = WIDTH) -> Chart:
    """The chart of one export document."""
    data = document.data
    rows = data["timeline"]
    names, ranks, labels = staff_names(data), owner_ranks(data), entry_labels(data)
    alerts = data.get("alerts", [])
    chart = Chart(title=f"Timeline of {data['offender']['ref']}", width=width)

    moments = [_instant(r["occurred_at"]) for r in rows]
    moments += [_instant(p["from"]) for p in data["ownership"]]
    moments += [_instant(a["due_at"]) for a in alerts]
    moments += [_instant(a["satisfied_at"]) for a in alerts if a["satisfied_at"]]
    if not moments:
        moments = [_now()]
    scale = TimeScale(sorted(moments), LEFT, width - RIGHT)
    chart.start = london(min(moments).isoformat())[:10]
    chart.end = london(max(moments).isoformat())[:10]
    chart.breaks = scale.breaks
    x_of = scale.x

    present = {r["agency"] for r in rows} | {p["agency"] for p in data["ownership"]}
    agencies = [a for a in AGENCIES if a in present] + sorted(present - set(AGENCIES))

    # Each lane's marks, spread over rows so that marks close in time do not hide each other.
    placed: dict[int, tuple[str, float, int]] = {}
    lane_rows: dict[str, int] = {}
    for agency in agencies:
        ends: list[float] = []
        mine = sorted(
            (x_of(_instant(r["occurred_at"])), r["entry"]) for r in rows if r["agency"] == agency
        )
        for x, entry in mine:
            free = next((i for i, end in enumerate(ends) if end < x - 2 * RISK_MARK - 1), None)
            if free is None and len(ends) < MAX_ROWS:
                ends.append(x)
                free = len(ends) - 1
            elif free is None:
                free = min(range(len(ends)), key=ends.__getitem__)
            ends[free] = x
            placed[entry] = (agency, x, free)
        lane_rows[agency] = max(1, len(ends))

    y = TOP
    lane_y: dict[str, float] = {}
    for agency in agencies:
        height = BAR_TOP + BAR_HEIGHT + 8 + lane_rows[agency] * ROW + 4
        chart.lanes.append(Lane(agency, y, height))
        lane_y[agency] = y
        y += height
    chart.grid_top = TOP

    # Ownership: a bar per period, labelled with as much of the owner's name as fits.
    for index, period in enumerate(data["ownership"]):
        agency = period["agency"]
        x1 = x_of(_instant(period["from"]))
        x2 = x_of(_instant(period["to"])) if period["to"] else width - RIGHT
        owner = person(period["staff"], names, ranks.get((agency, period["staff"])))
        shown = _fitting(
            [owner, names.get(period["staff"], ""), str(period["staff"])], x2 - x1 - 6, SMALL
        )
        until = london(period["to"], "now")
        chart.bars.append(
            Bar(
                agency=agency,
                x=x1,
                y=lane_y[agency] + BAR_TOP,
                width=max(1.0, x2 - x1),
                height=BAR_HEIGHT,
                fill=("#DCE7F2", "#C3D6EA")[index % 2],
                text=shown,
                title=f"{agency} owner: {owner}, {london(period['from'])} to {until}",
            )
        )

    # Entries.
    by_entry: dict[int, Mark] = {}
    for row in rows:
        agency, x, row_index = placed[row["entry"]]
        kind = _kind(row["type"])
        shape, fill = STYLES.get(kind, OTHER_STYLE)
        risk = bool(row.get("risk_relevant"))
        size = RISK_MARK if risk else MARK
        my = lane_y[agency] + BAR_TOP + BAR_HEIGHT + 8 + row_index * ROW + ROW / 2
        said = [f"#{row['entry']} {labels.get(row['entry'], kind)}", london(row["occurred_at"])]
        said.append(f"by {person(row['by'], names, row['rank'])}, {agency}")
        if risk:
            said.append("risk-relevant")
        if row.get("late"):
            said.append(f"recorded late, {london(row['recorded_at'])}")
        summary = str(row.get("summary") or "")
        if len(summary) > 240:
            summary = summary[:239] + "…"
        mark = Mark(
            entry=row["entry"],
            agency=agency,
            kind=kind,
            x=x,
            y=my,
            size=size,
            shape=shape,
            fill=fill,
            risk=risk,
            late=bool(row.get("late")),
            text=", ".join(said) + (f": {summary}" if summary else ""),
            points=outline(shape, x, my, size),
        )
        chart.marks.append(mark)
        by_entry[row["entry"]] = mark
        if mark.late:
            recorded_at = _instant(row["recorded_at"])
            recorded = x_of(recorded_at)
            if scale.unbroken(_instant(row["occurred_at"]), recorded_at) and recorded > x + 10:
                chart.late_lines.append((x + size + 4, recorded, my))

    # Shares and acknowledgements, linked to the entries they concern.
    for row in rows:
        kind = _kind(row["type"])
        if kind not in ("Information shared", "Acknowledgement"):
            continue
        source = by_entry[row["entry"]]
        for concerned in (row.get("facts") or {}).get("entries") or ():
            target = by_entry.get(concerned)
            if target is None or target is source:
                continue
            shared = kind == "Information shared"
            chart.links.append(
                Link(
                    kind="shared" if shared else "acknowledged",
                    colour=SHARE if shared else ACKNOWLEDGE,
                    points=_curve((target.x, target.y), (source.x, source.y)),
                    agencies=(target.agency, source.agency),
                )
            )

    # Alerts, as flags from when each fell due to when it was met, or to the end.
    ends = []
    flags_top = y + 16
    for alert in alerts:
        x1 = x_of(_instant(alert["due_at"]))
        never = alert["satisfied_at"] is None
        x2 = width - RIGHT if never else x_of(_instant(alert["satisfied_at"]))
        free = next((i for i, end in enumerate(ends) if end < x1 - 8), None)
        if free is None and len(ends) < MAX_FLAG_ROWS:
            ends.append(x2)
            free = len(ends) - 1
        elif free is None:
            free = min(range(len(ends)), key=ends.__getitem__)
        ends[free] = max(ends[free], x2)
        if alert["state"] == "not yet due":
            colour = NOT_DUE
        else:
            colour = NEVER_MET if never else MET_LATE
        concerns = f" (#{alert['entry']})" if alert["entry"] is not None else ""
        met = (
            "never met"
            if never
            else f"met {london(alert['satisfied_at'])} by {alert.get('resolution') or ''}"
        )
        chart.flags.append(
            Flag(
                x1=x1,
                x2=max(x2, x1 + 2),
                y=flags_top + free * FLAG_ROW + FLAG_ROW / 2,
                colour=colour,
                never_met=never,
                text=f"{rule_words(alert['rule'])}{concerns}: fell due {london(alert['due_at'])}, "
                f"{met.strip()}",
            )
        )
    band = 16 + max(1, len(ends)) * FLAG_ROW + 4
    chart.warnings = Lane("missed warnings", y, band)
    y += band

    # The time axis.
    chart.axis_y = y + 2
    last_label = -1e9
    for moment, label in scale.ticks():
        x = x_of(moment)
        fits = x - text_width(label, SMALL) / 2 > last_label + 6
        chart.ticks.append(Tick(x, label if fits else ""))
        if fits:
            last_label = x + text_width(label, SMALL) / 2
    y += 22

    # The legend: each kind present, then what size, rings, curves and flags mean.
    items: list[tuple[str, str, str, str]] = []
    kinds = list(dict.fromkeys(m.kind for m in chart.marks))
    for kind in sorted(kinds, key=lambda k: list(STYLES).index(k) if k in STYLES else 99):
        shape, fill = STYLES.get(kind, OTHER_STYLE)
        items.append((kind, shape, fill, ""))
    items += [
        ("risk-relevant", "circle", "#FFFFFF", "risk"),
        ("recorded late", "circle", "#FFFFFF", "late"),
    ]
    if any(link.kind == "shared" for link in chart.links):
        items.append(("shared", "line", SHARE, "line"))
    if any(link.kind == "acknowledged" for link in chart.links):
        items.append(("acknowledged", "line", ACKNOWLEDGE, "line"))
    items += [("warning never met", "flag", NEVER_MET, "line")]
    items += [("warning met late", "flag", MET_LATE, "line")]
    lx, ly = LEFT, y + 4
    for text, shape, fill, style in items:
        room = 22 + text_width(text, SMALL) + 12
        if lx + room > width - RIGHT:
            lx, ly = LEFT, ly + 15
        cx, cy = lx + 8, ly
        points = () if style else outline(shape, cx, cy, MARK)
        chart.legend.append(LegendItem(cx, cy, text, shape, fill, points, style))
        lx += room
    chart.height = ly + 12
    return chart


class TimeScale:
    """Where a moment falls across the chart: linear in time, except that a long stretch in
    which nothing happened (a correction made years after the events, say) is cut out and
    shown as a break, so that it does not squeeze the rest into a corner."""

    GAP = 24.0  # chart units a break takes

    def __init__(self, moments: list[datetime], left: float, right: float) -> None:
        first, last = moments[0], moments[-1]
        total = last - first
        # Stretches of time with something in them, split where nothing happened for long.
        cut = max(timedelta(days=120), total * 0.25)
        stretches = [[first, first]]
        for moment in moments[1:]:
            if moment - stretches[-1][1] > cut:
                stretches.append([moment, moment])
            else:
                stretches[-1][1] = moment
        self.stretches: list[tuple[datetime, datetime]] = []
        for a, b in stretches:
            pad = max((b - a) * 0.03, timedelta(days=1))
            self.stretches.append((a - pad, b + pad))
        room = right - left - self.GAP * (len(self.stretches) - 1)
        seconds = [(b - a).total_seconds() for a, b in self.stretches]
        # Each stretch gets its share of the room, and never less than a tenth of it.
        shares = [max(s / sum(seconds), 0.1) for s in seconds]
        widths = [room * share / sum(shares) for share in shares]
        self.spans: list[tuple[float, float]] = []
        self.breaks: list[float] = []
        x = left
        for index, w in enumerate(widths):
            self.spans.append((x, x + w))
            x += w
            if index < len(widths) - 1:
                self.breaks.append(x + self.GAP / 2)
                x += self.GAP

    def _stretch(self, moment: datetime) -> int:
        for index, (_, b) in enumerate(self.stretches):
            if moment <= b:
                return index
        return len(self.stretches) - 1

    def x(self, moment: datetime) -> float:
        index = self._stretch(moment)
        (a, b), (x1, x2) = self.stretches[index], self.spans[index]
        if moment <= a:
            return x1
        return x1 + min(1.0, (moment - a) / (b - a)) * (x2 - x1)

    def unbroken(self, a: datetime, b: datetime) -> bool:
        """Whether no break lies between the two moments."""
        return self._stretch(a) == self._stretch(b)

    def ticks(self) -> list[tuple[datetime, str]]:
        """The axis's marks in each stretch; the first of each names its year."""
        found: list[tuple[datetime, str]] = []
        for a, b in self.stretches:
            marks = [(m, label) for m, label in _ticks(a, b) if a <= m <= b]
            if marks and not any(c.isdigit() and len(c) == 4 for c in marks[0][1].split()):
                moment = marks[0][0]
                marks[0] = (moment, f"{marks[0][1]} {moment.year}")
            found.extend(marks)
        return found


def outline(shape: str, x: float, y: float, r: float) -> tuple[tuple[float, float], ...]:
    """The corners of a mark of `shape` centred on (x, y), about `r` from its centre; none for
    a circle or a ring, which are drawn as circles."""

    def around(n: int, turn: float = -90.0, radius: float = r) -> tuple[tuple[float, float], ...]:
        return tuple(
            (
                x + radius * math.cos(math.radians(turn + 360 * i / n)),
                y + radius * math.sin(math.radians(turn + 360 * i / n)),
            )
            for i in range(n)
        )

    if shape in ("circle", "ring"):
        return ()
    if shape == "square":
        s = r * 0.85
        return ((x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s))
    if shape == "bar":
        return ((x - r * 0.35, y - r * 1.2), (x + r * 0.35, y - r * 1.2),
                (x + r * 0.35, y + r * 1.2), (x - r * 0.35, y + r * 1.2))  # fmt: skip
    if shape == "triangle":
        return around(3, radius=r * 1.15)
    if shape == "triangle-down":
        return around(3, 90.0, r * 1.15)
    if shape == "arrow":
        return around(3, 0.0, r * 1.15)
    if shape == "diamond":
        return around(4, radius=r * 1.15)
    if shape == "pentagon":
        return around(5, radius=r * 1.05)
    if shape == "hexagon":
        return around(6, radius=r * 1.05)
    if shape == "chevron":
        return ((x, y - r * 1.1), (x + r, y + r * 0.2), (x + r * 0.45, y + r * 0.2),
                (x + r * 0.45, y + r), (x - r * 0.45, y + r), (x - r * 0.45, y + r * 0.2),
                (x - r, y + r * 0.2))  # fmt: skip
    t = r * 0.38
    if shape == "plus":
        return ((x - t, y - r), (x + t, y - r), (x + t, y - t), (x + r, y - t), (x + r, y + t),
                (x + t, y + t), (x + t, y + r), (x - t, y + r), (x - t, y + t), (x - r, y + t),
                (x - r, y - t), (x - t, y - t))  # fmt: skip
    if shape == "cross":
        c = math.cos(math.radians(45))
        plus = outline("plus", 0.0, 0.0, r)
        return tuple((x + (px - py) * c, y + (px + py) * c) for px, py in plus)
    return around(8)


def _curve(a: tuple[float, float], b: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """A curve from `a` to `b`, bowed upwards, as twelve straight pieces."""
    (x1, y1), (x2, y2) = a, b
    lift = min(40.0, 10.0 + math.hypot(x2 - x1, y2 - y1) / 4)
    cx, cy = (x1 + x2) / 2, min(y1, y2) - lift
    pieces = 12
    return tuple(
        (
            (1 - t) ** 2 * x1 + 2 * (1 - t) * t * cx + t**2 * x2,
            (1 - t) ** 2 * y1 + 2 * (1 - t) * t * cy + t**2 * y2,
        )
        for t in (i / pieces for i in range(pieces + 1))
    )


def _fitting(options: list[str], room: float, size: float) -> str:
    """The first of `options` that fits in `room`, or nothing."""
    return next((o for o in options if o and text_width(o, size) <= room), "")


def _kind(type_name: str) -> str:
    from projections.labels import kind

    return kind(type_name)


def _instant(value: str) -> datetime:
    """A time from the document as an instant; a date alone as the start of its day in London."""
    from domain.clock import instant

    if len(value) == 10:
        return instant(date.fromisoformat(value))
    return datetime.fromisoformat(value)


def _now() -> datetime:
    from domain.clock import utc_now

    return utc_now()


def _ticks(t0: datetime, t1: datetime) -> list[tuple[datetime, str]]:
    """Where the axis is marked: each year, quarter, month or day in London, as the span allows."""
    from domain.clock import LONDON

    start, end = t0.astimezone(LONDON), t1.astimezone(LONDON)
    days = (end - start).days
    found: list[tuple[datetime, str]] = []
    if days > 365 * 4:
        for year in range(start.year, end.year + 2):
            found.append((datetime(year, 1, 1, tzinfo=LONDON), str(year)))
        return found
    step = 1 if days <= 500 else 3
    if days > 70:
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            if (month - 1) % step == 0:
                moment = datetime(year, month, 1, tzinfo=LONDON)
                label = (
                    moment.strftime("%b %Y") if month == 1 or not found else moment.strftime("%b")
                )
                found.append((moment, label))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found
    day = start.date()
    every = 1 if days <= 14 else 7
    while day <= end.date():
        if every == 1 or day.weekday() == 0:
            found.append(
                (datetime(day.year, day.month, day.day, tzinfo=LONDON), day.strftime("%d %b"))
            )
        day += timedelta(days=1)
    return found


def describe(chart: Chart) -> dict[str, Any]:
    """What the chart holds, in counts (for tests and the benchmark)."""
    return {
        "lanes": chart.agencies,
        "marks": len(chart.marks),
        "bars": len(chart.bars),
        "links": len(chart.links),
        "flags": len(chart.flags),
    }
