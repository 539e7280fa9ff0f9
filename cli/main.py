"""The `ledger` command: one Typer sub-app per noun, composed here.

Heavy modules (SQLAlchemy, psycopg, rich, pydantic) are imported inside the commands that need
them, so that recording an entry starts quickly.
"""

from __future__ import annotations

import gc

import typer

from cli.lazy import LazyLedgerGroup

# Every top-level command, in the order help lists them, and the module whose `register(app)`
# defines it. A command's module is imported only when that command runs.
COMMANDS: dict[str, str] = {
    "init": "cli.setup",
    "keygen": "cli.setup",
    "verify": "cli.integrity",
    "staff": "cli.people",
    "offender": "cli.people",
    "record": "cli.recording",
    "acknowledge": "cli.recording",
    "transfer": "cli.recording",
    "share": "cli.recording",
    "correct": "cli.recording",
    "show": "cli.reading",
    "timeline": "cli.reading",
    "ownership": "cli.review",
    "who-knew": "cli.review",
    "projections": "cli.operating",
    "alerts": "cli.alerts",
    "import": "cli.importing",
    "audit": "cli.audit",
    "export": "cli.export",
}


class Ledger(LazyLedgerGroup):
    modules = COMMANDS


app = typer.Typer(
    cls=Ledger,
    name="ledger",
    help="The offender timeline ledger: every disclosure, visit, acknowledgement, risk assessment, "
    "MAPPA referral, transfer and decision as an immutable, attributable, timestamped event."
    '\n\nExample: ledger --as 4521 record disclosure WMP-000123 --summary "Says he feels isolated"',
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
    from cli.session import Session
    from ledger.settings import Settings

    _refuse_empty(database_url=database_url, actor=actor, reason=reason)
    ctx.obj = Session(Settings.from_environment(database_url, actor, reason))
    ctx.call_on_close(ctx.obj.close)


# Each root option, the environment variable it overrides, and what a value of it is.
ROOT_OPTIONS = {
    "database_url": ("--database-url", "LEDGER_DATABASE_URL", "a database URL"),
    "actor": ("--as", "LEDGER_ACTOR", "your staff id"),
    "reason": ("--reason", "LEDGER_REASON", "why you are consulting the ledger"),
}


def _refuse_empty(**given: str | None) -> None:
    """An option given but empty is a mistake, not a request for its default."""
    from ledger.errors import ConfigurationError

    for name, value in given.items():
        # Empty, or only spaces and line breaks: other characters that are only invisible are
        # named by the check of the value itself (`ledger.settings`).
        if value is not None and all(c in " \t\n\r" for c in value):
            option, variable, what = ROOT_OPTIONS[name]
            raise ConfigurationError(
                f"{option} is empty: give {what}, or leave {option} out to use {variable}"
            )


# How long a command runs before Python's cyclic garbage collector starts: long enough for a
# read or a write to start and finish, short enough that a long command (a rebuild, a follower,
# an import) collects as always.
COLLECTOR_PAUSE_SECONDS = 1.0


def main() -> None:
    """Run one command and leave.

    For its first second the command runs without the cyclic garbage collector. Starting up, the
    libraries make hundreds of thousands of objects that live as long as the process; every time
    their number grows by a quarter, the collector walks them all, to find almost nothing to free
    (about 30 ms of CPU of each read, measured alternately). Objects without cycles are freed as
    always; a timer thread turns the collector back on after `COLLECTOR_PAUSE_SECONDS`.

    When the command is done, every object it made is handed to `gc.freeze`, so the collection
    Python would otherwise run while shutting down does not walk the hundreds of thousands of
    objects the imported libraries left behind, only to free memory the process returns anyway
    (about 15 ms of a 115 ms `ledger record entry`). Files and connections are closed by the
    commands themselves, and the standard streams are flushed at exit as always.
    """
    import threading

    gc.disable()
    resume = threading.Timer(COLLECTOR_PAUSE_SECONDS, gc.enable)
    resume.daemon = True
    resume.start()
    try:
        app()
    finally:
        resume.cancel()
        gc.freeze()  # first: it empties the generations, so turning the collector on runs nothing
        gc.enable()
