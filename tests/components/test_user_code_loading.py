"""Loading user module files: project imports come from the module's own project, even when
another project's package of the same name was imported earlier in the same process (two
projects in one notebook, or one test process running several generated projects)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from tfxkit.components._shared.user_code import user_function


def make_project(root: Path, scale: float) -> Path:
    (root / "steps").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "steps" / "__init__.py").write_text("")
    (root / "steps" / "features.py").write_text(f"SCALE = {scale}\n")
    module = root / "steps" / "preprocessing.py"
    module.write_text("from steps.features import SCALE\n\n\n"
                      "def preprocessing_fn(inputs):\n    return SCALE\n")
    return module


def test_another_projects_package_of_the_same_name_does_not_shadow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    foreign = types.ModuleType("steps")
    foreign.__file__ = str(tmp_path / "other" / "steps" / "__init__.py")
    foreign.__path__ = [str(tmp_path / "other" / "steps")]  # holds no features.py
    monkeypatch.setitem(sys.modules, "steps", foreign)
    module = make_project(tmp_path / "mine", 100.0)
    with user_function(component="Transform", fn_name="preprocessing_fn",
                       module_file=str(module)) as fn:
        assert fn({}) == 100.0
    assert sys.modules["steps"] is foreign  # put back for whoever imported it


def test_two_projects_in_one_process_each_see_their_own_helpers(tmp_path: Path) -> None:
    first = make_project(tmp_path / "a", 1.0)
    second = make_project(tmp_path / "b", 2.0)
    for module, expected in ((first, 1.0), (second, 2.0), (first, 1.0)):
        with user_function(component="Transform", fn_name="preprocessing_fn",
                           module_file=str(module)) as fn:
            assert fn({}) == expected
