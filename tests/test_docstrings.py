"""Every component folder has the same shape, and every public class and function in the
package has a docstring (what it takes, what it produces, where outputs land)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = [REPO / "tfxkit", REPO / "components", REPO / "runners"]
SHARED = {"_shared", "__pycache__"}


def component_folders() -> list[Path]:
    return sorted(p for p in (REPO / "components").iterdir() if p.is_dir() and p.name not in SHARED)


@pytest.mark.parametrize("folder", component_folders(), ids=lambda p: p.name)
def test_component_folder_shape(folder: Path) -> None:
    for name in ("__init__.py", "spec.py", "executor.py", "component.py"):
        assert (folder / name).is_file(), f"components/{folder.name}/{name} is missing"
    tree = ast.parse((folder / "component.py").read_text())
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes, f"components/{folder.name}/component.py defines no component class"
    for cls in classes:
        doc = ast.get_docstring(cls) or ""
        for section in ("Inputs", "Outputs", "Parameters"):
            assert section in doc or folder.name == "example_gen", (
                f"{cls.name} docstring lacks a {section} section")


def public_definitions(path: Path) -> list[tuple[str, ast.AST]]:
    tree = ast.parse(path.read_text())
    found: list[tuple[str, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and \
                not node.name.startswith("_"):
            found.append((node.name, node))
            if isinstance(node, ast.ClassDef):
                found += [(f"{node.name}.{m.name}", m) for m in node.body
                          if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")
                          and not any(ast.unparse(d).endswith(".setter")
                                      for d in m.decorator_list)]
    return found


def modules() -> list[Path]:
    return sorted(p for folder in PACKAGE_FOLDERS for p in folder.rglob("*.py")
                  if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_public_definitions_have_docstrings(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text())) or (path.name == "__init__.py" and \
        not path.read_text().strip()), f"{path.relative_to(REPO)} has no module docstring"
    missing = [name for name, node in public_definitions(path)
               if not ast.get_docstring(node)]  # type: ignore[arg-type]
    assert not missing, f"{path.relative_to(REPO)}: no docstring on {', '.join(missing)}"
