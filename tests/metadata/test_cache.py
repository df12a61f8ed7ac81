"""The cache key sees what user code depends on: the module file, every project module it
imports (found statically, followed transitively), and the installed TF/TFT/TFMA versions;
and the one rule of what is user code (`tfxkit.dsl.user_code`) that the cache, the executors
and the runner's workers share.

Mirrors cases/fail-early/cache_helper_module: `steps/preprocessing.py` imports
`steps/features.py`; changing only the helper must miss the cache.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import UserCodeComponent, make_examples
from tfxkit import Pipeline
from tfxkit.dsl.user_code import (
    dynamic_imports,
    is_user_file,
    library_versions,
    local_imports,
    locate_user_code,
    user_code_hash,
    user_frame,
)
from tfxkit.errors import ComponentArgumentError
from tfxkit.metadata.cache import cache_key
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]


def project(root: Path, files: dict[str, str]) -> Path:
    """A project folder (with pyproject.toml) holding `files` (relative path -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TEMPLATE_LIKE = {
    "steps/__init__.py": "",
    "steps/features.py": "NUMERIC_SCALE = 1.0\n",
    "steps/preprocessing.py": (
        "import tensorflow_transform as tft\n"
        "from steps.features import NUMERIC_SCALE\n"
        "from tfxkit.recipes.tabular import numeric_column\n\n"
        "def preprocessing_fn(inputs):\n"
        "    return {k: tft.scale_to_z_score(numeric_column(v)) * NUMERIC_SCALE\n"
        "            for k, v in inputs.items()}\n"),
    "steps/model.py": "def run_fn(fn_args):\n    pass\n",
    "data/unrelated.py": "X = 1\n",
}


def test_helper_module_is_part_of_the_user_code_hash(tmp_path: Path) -> None:
    root = project(tmp_path / "p", TEMPLATE_LIKE)
    module = str(root / "steps" / "preprocessing.py")
    assert local_imports(module) == [root / "steps" / "__init__.py", root / "steps" / "features.py"]
    before = user_code_hash(module)
    (root / "data" / "unrelated.py").write_text("X = 2\n")  # not imported: same key
    (root / "steps" / "model.py").write_text("def run_fn(fn_args):\n    return 1\n")
    assert user_code_hash(module) == before
    (root / "steps" / "features.py").write_text("NUMERIC_SCALE = 100.0\n")
    assert user_code_hash(module) != before


@pytest.mark.parametrize(("importer", "files"), [
    ("import steps.features\n", {}),
    ("from steps import features\n", {}),
    ("import steps.features as f\n", {}),
    ("from .features import NUMERIC_SCALE\n", {}),
    ("from . import features\n", {}),
    ("from steps.util import scale\n", {"steps/util.py": "from .features import NUMERIC_SCALE\n"}),
    ("import helpers\n", {"steps/helpers.py": "from steps.features import NUMERIC_SCALE\n"}),
    ("def f():\n    from steps.features import NUMERIC_SCALE\n", {}),
], ids=["import a.b", "from a import b", "import as", "relative from", "relative module",
        "transitive", "sibling on module folder", "import inside a function"])
def test_every_way_of_importing_the_helper_is_followed(
        tmp_path: Path, importer: str, files: dict[str, str]) -> None:
    root = project(tmp_path / "p", {**TEMPLATE_LIKE, **files,
                                    "steps/preprocessing.py": importer})
    module = str(root / "steps" / "preprocessing.py")
    assert root / "steps" / "features.py" in local_imports(module)
    before = user_code_hash(module)
    (root / "steps" / "features.py").write_text("NUMERIC_SCALE = 100.0\n")
    assert user_code_hash(module) != before


def test_libraries_and_tfxkit_itself_are_not_user_modules(tmp_path: Path) -> None:
    # In the repository, `tfxkit` is importable from the project root, yet it is not user code
    # (its version is in the key); installed libraries are never followed.
    module = REPO / "examples" / "penguin" / "penguin_module.py"
    found = local_imports(module)
    assert not [p for p in found if "site-packages" in str(p)]
    assert not [p for p in found if (REPO / "tfxkit") in p.parents]
    assert is_user_file(str(module))
    assert not is_user_file(str(REPO / "tfxkit" / "recipes" / "tabular.py"))
    assert not is_user_file(str(REPO / "components" / "transform" / "executor.py"))
    assert not is_user_file(str(REPO / "runners" / "local" / "workers.py"))
    assert not is_user_file(logging.__file__)


def test_a_user_folder_named_components_holds_user_frames(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"components/__init__.py": "",
                                    "components/step.py": "def run():\n    raise KeyError('x')\n"})
    assert is_user_file(str(root / "components" / "step.py"))
    namespace: dict[str, object] = {}
    code = compile((root / "components" / "step.py").read_text(),
                   str(root / "components" / "step.py"), "exec")
    exec(code, namespace)  # runs the user file as tfxkit's module loader does
    with pytest.raises(KeyError) as raised:
        namespace["run"]()  # type: ignore[operator]
    assert user_frame(raised.value) == (str(root / "components" / "step.py"), 2, "run")


def test_dotted_path_is_located_without_importing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Another test in this process may have imported some project's `steps` package: set it
    # aside, so the check below sees only what locating and hashing import.
    for name in [m for m in sys.modules if m == "steps" or m.startswith("steps.")]:
        monkeypatch.delitem(sys.modules, name)
    root = project(tmp_path / "p", TEMPLATE_LIKE)
    assert locate_user_code("steps.preprocessing.preprocessing_fn", [str(root)]) == (
        root / "steps" / "preprocessing.py")
    before = user_code_hash("steps.preprocessing.preprocessing_fn", [str(root)])
    (root / "steps" / "features.py").write_text("NUMERIC_SCALE = 100.0\n")
    assert user_code_hash("steps.preprocessing.preprocessing_fn", [str(root)]) != before
    assert "steps.preprocessing" not in sys.modules
    with pytest.raises(ComponentArgumentError, match="not found"):
        locate_user_code("steps.nothing_here.fn", [str(tmp_path / "empty")])


def test_computed_imports_are_reported_as_untracked(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    root = project(tmp_path / "p", {"m.py": "import importlib\nNAME = 'x'\n"
                                            "mod = importlib.import_module(NAME)\n"
                                            "ok = importlib.import_module('json')\n"})
    assert dynamic_imports(root / "m.py") == [f"{root / 'm.py'}:3"]
    gen = make_examples(root=str(tmp_path))
    node = UserCodeComponent(examples=gen.outputs["examples"], module_file=str(root / "m.py"))
    with caplog.at_level(logging.WARNING):
        cache_key(node, node.exec_properties, {})
    assert "not tracked by the cache key" in caplog.text and "m.py:3" in caplog.text


def test_installed_library_versions_are_part_of_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    versions = library_versions()
    for name in ("tensorflow", "tensorflow-transform", "tensorflow-model-analysis"):
        assert versions[name] == importlib.metadata.version(name)
    gen = make_examples(root=str(tmp_path))
    before, _ = cache_key(gen, gen.exec_properties, {})
    monkeypatch.setattr("tfxkit.metadata.cache.library_versions",
                        lambda: {**versions, "tensorflow": "2.99.0"})
    after, _ = cache_key(gen, gen.exec_properties, {})
    assert before != after


def test_changing_only_the_helper_misses_the_cache_in_a_run(tmp_path: Path) -> None:
    root = project(tmp_path / "p", TEMPLATE_LIKE)
    module = root / "steps" / "preprocessing.py"

    def run() -> str:
        gen = make_examples(root=str(tmp_path))
        user = UserCodeComponent(examples=gen.outputs["examples"], module_file=str(module))
        pipeline = Pipeline("helper", str(tmp_path / "out"), [gen, user])
        result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
        return result.outcome("UserCodeComponent")

    assert run() == "ran"
    assert run() == "cached"
    (root / "steps" / "features.py").write_text("NUMERIC_SCALE = 100.0\n")
    assert run() == "ran"
    assert run() == "cached"


def test_runner_error_points_into_a_user_folder_named_components(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfxkit.errors import ExecutionError

    root = project(tmp_path / "p", {
        "components/__init__.py": "",
        "components/steps.py": (
            "from tfxkit import Output, component\n"
            "from tfxkit.types.standard_artifacts import Model\n\n"
            "@component\n"
            "def broken_step(model: Output[Model]) -> None:\n"
            "    import json\n"
            "    json.loads('{not json')  # fails inside the standard library\n")})
    monkeypatch.syspath_prepend(str(root))
    for name in [n for n in sys.modules if n == "components" or n.startswith("components.")]:
        monkeypatch.delitem(sys.modules, name)
    from components.steps import broken_step

    pipeline = Pipeline("frames", str(tmp_path / "out"), [broken_step()])
    with pytest.raises(ExecutionError) as raised:
        LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
    assert f"(at {root / 'components' / 'steps.py'}:7 in broken_step)" in str(raised.value)
    for name in [n for n in sys.modules if n == "components" or n.startswith("components.")]:
        monkeypatch.delitem(sys.modules, name)
