"""The thresholds the alert rules apply: shipped defaults, overridden by a force's own file.

The defaults live in `policy.toml` beside this module, each figure with its source. A force's file
(`LEDGER_POLICY=path`) has the same shape and names only the rules and figures it changes; each
rule it changes must say where its figures come from (`source`). Anything unknown is refused, so a
misspelt rule name cannot silently leave a default in force.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources
from typing import Any

from domain.errors import InvalidValueError
from domain.frozen import frozen
from domain.values import RiskLevel

RULES = (
    "ARMS_OVERDUE",
    "ESCALATION_NOT_ACTED_ON",
    "ENTRY_UNACKNOWLEDGED",
    "DISCLOSURE_NOT_SHARED",
    "DISAGREEMENT_NOT_ESCALATED",
    "RECALL_NOT_CONSIDERED",
    "VISIT_OVERDUE",
)

# The figures each rule takes, all whole numbers of days.
FIGURES: dict[str, tuple[str, ...]] = {
    "ARMS_OVERDUE": ("days",),
    "ESCALATION_NOT_ACTED_ON": ("days",),
    "ENTRY_UNACKNOWLEDGED": ("days", "inherit_risk_relevant_days"),
    "DISCLOSURE_NOT_SHARED": ("days",),
    "DISAGREEMENT_NOT_ESCALATED": ("days",),
    "RECALL_NOT_CONSIDERED": ("days",),
    "VISIT_OVERDUE": tuple(level.value for level in RiskLevel),
}
# `lapses` says when the rule's remedy is no longer possible (the rule itself decides it, in
# `rules.LAPSES`): text beside the source for the reader, not a figure a force changes.
TEXTS = ("source", "note", "lapses")

# The longest period a figure may give: a century. Deadlines are dates, and a figure of millions
# of days would put them beyond the last date there is.
MAX_DAYS = 36_500
# The largest policy file read: the shipped one is about 3 KB.
POLICY_FILE_LIMIT = 1024 * 1024


class PolicyError(InvalidValueError):
    """The policy file cannot be used; says which file and what to put right."""


@frozen
class RulePolicy:
    figures: dict[str, int]
    source: str
    note: str | None


@frozen
class Policy:
    rules: dict[str, RulePolicy]
    origin: str  # where the figures came from: "defaults" or the override file's path

    def days(self, rule: str, figure: str = "days") -> int:
        return self.rules[rule].figures[figure]

    def visit_interval(self, risk: str) -> int:
        return self.rules["VISIT_OVERDUE"].figures[risk]

    @property
    def digest(self) -> str:
        """Changes whenever any figure does, so stored alerts know which figures made them."""
        figures = {rule: self.rules[rule].figures for rule in RULES}
        return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:16]


def default_text() -> str:
    return resources.files("projections.alerts").joinpath("policy.toml").read_text("utf-8")


def load_policy(path: str | None = None) -> Policy:
    """The shipped defaults, with the file at `path` (if any) laid over them."""
    defaults = _parse(default_text(), "the shipped policy")
    rules = _rules(defaults, "the shipped policy", complete=True)
    if not path:
        return Policy(rules, "defaults")
    where = f"policy file {path}"
    text = _read(path, where)
    for rule, given in _rules(_parse(text, where), where, complete=False).items():
        base = rules[rule]
        rules[rule] = RulePolicy({**base.figures, **given.figures}, given.source, given.note)
    return Policy(rules, path)


def _read(path: str, where: str) -> str:
    """The policy file's text: a regular file (a pipe is never waited on, a device never read
    without end) of at most `POLICY_FILE_LIMIT` bytes of UTF-8."""
    from ledger.files import read_regular

    fix = "fix LEDGER_POLICY or unset it"
    try:
        data = read_regular(
            path, POLICY_FILE_LIMIT, f"{where} cannot be read", fix, "a policy file"
        )
    except InvalidValueError as error:
        raise PolicyError(str(error)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PolicyError(
            f"{where} is not UTF-8 text (line {line}); save it as UTF-8, or unset LEDGER_POLICY"
        ) from None


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{where} is not valid TOML ({error})") from None
    except ValueError as error:  # a whole number of more digits than Python will convert
        problem = str(error)
        if "digits" in problem:
            problem = "a number has more digits than any figure needs"
        raise PolicyError(
            f"{where} is not valid TOML ({_shown(problem, 80)}); each figure is a whole number "
            f"of days from 1 to {MAX_DAYS}"
        ) from None
    except RecursionError:
        raise PolicyError(
            f"{where} is not a policy: its values are nested too deeply; a policy holds only "
            "[rules.NAME] tables of figures"
        ) from None


def _rules(document: dict[str, Any], where: str, *, complete: bool) -> dict[str, RulePolicy]:
    unknown_top = set(document) - {"rules"}
    if unknown_top or not isinstance(document.get("rules", {}), dict):
        raise PolicyError(f"{where} must hold only [rules.NAME] tables, e.g. [rules.ARMS_OVERDUE]")
    tables: dict[str, Any] = document.get("rules", {})
    for name in tables:
        if name not in RULES:
            raise PolicyError(f"{where} names an unknown rule {name!r}; rules: {', '.join(RULES)}")
    if complete and set(tables) != set(RULES):
        missing = ", ".join(r for r in RULES if r not in tables)
        raise PolicyError(f"{where} lacks rules: {missing}")
    return {name: _rule(name, table, where, complete=complete) for name, table in tables.items()}


def _rule(name: str, table: Any, where: str, *, complete: bool) -> RulePolicy:
    if not isinstance(table, dict):
        raise PolicyError(f"{where}: rules.{name} must be a table of figures")
    allowed = FIGURES[name]
    for key in table:
        if key not in allowed and key not in TEXTS:
            raise PolicyError(
                f"{where}: rules.{name} has no figure {key!r}; it takes: {', '.join(allowed)}"
            )
    figures: dict[str, int] = {}
    for key in allowed:
        if key not in table:
            if complete:
                raise PolicyError(f"{where}: rules.{name} lacks {key}")
            continue
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            raise PolicyError(
                f"{where}: rules.{name}.{key} must be a whole number of days from 1 to "
                f"{MAX_DAYS} (a century), not {_shown(repr(value), 40)}"
            )
        figures[key] = value
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise PolicyError(
            f'{where}: rules.{name} must say where its figures come from (source = "...")'
        )
    note = table.get("note")
    if note is not None and not isinstance(note, str):
        raise PolicyError(f"{where}: rules.{name}.note must be text")
    lapses = table.get("lapses")
    if lapses is not None and not isinstance(lapses, str):
        raise PolicyError(f"{where}: rules.{name}.lapses must be text")
    return RulePolicy(figures, source.strip(), note)


def _shown(text: str, most: int) -> str:
    """`text` as a message may quote it: at most `most` characters, saying how many it had."""
    return text if len(text) <= most else f"{text[: most - 20]}... ({len(text)} characters)"
