"""Operating the read models."""

from __future__ import annotations

import typer

from cli.options import JSON
from cli.render import emit_json, table
from cli.session import session

projections_app = typer.Typer(help="The read models: their positions, rebuilding and following.")


def register(app: typer.Typer) -> None:
    app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def status(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Each projection's position, the ledger's head, and how far behind each one is.

    Example: ledger projections status --json
    """
    from projections.runner import ensure_positions, positions

    s = session(ctx)
    head = s.ledger().head()
    names = [p.name for p in s.projections()]
    ensure_positions(s.engine(), names)
    current = positions(s.engine())
    rows = [
        {"name": n, "position": current.get(n, 0), "lag": head - current.get(n, 0)} for n in names
    ]
    if as_json:
        emit_json({"head": head, "projections": rows})
        return
    table(
        f"Projections (ledger head {head})",
        ["Projection", "Position", "Behind by"],
        [[r["name"], r["position"], r["lag"]] for r in rows],
    )
