"""No import circles inside ``omnimemory_kit``: no two modules import each other, directly or around a loop.

import-linter's ``acyclic_siblings`` contract only compares siblings, so it cannot see a package's
``__init__`` and one of its own modules importing each other; this test builds the whole module graph from
the source (ast) instead. Every import counts, including those inside functions (they run, just later)
and ``importlib.import_module("literal")``; only imports under ``if TYPE_CHECKING:`` do not, since they
never run (the same rule ESLint's ``import/no-cycle`` applies to type-only imports).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import omnimemory_kit

PACKAGE = "omnimemory_kit"
PACKAGE_ROOT = Path(omnimemory_kit.__file__).parent

Graph = dict[str, set[str]]


def _module_names(root: Path, package: str) -> dict[str, Path]:
    """Return every module of the package under ``root``, by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _ImportCollector(ast.NodeVisitor):
    """Collect the dotted names a module imports (absolute), skipping ``if TYPE_CHECKING:`` bodies."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.names: list[str] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.names.extend(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        # ``from a.b import c`` imports the module a.b.c when there is one, else names from a.b
        self.names.extend(f"{base}.{alias.name}" for alias in node.names)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "import_module" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.names.append(first.value)
        self.generic_visit(node)


def _resolve(name: str, modules: Iterable[str]) -> str | None:
    """Return the module ``name`` refers to: itself, else its longest prefix that is a module."""
    known = set(modules)
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path, package: str) -> Graph:
    """Return, for every module of the package under ``root``, the package modules it imports."""
    modules = _module_names(root, package)
    graph: Graph = {}
    for module, path in modules.items():
        collector = _ImportCollector(module, is_package=path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        targets = {_resolve(name, modules) for name in collector.names}
        graph[module] = {target for target in targets if target is not None and target != module}
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Return one loop (``[a, b, ..., a]``) per strongly connected group of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(_loop_through(group, graph) for group in groups)


def _loop_through(group: set[str], graph: Mapping[str, set[str]]) -> list[str]:
    """Return a shortest loop from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"{sorted(group)} is not strongly connected")  # pragma: no cover


def _package(tmp_path: Path, files: Mapping[str, str]) -> Graph:
    """Write a package ``pkg`` with the given files (relative path -> source) and return its graph."""
    root = tmp_path / "pkg"
    for relative, source in {"__init__.py": "", **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return import_graph(root, "pkg")


class TestTheCheckFindsCircles:
    def test_two_modules_importing_each_other(self, tmp_path: Path) -> None:
        """A relative import back to the importer is a circle of two."""
        graph = _package(tmp_path, {"a.py": "from pkg import b\n", "b.py": "from . import a\n"})
        assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]

    def test_a_loop_through_three_modules(self, tmp_path: Path) -> None:
        """A loop a -> b -> c -> a is found, with the modules in import order."""
        graph = _package(
            tmp_path,
            {
                "a.py": "import pkg.b\n",
                "b.py": "from pkg.sub.c import thing\n",
                "sub/__init__.py": "",
                "sub/c.py": "from ..a import other\nthing = 1\n",
            },
        )
        assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]

    def test_an_import_inside_a_function_counts(self, tmp_path: Path) -> None:
        """A late import still ties the two modules together."""
        graph = _package(
            tmp_path,
            {"a.py": "import pkg.b\n", "b.py": "def f():\n    from pkg.a import g\n    return g\n"},
        )
        assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]

    def test_import_module_with_a_literal_counts(self, tmp_path: Path) -> None:
        """``importlib.import_module("pkg.a")`` is an import like any other."""
        graph = _package(
            tmp_path,
            {"a.py": "import pkg.b\n", "b.py": "import importlib\nimportlib.import_module('pkg.a')\n"},
        )
        assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]

    def test_a_package_init_and_its_own_module(self, tmp_path: Path) -> None:
        """A package re-exporting a module that imports names from the package is a circle."""
        graph = _package(
            tmp_path,
            {
                "sub/__init__.py": "from pkg.sub.a import A\nCODE = 1\n",
                "sub/a.py": "from pkg.sub import CODE\nA = CODE\n",
            },
        )
        assert find_cycles(graph) == [["pkg.sub", "pkg.sub.a", "pkg.sub"]]

    def test_type_checking_imports_do_not_count(self, tmp_path: Path) -> None:
        """An import that only annotations use never runs, so it closes no circle."""
        graph = _package(
            tmp_path,
            {
                "a.py": "import pkg.b\n",
                "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n",
            },
        )
        assert graph["pkg.b"] == set()
        assert find_cycles(graph) == []


class TestTheKit:
    def test_the_graph_sees_the_kit_imports(self) -> None:
        """The graph holds the imports the kit really makes (the check below is not vacuous)."""
        graph = import_graph(PACKAGE_ROOT, PACKAGE)
        assert "omnimemory_kit.cli.running" in graph["omnimemory_kit.cli.migrate"]
        assert "omnimemory_kit.health.status" in graph["omnimemory_kit.health.conditions"]
        assert "omnimemory_kit.store.postgres" in graph["omnimemory_kit.store.opening"]  # import_module

    def test_no_cli_command_module_imports_another(self) -> None:
        """The command modules the CLI group registers share code through helper modules, never directly."""
        from omnimemory_kit.cli import COMMANDS  # the group loads its commands from this table, lazily

        graph = import_graph(PACKAGE_ROOT, PACKAGE)
        commands = {where.partition(":")[0] for where, _ in COMMANDS.values()}
        assert {"omnimemory_kit.cli.migrate", "omnimemory_kit.cli.worker"} <= commands
        assert {command: sorted(graph[command] & commands) for command in sorted(commands)} == {
            command: [] for command in sorted(commands)
        }

    def test_no_module_imports_one_that_imports_it_back(self) -> None:
        """No import circle in the kit, directly or around a loop."""
        graph = import_graph(PACKAGE_ROOT, PACKAGE)
        assert find_cycles(graph) == []
