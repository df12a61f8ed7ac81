"""Layering (DESIGN.md): each layer imports only the layers above it, and module-level imports
of the core never reach TensorFlow, TFDV, TFT, TFMA, Beam or tfx-bsl.

Checked from the source with `ast` (components/ and runners/ live outside tfxkit/, where
import-linter's scanner does not look).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Lower index = higher layer; a module may import its own layer and lower-index layers.
LAYERS = ["tfxkit.types", "tfxkit.dsl", "tfxkit.metadata", "tfxkit.components",
          "tfxkit.runners", "tfxkit.serving", "tfxkit.reports", "tfxkit.notebook",
          "tfxkit.project", "tfxkit.cli"]
FOLDERS = {"tfxkit.components": REPO / "components", "tfxkit.runners": REPO / "runners"}
HEAVY = ("tensorflow", "tensorflow_data_validation", "tensorflow_transform",
         "tensorflow_model_analysis", "apache_beam", "tfx_bsl", "pyarrow")


def modules() -> list[tuple[str, Path]]:
    found = []
    for layer in LAYERS:
        folder = FOLDERS.get(layer, REPO / layer.replace(".", "/"))
        for path in folder.rglob("*.py"):
            found.append((layer, path))
    return found


def imports(path: Path, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and ast.unparse(block.test).endswith("TYPE_CHECKING")
                   for n in ast.walk(block)}  # annotations only, never executed
    nodes = [n for n in (tree.body if top_level_only else ast.walk(tree))
             if id(n) not in typing_only]
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def layer_of(name: str) -> str | None:
    return next((layer for layer in LAYERS if name == layer or name.startswith(layer + ".")), None)


@pytest.mark.parametrize(("layer", "path"), modules(), ids=lambda v: str(v))
def test_module_imports_only_layers_above_it(layer: str, path: Path) -> None:
    for name in imports(path, top_level_only=False):
        target = layer_of(name)
        if target is not None:
            assert LAYERS.index(target) <= LAYERS.index(layer), (
                f"{path.relative_to(REPO)} ({layer}) imports {name} ({target}), a lower layer")
        assert name.split(".")[0] not in ("components", "runners", "templates"), (
            f"{path.relative_to(REPO)} imports top-level {name}; use tfxkit.{name}")


@pytest.mark.parametrize(("layer", "path"), modules(), ids=lambda v: str(v))
def test_no_heavy_import_at_module_level(layer: str, path: Path) -> None:
    heavy = [n for n in imports(path, top_level_only=True) if n.split(".")[0] in HEAVY]
    assert not heavy, f"{path.relative_to(REPO)} imports {heavy} at module level; import inside " \
                      f"the executor function that needs it"
