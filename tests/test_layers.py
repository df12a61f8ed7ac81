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
          "tfxkit.project", "tfxkit.testing", "tfxkit.cli"]
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


# Modules that define classes Beam ships to its workers by reference (so they must be at module
# level, with their base classes imported there); only Beam-running code imports them, lazily.
BEAM_CLASS_MODULES = {REPO / "components" / "_shared" / "framed_sink.py"}


@pytest.mark.parametrize(("layer", "path"), modules(), ids=lambda v: str(v))
def test_no_heavy_import_at_module_level(layer: str, path: Path) -> None:
    if path in BEAM_CLASS_MODULES:
        heavy = [n for n in imports(path, top_level_only=True)
                 if n.split(".")[0] in HEAVY and n.split(".")[0] != "apache_beam"]
        assert not heavy, f"{path.relative_to(REPO)} may import Beam only, found {heavy}"
        return
    heavy = [n for n in imports(path, top_level_only=True) if n.split(".")[0] in HEAVY]
    assert not heavy, f"{path.relative_to(REPO)} imports {heavy} at module level; import inside " \
                      f"the executor function that needs it"


# --- components share only through components/_shared (issue 18) ------------------------------
SHARED = "_shared"
# `example_gen` is no component but the base of the file-based ExampleGens (spec, component and
# engine they extend), as TFX keeps them under tfx/components/example_gen/; only they use it.
FAMILY_BASES = {"example_gen": "_example_gen"}


def component_folders() -> list[Path]:
    return sorted(p for p in (REPO / "components").iterdir()
                  if p.is_dir() and (p / "__init__.py").is_file())


def imported_components(path: Path) -> list[tuple[str, str]]:
    """(folder, dotted name) of every `tfxkit.components.<folder>` a module imports, anywhere
    in it (inside functions and TYPE_CHECKING blocks too); folder "" for the package itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "tfxkit.components":
                names = [f"tfxkit.components.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[:2] == ["tfxkit", "components"]:
                found.append((parts[2] if len(parts) > 2 else "", name))
    return found


def allowed_component_import(folder: str, target: str) -> bool:
    if target in (folder, SHARED):
        return True
    suffix = FAMILY_BASES.get(target)
    return suffix is not None and folder.endswith(suffix)


@pytest.mark.parametrize("folder", component_folders(), ids=lambda p: p.name)
def test_component_folders_share_only_through_shared(folder: Path) -> None:
    """One component folder never imports another (its executor, registry, helpers): what
    two components need lives in components/_shared; _shared imports no component folder."""
    bad = []
    for path in sorted(folder.rglob("*.py")):
        for target, name in imported_components(path):
            # (target "" is the package itself, whose __init__ imports every component)
            if not allowed_component_import(folder.name, target):
                bad.append(f"{path.relative_to(REPO)} imports {name}")
    assert not bad, ("components share only through components/_shared; move what both need "
                     "there:\n" + "\n".join(bad))


def test_reports_import_only_the_shared_component_code() -> None:
    """The statistics renderer and the other views live in tfxkit/reports; they may read
    artifacts with components/_shared, never import a component's own module."""
    bad = [f"{path.relative_to(REPO)} imports {name}"
           for path in sorted((REPO / "tfxkit" / "reports").rglob("*.py"))
           for target, name in imported_components(path) if target != SHARED]
    assert not bad, "\n".join(bad)


def test_the_layering_check_sees_a_cross_component_import(tmp_path: Path) -> None:
    """The checker itself: a module importing another component's executor is caught, in a
    function body too; `_shared` and a family base are allowed."""
    module = tmp_path / "executor.py"
    module.write_text("from tfxkit.components._shared import beam\n"
                      "def f():\n"
                      "    from tfxkit.components.statistics_gen.executor import STATS_FILE\n"
                      "    import tfxkit.components.pusher.registry\n"
                      "from tfxkit.components import Pusher\n")
    found = {target: allowed_component_import("schema_gen", target)
             for target, _ in imported_components(module)}
    assert found == {"_shared": True, "statistics_gen": False, "pusher": False, "Pusher": False}
    assert allowed_component_import("csv_example_gen", "example_gen")
    assert not allowed_component_import("statistics_gen", "example_gen")
