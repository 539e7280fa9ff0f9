"""The `ledger` command: one Typer sub-app per noun, composed here.

Heavy modules (SQLAlchemy, psycopg, rich, pydantic) are imported inside the commands that need
them, so that recording an entry starts quickly.
"""

from __future__ import annotations

import typer

from cli import (
    alerts,
    audit,
    export,
    importing,
    operating,
    people,
    reading,
    recording,
    review,
    setup,
)
from cli.errors import LedgerGroup
from cli.session import Session
from ledger.settings import Settings

app = typer.Typer(
    cls=LedgerGroup,
    name="ledger",
    help="The offender timeline ledger: every disclosure, visit, acknowledgement, risk assessment, "
    "MAPPA referral, transfer and decision as an immutable, attributable, timestamped event.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str = typer.Option(
        None,
        "--database-url",
        metavar="URL",
        help="sqlite:///PATH or postgresql://USER@HOST:PORT/DB. Default: LEDGER_DATABASE_URL, "
        "else sqlite:///ledger.db.",
    ),
    actor: str = typer.Option(
        None, "--as", metavar="STAFF_ID", help="Who is using the ledger. Default: LEDGER_ACTOR."
    ),
    reason: str = typer.Option(
        None,
        "--reason",
        metavar="TEXT",
        help="Why the data is being consulted (logged with every read). Default: LEDGER_REASON.",
    ),
) -> None:
    """The offender timeline ledger.

    Example: ledger --as 4521 record disclosure WMP-000123 --summary "Says he feels isolated"
    """
    ctx.obj = Session(Settings.from_environment(database_url, actor, reason))
    ctx.call_on_close(ctx.obj.close)


setup.register(app)
people.register(app)
recording.register(app)
reading.register(app)
review.register(app)
operating.register(app)
alerts.register(app)
importing.register(app)
audit.register(app)
export.register(app)


def main() -> None:
    app()
