"""How the export's timeline chart could be drawn, measured: install size, import time and the time
to draw a record of 2,000 entries, for the hand-made SVG the ledger uses (`cli.chart` and a Jinja2
template), a Vega-Lite specification rendered by vl-convert-python, and matplotlib.

    python -m bench.chart_bench [--entries 2000]

A candidate that is not installed is reported as such (`pip install vl-convert-python matplotlib`
to measure them; neither is a dependency of the ledger).
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import io
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.document import ExportDocument

KINDS = ["DisclosureRecorded", "EntryRecorded", "VisitRecorded", "AssessmentRecorded",
         "ConcernRecorded", "EntriesAcknowledged", "EntriesShared", "DecisionRecorded"]  # fmt: skip
AGENCIES = ["police", "probation", "health"]
# What each candidate adds to an install of the ledger (fpdf2 already brings Pillow and fontTools).
DISTRIBUTIONS = {
    "hand-made SVG (Jinja2)": ["Jinja2", "MarkupSafe"],
    "vl-convert-python": ["vl-convert-python"],
    "matplotlib": [
        "matplotlib",
        "numpy",
        "contourpy",
        "cycler",
        "kiwisolver",
        "pyparsing",
        "python-dateutil",
        "six",
    ],
}
IMPORTS = {
    "hand-made SVG (Jinja2)": "jinja2",
    "vl-convert-python": "vl_convert",
    "matplotlib": "matplotlib.pyplot",
}


def synthetic(entries: int) -> ExportDocument:
    """A record of `entries` entries over three agencies and six years, with owners and alerts."""
    start = datetime(2016, 1, 1, tzinfo=UTC)
    staff = [{"staff_id": f"{1000 + i}", "name": f"Officer {i}", "agency": AGENCIES[i % 3],
              "rank": "PC"} for i in range(12)]  # fmt: skip
    rows = []
    for n in range(1, entries + 1):
        when = (start + timedelta(hours=26 * n)).isoformat()
        kind = KINDS[n % len(KINDS)]
        facts: dict[str, Any] = {}
        if kind in ("EntriesAcknowledged", "EntriesShared"):
            facts["entries"] = [max(1, n - 3), max(1, n - 1)]
        rows.append({"entry": n, "type": kind, "occurred_at": when, "recorded_at": when,
                     "by": staff[n % 12]["staff_id"], "agency": AGENCIES[n % 3], "rank": "PC",
                     "summary": f"Entry {n}", "risk_relevant": n % 7 == 0, "late": n % 11 == 0,
                     "facts": facts})  # fmt: skip
    ownership = [{"agency": a, "staff": staff[i]["staff_id"], "from": start.isoformat(),
                  "to": None, "entry": 1, "by": staff[i]["staff_id"]}
                 for i, a in enumerate(AGENCIES)]  # fmt: skip
    alerts = [{"rule": "ENTRY_UNACKNOWLEDGED", "entry": n, "due_at": rows[n - 1]["occurred_at"],
               "satisfied_at": None if n % 3 else rows[min(n + 5, entries) - 1]["occurred_at"],
               "resolution": None, "state": "open", "detail": "", "ref": "X"}
              for n in range(1, entries + 1, 5)]  # fmt: skip
    return ExportDocument({"offender": {"ref": "BENCH-1"}, "timeline": rows,
                           "ownership": ownership, "alerts": alerts, "staff": staff})  # fmt: skip


def hand_made(document: ExportDocument) -> str:
    from jinja2 import Environment, PackageLoader

    from cli.chart import LEFT, RIGHT, layout

    environment = Environment(loader=PackageLoader("cli", "templates"), autoescape=True)
    chart = layout(document)
    return environment.get_template("chart.svg.j2").render(chart=chart, left=LEFT, right=RIGHT)


def vega_lite(document: ExportDocument) -> str:
    import vl_convert

    values = [{"t": r["occurred_at"], "agency": r["agency"], "kind": r["type"],
               "risk": r["risk_relevant"], "label": f"#{r['entry']} {r['summary']}"}
              for r in document.data["timeline"]]  # fmt: skip
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 800,
        "height": 300,
        "data": {"values": values},
        "mark": {"type": "point", "filled": True},
        "encoding": {
            "x": {"field": "t", "type": "temporal"},
            "y": {"field": "agency", "type": "nominal"},
            "shape": {"field": "kind", "type": "nominal"},
            "color": {"field": "kind", "type": "nominal"},
            "size": {"condition": {"test": "datum.risk", "value": 120}, "value": 40},
            "description": {"field": "label"},
        },
    }
    return str(vl_convert.vegalite_to_svg(spec))


def matplotlib_svg(document: ExportDocument) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = document.data["timeline"]
    figure, axes = plt.subplots(figsize=(10, 4))
    markers = "os^Dv+>h"
    for index, kind in enumerate(KINDS):
        mine = [r for r in rows if r["type"] == kind]
        points = axes.scatter(
            [datetime.fromisoformat(r["occurred_at"]) for r in mine],
            [AGENCIES.index(r["agency"]) for r in mine],
            marker=markers[index],
            label=kind,
        )
        # A text alternative per mark: matplotlib gives each artist an id, not each point.
        points.set_gid(kind)
    axes.legend(fontsize=6)
    out = io.StringIO()
    figure.savefig(out, format="svg")
    plt.close(figure)
    return out.getvalue()


DRAW = {"hand-made SVG (Jinja2)": hand_made, "vl-convert-python": vega_lite,
        "matplotlib": matplotlib_svg}  # fmt: skip


def installed_size(names: list[str]) -> float | None:
    """Megabytes the distributions occupy on disk, or None if the first is not installed."""
    total = 0
    for index, name in enumerate(names):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if index == 0:
                return None
            continue
        for file in dist.files or ():
            path = file.locate()
            if path.is_file():
                total += path.stat().st_size
    return total / 1e6


def import_ms(module: str) -> float:
    """The median over five fresh interpreters of the import's own cumulative time."""
    found = []
    for _ in range(5):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        last = [line for line in done.stderr.splitlines() if re.search(rf"\| {module}$", line)]
        found.append(int(last[-1].split("|")[1]) / 1000)
    return statistics.median(found)


def draw_ms(draw: Any, document: ExportDocument) -> tuple[float, float, int]:
    """The first draw in this process (as an export makes it: imports and any engine's start
    included), then the median of three more."""
    began = time.perf_counter()
    draw(document)
    first = (time.perf_counter() - began) * 1000
    times = []
    for _ in range(3):
        began = time.perf_counter()
        svg = draw(document)
        times.append((time.perf_counter() - began) * 1000)
    return first, statistics.median(times), len(svg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    entries = parser.parse_args().entries
    document = synthetic(entries)
    print(f"| candidate | install size | import | first draw, {entries:,} entries | "
          "each draw after | SVG size |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, draw in DRAW.items():
        size = installed_size(DISTRIBUTIONS[name])
        if size is None:
            print(f"| {name} | not installed | | | | |")
            continue
        imported = import_ms(IMPORTS[name])
        first, took, length = draw_ms(draw, document)
        print(f"| {name} | {size:.1f} MB | {imported:.0f} ms | {first:.0f} ms | {took:.0f} ms "
              f"| {length / 1e6:.2f} MB |")  # fmt: skip


if __name__ == "__main__":
    main()
