"""The counter and the print queue, and the command line and its command groups, must
not import each other, and the shared base (``core``) imports none of them (issue 12):
a loop makes the import order matter, and importing one of them first in a fresh
interpreter fails half-way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAINS = ("pos", "receipts", "sync", "inventory", "central")
PACKAGES = ("core", *DOMAINS)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Every project module and the project modules it imports, at the top or inside
    a function (a lazy import is still a loop, only a later one)."""
    graph: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = _module_name(path)
            is_package = path.name == "__init__.py"
            targets: set[str] = set()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # A package's own functions (the app factory registering every blueprint)
            # run once everything is loaded: only its top-level imports count.
            nodes = (tree.body if is_package else ast.walk(tree))
            for node in nodes:
                if isinstance(node, ast.Import):
                    targets.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        here = name.split(".") if is_package else name.split(".")[:-1]
                        here = here[: len(here) - (node.level - 1)]
                        base = ".".join(here + ([base] if base else []))
                    targets.add(base)
                    targets.update(f"{base}.{alias.name}" for alias in node.names)
            graph[name] = {t for t in targets
                           if t.split(".")[0] in PACKAGES and _is_module(t) and t != name}
    return graph


def _reaches(graph: dict[str, set[str]], start: set[str], goal: set[str]) -> bool:
    seen, todo = set(), list(start)
    while todo:
        module = todo.pop()
        for target in graph.get(module, ()):
            if target in goal:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False


def _group(graph: dict[str, set[str]], prefix: str) -> set[str]:
    return {m for m in graph if m == prefix or m.startswith(prefix + ".")}


@pytest.mark.parametrize(("one", "other"), [
    ("pos.counter", "receipts.queue"),
    ("pos.cli", "receipts.cli"),
    ("pos.cli", "sync.cli"),
])
def test_no_import_loop_between(one, other):
    graph = import_graph()
    a, b = _group(graph, one), _group(graph, other)
    assert a and b
    assert not (_reaches(graph, a, b) and _reaches(graph, b, a)), f"{one} ⇄ {other}"


def test_the_shared_base_imports_no_domain_package():
    """``core`` is what every domain stands on: one import of a domain from it and the
    base can no longer be loaded, tested or reused on its own."""
    graph = import_graph()
    base = _group(graph, "core")
    assert base
    leaks = sorted(f"{module} → {target}" for module in base for target in graph[module]
                   if target.split(".")[0] in DOMAINS)
    assert not leaks, leaks


@pytest.mark.parametrize("first", ["core.auth", "receipts.queue", "pos.counter", "receipts.cli",
                                   "pos.cli", "pos.counter.pricing"])
def test_each_module_imports_first_in_a_fresh_interpreter(first):
    result = subprocess.run([sys.executable, "-c", f"import {first}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
