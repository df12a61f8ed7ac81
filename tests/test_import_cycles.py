"""tfxkit's import graph has no cycles (issue 18): no two modules import each other, directly
or through others, whether at module level, inside a function or under TYPE_CHECKING.

A cycle is how one piece of logic ends up needing two homes (`types/channel.py` <->
`dsl/base_component.py` was solved with the `Producer` protocol; `types/artifact.py` <->
`types/standard_artifacts.py` by keeping the artifact-class registry in `artifact.py`).
Read from the source with `ast`; nothing is imported. A package's `__init__` counts as its
own module; importing `a.b.c` is an edge to `a.b.c` only (not to the packages around it).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = {"tfxkit": REPO / "tfxkit", "tfxkit.components": REPO / "components",
         "tfxkit.runners": REPO / "runners"}


def tfxkit_modules() -> dict[str, Path]:
    """Dotted module name -> file, for tfxkit/ and the components/ and runners/ it installs."""
    found = {}
    for prefix, folder in ROOTS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the tfxkit modules it imports anywhere in its source."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    if submodule in modules:
                        targets.add(submodule)
                    elif node.module in modules:
                        targets.add(node.module)
        targets.discard(name)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> ... -> a) through each strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [_path_in(group, graph) for group in groups]


def _path_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A cycle a -> b -> ... -> a inside one strongly connected group."""
    start = min(group)
    parents = {start: ""}
    frontier = [start]
    while frontier:  # breadth-first back to start
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    path = [node]
                    while parents[path[-1]]:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start] if len(path) > 1 else \
                        [start, start]
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return sorted(group)


def test_tfxkit_import_graph_has_no_cycles() -> None:
    found = cycles(import_graph(tfxkit_modules()))
    assert not found, (
        "tfxkit modules import each other in a circle; move what both need into a module they "
        "can both import (or describe the other side with a Protocol):\n"
        + "\n".join(" -> ".join(cycle) for cycle in found))


def test_the_cycle_check_finds_direct_lazy_and_type_checking_circles(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("from typing import TYPE_CHECKING\n"
                                   "if TYPE_CHECKING:\n    from pkg.b import B\n")
    (tmp_path / "b.py").write_text("def f():\n    from pkg import c\n")
    (tmp_path / "c.py").write_text("import pkg.a\n")
    (tmp_path / "d.py").write_text("from pkg.a import x\n")
    modules = {f"pkg.{n}": tmp_path / f"{n}.py" for n in "abcd"}
    graph = import_graph(modules)
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"},
                     "pkg.d": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    assert cycles({"x": {"y"}, "y": set()}) == []
