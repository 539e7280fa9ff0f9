"""Importing a chronology: many commands, validated first, then committed all together or not at all.

An import file is JSON Lines, one record per line, each naming the `command` it stands for with
that command's fields (`ledger.commands`: the same fields as the command line's options, by their
names: `licence_end` for `--licence-end`). Every record is validated (pydantic, strictly: a JSON
string for text, a JSON whole number for a number) before anything is applied; then the commands go
to the one handler (`ledger.handlers.handle`) as one batch, applied in file order, so the domain's
rules judge each one against everything before it, and saved in ONE transaction. A bad line
refuses the whole import, with the same refusal and exit status as the same command typed, and
leaves the ledger exactly as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from domain.errors import DomainError, InvalidValueError
from domain.frozen import frozen
from ledger.commands import COMMANDS, Command, FieldRefusedError
from ledger.files import LineTooLongError, bounded_lines, size_text


class ImportFormatError(InvalidValueError):
    """A line of the import file is not a valid record (a usage error)."""


class ImportRefusedError(DomainError):
    """A rule of the domain refused one record, and so the whole import."""


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it names a key twice (json would keep the last silently)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKeyError(key)
        found[key] = value
    return found


def _not_a_number(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _decode(number: int, text: str) -> Any:
    """One line's JSON, every failure as a usage error that names the line."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_not_a_number)
    except json.JSONDecodeError as error:
        raise ImportFormatError(f"line {number}: not JSON ({error.msg})") from None
    except _DuplicateKeyError as error:
        raise ImportFormatError(
            f"line {number}: the key {error.key!r} appears twice in one object; keep one"
        ) from None
    except RecursionError:
        raise ImportFormatError(
            f"line {number}: nested too deeply to be a record; a record is one flat object"
        ) from None
    except ValueError as error:  # NaN, Infinity, or more digits than Python will convert
        problem = str(error)
        if "digits" in problem:
            problem = "a number has more digits than any record needs"
        raise ImportFormatError(f"line {number}: not a valid record ({problem})") from None


# The longest line read: a record's longest text (20,000 characters, each up to six bytes as a
# JSON escape) in many times over. A longer line is not a record, and is not read into memory.
LINE_LIMIT = 1024 * 1024


def read_lines(stream: BinaryIO, name: str) -> Iterator[str]:
    """A JSON Lines file's lines as they are read, each at most `LINE_LIMIT` bytes: split at
    newlines only, never at the other characters that `str.splitlines` breaks on (U+2028 and the
    like may stand unescaped inside a JSON string); a byte-order mark at the start, as Windows
    tools write, is skipped. `name` is the file as the messages call it."""
    try:
        for number, raw in bounded_lines(stream, LINE_LIMIT):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFormatError(
                    f"cannot read {name}: line {number} is not UTF-8 text; save the file as UTF-8"
                ) from None
            yield text.removeprefix("\ufeff") if number == 1 else text
    except LineTooLongError as error:
        raise ImportFormatError(
            f"cannot read {name}: line {error.line} is longer than {size_text(LINE_LIMIT)}, the "
            "most one record may take; check that the file is JSON Lines, one record a line"
        ) from None
    except OSError as error:
        raise ImportFormatError(
            f"cannot read {name}: {error.strerror or type(error).__name__}"
        ) from None


def parse_lines(lines: Iterable[str]) -> list[tuple[int, Command]]:
    """Every record of a JSON Lines file (its `read_lines`) as the command it stands for, with
    its line number; blank lines and `#` comments are skipped."""
    records = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            records.append((number, parse_record(_decode(number, text))))
        except ImportFormatError:
            raise
        except InvalidValueError as refusal:
            raise ImportFormatError(f"line {number}: {keyed(refusal)}") from None
        except RecursionError:
            raise ImportFormatError(
                f"line {number}: nested too deeply to be a record; a record is one flat object"
            ) from None
    if not records:
        raise ImportFormatError("the file holds no records")
    return records


def parse_record(raw: Any) -> Command:
    """One decoded JSON record as its command, each field checked as the command line checks it."""
    from pydantic import ValidationError

    if not isinstance(raw, dict):
        raise InvalidValueError('a record must be a JSON object such as {"command": "entry", ...}')
    if "command" not in raw:
        raise InvalidValueError(
            'each record needs a \'command\', e.g. {"command": "disclosure", ...}'
        )
    model = COMMANDS.get(raw["command"]) if isinstance(raw["command"], str) else None
    if model is None:
        raise InvalidValueError(f"'command' must be one of: {', '.join(COMMANDS)}")
    keys = model.import_keys()
    unknown = [key for key in raw if key != "command" and key not in keys]
    if unknown:
        raise InvalidValueError(
            f"{unknown[0]!r} is not a field of {model.command!r}; it takes: {', '.join(keys)}"
        )
    fields = {keys[key]: value for key, value in raw.items() if key != "command"}
    try:
        command = _adapter(model).validate_json(json.dumps(fields), strict=True)
    except FieldRefusedError as refused:
        raise refused.refusal from None
    except ValidationError as error:
        raise InvalidValueError(_first_problem(error, model.command)) from None
    command.check()
    return command


_ADAPTERS: dict[type[Command], Any] = {}


def _adapter(model: type[Command]) -> Any:
    """The pydantic validator of one command, made once: building it is the expensive part."""
    if model not in _ADAPTERS:
        from pydantic import TypeAdapter

        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def keyed(refusal: DomainError) -> str:
    """A refusal as an import says it: each field it names as the key that gives it."""
    text = str(refusal)
    for field in sorted(set(refusal.fields), key=len, reverse=True):
        key = field.rstrip("_")
        text = re.sub(rf"(?<![\w-]){re.escape(field)}(?![\w-])", lambda _, key=key: key, text)
    return text


def _first_problem(error: Any, command: str) -> str:
    problem = error.errors()[0]
    where = ".".join(
        [command, *(str(p).rstrip("_") for p in problem["loc"] if not isinstance(p, int))]
    )
    message = str(problem["msg"])
    if problem["type"] in _JSON_TYPES:
        given = json.dumps(problem.get("input"), ensure_ascii=False)
        given = given if len(given) <= 40 else given[:37] + "..."
        message = f"must be {_JSON_TYPES[problem['type']]}, not {given}"
    if problem["type"] == "missing":
        message = "is required"
    return f"{where}: {message}" if where else f"a record {message}"


# What a strict type check wanted, as the import file's writer would say it.
_JSON_TYPES = {
    "string_type": 'a JSON string (in "quotes")',
    "int_type": "a JSON whole number such as 2 (not in quotes, not 2.0, not true)",
    "bool_type": "JSON true or false (not in quotes)",
    "list_type": "a JSON list such as [4, 5]",
    "tuple_type": "a JSON list such as [4, 5]",
    "date_type": 'a date as a JSON string, such as "2016-07-04"',
    "enum": "one of the words the command takes, as a JSON string",
    "dict_type": 'a JSON object such as {"command": "entry", ...}',
    "model_attributes_type": 'a JSON object such as {"command": "entry", ...}',
}


# --------------------------------------------------------------------------------- applying


@frozen
class Imported:
    line: int
    command: str
    ref: str | None
    entry: int | None


def import_records(
    app: Any, actor: str | None, records: Sequence[tuple[int, Command]], *, dry_run: bool
) -> list[Imported]:
    """Hands every record to the ledger as one batch (`ledger.handlers.handle`), saved in one
    transaction unless `dry_run`. A refusal is said against the line it came from."""
    from ledger.handlers import handle

    try:
        done = handle(app, actor, [command for _, command in records], dry_run=dry_run)
    except DomainError as refusal:
        index = refusal.index
        if index is None:
            raise
        line = records[index][0]
        if isinstance(refusal, InvalidValueError):
            raise ImportFormatError(f"line {line}: {keyed(refusal)}") from None
        raise ImportRefusedError(f"line {line}: {keyed(refusal)}") from None
    return [
        Imported(number, d.command, d.ref, d.entry)
        for (number, _), d in zip(records, done, strict=True)
    ]
