"""Packages import only downward: nn -> neurons -> snn -> convert / learn / nir -> analysis ->
experiments -> cli; datasets, plot, _jit, data (assets) and private top-level modules are
leaves anyone may use. Every import statement of the package (also inside functions) is read
with ``ast``."""

import ast
import sys
from pathlib import Path

import pytest

import snnlite

ROOT = Path(snnlite.__file__).parent
ORDER = {"nn": 0, "neurons": 1, "snn": 2, "convert": 3, "learn": 3, "nir": 3, "analysis": 4,
         "experiments": 5, "cli": 6}
LEAVES = {"datasets", "plot", "_jit", "data", "labels", "__init__"}  # __init__ imports lazily


def unit(parts: tuple[str, ...]) -> str:
    """The package (or top-level module) a module path inside ``snnlite`` belongs to."""
    return parts[0] if parts else "__init__"


def is_leaf(name: str) -> bool:
    return name in LEAVES or (name.startswith("_") and (ROOT / f"{name}.py").exists())


def imports(path: Path):
    """``(line, target unit, text)`` of every ``snnlite`` import in ``path``."""
    rel = path.relative_to(ROOT).with_suffix("").parts
    package = rel[:-1]  # the package a relative import starts from
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (["snnlite", *package[:len(package) - node.level + 1]] if node.level
                    else [])
            module = base + (node.module.split(".") if node.module else [])
            # ``from snnlite import nn`` / ``from .. import plot`` name a sub-module
            targets = [module + [alias.name] for alias in node.names]
        else:
            continue
        for target in targets:
            if target[0] == "snnlite":
                inner = tuple(target[1:])
                name = inner[0] if inner and (inner[0] in ORDER or is_leaf(inner[0])
                                              or (ROOT / inner[0]).is_dir()) else "__init__"
                yield node.lineno, name, ast.unparse(node)


def collect():
    """``{(importer unit, imported unit): first offending 'file:line: statement'}``."""
    edges = {}
    for path in sorted(ROOT.rglob("*.py")):
        src = unit(path.relative_to(ROOT).with_suffix("").parts)
        for line, dst, text in imports(path):
            if dst != src:
                edges.setdefault((src, dst), f"{path.relative_to(ROOT.parent)}:{line}: {text}")
    return edges


EDGES = collect()


def test_every_unit_has_a_place_in_the_order():
    units = {unit(p.relative_to(ROOT).with_suffix("").parts) for p in ROOT.rglob("*.py")}
    unknown = sorted(u for u in units if u not in ORDER and not is_leaf(u))
    assert not unknown, f"add {unknown} to the layering order of tests/test_layering.py"


@pytest.mark.parametrize("edge", sorted(e for e in EDGES if not is_leaf(e[1])), ids="->".join)
def test_imports_go_downward(edge):
    src, dst = edge
    assert not is_leaf(src), f"{src} is a leaf (usable by anyone) but imports {dst}: {EDGES[edge]}"
    assert ORDER[dst] < ORDER[src], (
        f"{src} (layer {ORDER[src]}) must not import {dst} (layer {ORDER[dst]}): {EDGES[edge]}")


def test_no_cycle_between_packages():
    graph = {}
    for src, dst in EDGES:
        graph.setdefault(src, set()).add(dst)

    def visit(node, path):
        if node in path:
            cycle = path[path.index(node):] + [node]
            pytest.fail("import cycle " + " -> ".join(cycle) + ": " + "; ".join(
                EDGES[(a, b)] for a, b in zip(cycle, cycle[1:], strict=False)))
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, path + [node])

    for start in sorted(graph):
        visit(start, [])


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The parser resolves absolute, relative and ``from snnlite import x`` forms."""
    pkg = tmp_path / "snnlite"
    (pkg / "learn").mkdir(parents=True)
    (pkg / "analysis").mkdir()
    (pkg / "learn" / "x.py").write_text(
        "from snnlite.analysis.ops import macs\nfrom .. import plot\n"
        "def f():\n    from ..analysis import y\n    from snnlite import nn\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", pkg)
    found = [(line, dst) for line, dst, _ in imports(pkg / "learn" / "x.py")]
    assert found == [(1, "analysis"), (2, "plot"), (4, "analysis"), (5, "nn")]
