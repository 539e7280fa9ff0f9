"""The modules' imports keep to the layering of DESIGN.md: dependencies point inward
(`cli → ledger, projections → domain`), nothing imports `cli` but `cli`, and no folder's modules
import one another in a circle.

Every import counts, wherever it is written: at the top of a module, inside a function (a late
import still ties the two modules together) or under `TYPE_CHECKING`. Read from the source with
`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("domain", "ledger", "projections", "cli")
# What each folder may not import.
FORBIDDEN = {
    "domain": {"ledger", "projections", "cli"},
    "ledger": {"cli"},
    "projections": {"cli"},
    "cli": set(),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue  # Alembic's scripts, run by Alembic, not imported by the package
            found[module_name(path)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules that module `name` imports, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module; `from module import name` the module.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            # The longest known module the dotted name lies in.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def folder(name: str) -> str:
    return name.partition(".")[0]


def cycles_within_folders(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected group of two or more modules of one folder, as one cycle through
    it (Tarjan's algorithm on the imports that stay inside a folder)."""
    inside = {m: sorted(t for t in ts if folder(t) == folder(m)) for m, ts in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in inside[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(inside):
        if module not in index:
            visit(module)
    return [cycle_through(group, inside) for group in groups]


def cycle_through(group: set[str], inside: dict[str, list[str]]) -> list[str]:
    """One cycle through the group's first module, to report: a path back to where it began."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in inside[module]:
                if target == start:
                    return [*paths[module], start]
                if target in group and target not in paths:
                    paths[target] = [*paths[module], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


GRAPH = import_graph()


def test_every_folder_is_read() -> None:
    assert {folder(m) for m in GRAPH} == set(FOLDERS)
    assert "ledger.app" in GRAPH and "ledger.app" in GRAPH["ledger.bootstrap"]


def test_no_folder_imports_a_folder_it_depends_on_the_other_way() -> None:
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if folder(target) in FORBIDDEN[folder(module)]
    )
    assert broken == []


def test_nothing_outside_cli_imports_cli() -> None:
    importers = sorted(
        module
        for module, targets in GRAPH.items()
        if folder(module) != "cli" and any(folder(t) == "cli" for t in targets)
    )
    assert importers == []


def test_no_folder_has_a_cycle_of_imports() -> None:
    cycles = [" -> ".join(cycle) for cycle in cycles_within_folders(GRAPH)]
    assert cycles == []
