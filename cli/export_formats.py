"""Which function writes each format of `ledger export`, each loaded only when its format is
asked for: JSON, CSV and HTML from `cli.export`, PDF from `cli.export_pdf`, so that fpdf2 (and
Pillow and fontTools beneath it) is loaded for a PDF alone. Both render the one export document
(`ledger.document`); neither needs the other.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.document import ExportDocument

# Each format, and the module and function that write it.
WRITERS: dict[str, tuple[str, str]] = {
    "json": ("cli.export", "json_file"),
    "csv": ("cli.export", "csv_file"),
    "html": ("cli.export", "html_file"),
    "pdf": ("cli.export_pdf", "pdf_file"),
}
FORMATS = tuple(WRITERS)


def writer(fmt: str) -> Callable[[ExportDocument], str | bytes]:
    """The function that writes the document in format `fmt`; its module is imported when it
    is first called, once the ledger has been read, not before."""
    module, name = WRITERS[fmt]

    def write(document: ExportDocument) -> str | bytes:
        written: str | bytes = getattr(importlib.import_module(module), name)(document)
        return written

    return write
