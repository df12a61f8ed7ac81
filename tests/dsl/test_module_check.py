"""User modules are checked when the pipeline is built, without importing them (issue 19 item
1): the file exists, compiles (errors name the user's file and line), and defines
`preprocessing_fn` / `run_fn` with a signature the executor can call."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfxkit.components import Trainer, Transform
from tfxkit.dsl.module_check import PREPROCESSING_FN, RUN_FN, check_user_code
from tfxkit.errors import ComponentArgumentError
from tfxkit.types import Channel
from tfxkit.types.standard_artifacts import Examples, Schema

CASES = Path("/work/shared/cases/fail-early")
REPO = Path(__file__).resolve().parents[2]


def _transform(module_file: str | None = None, preprocessing_fn: str | None = None) -> Transform:
    return Transform(examples=Channel(Examples), schema=Channel(Schema), module_file=module_file,
                     preprocessing_fn=preprocessing_fn)


def _write(tmp_path: Path, text: str, name: str = "steps.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_case_transform_syntax_error_is_reported_at_construction() -> None:
    path = CASES / "transform_syntax_error" / "tr_syntax.py"
    with pytest.raises(ComponentArgumentError) as caught:
        _transform(module_file=str(path))
    lines = str(caught.value).splitlines()
    assert lines[0] == "Transform: tr_syntax.py, line 3: invalid syntax"
    assert lines[1].strip() == "return {k: v for k, v in inputs.items() if }"
    assert lines[2].index("^") == lines[1].index("}")  # the caret under the error
    assert str(path) in str(caught.value) and "tfxkit" not in str(caught.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("def preprocessing_fn(inputs):\nreturn inputs\n",
     "line 2: expected an indented block after function definition on line 1"),
    ("def preprocessing_fn(inputs):\n    return inputs\n  x = 1\n", "line 3: unindent does not"),
    ("def preprocessing_fn(inputs):\n    return inputs\nreturn 3\n",
     "line 3: 'return' outside function"),  # found by compile(), not by the parser
    ("x = (1,\n", "line 1: '(' was never closed"),
])
def test_syntax_and_indentation_errors_name_the_users_line(tmp_path: Path, text: str,
                                                           expected: str) -> None:
    with pytest.raises(ComponentArgumentError, match=re.escape(f"Transform: steps.py, {expected}")):
        _transform(module_file=_write(tmp_path, text))


@pytest.mark.parametrize(("text", "message"), [
    ("def preprocess(inputs):\n    return inputs\n",
     r"defines no function 'preprocessing_fn' at module level \(functions found: preprocess\)"),
    ("def preprocessing_fn(inputs, schema):\n    return inputs\n",
     r"preprocessing_fn at .*steps.py:1 is defined as preprocessing_fn\(inputs, schema\), which "
     r"cannot be called with 1 argument.*missing a required argument: 'schema'"),
    ("def preprocessing_fn():\n    return {}\n", r"too many positional arguments"),
    ("async def preprocessing_fn(inputs):\n    return inputs\n", r"is `async def`"),
    ("def preprocessing_fn(*, inputs):\n    return inputs\n", r"too many positional"),
])
def test_missing_or_uncallable_preprocessing_fn(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ComponentArgumentError, match=message):
        _transform(module_file=_write(tmp_path, text))


@pytest.mark.parametrize("text", [
    "import tensorflow as tf\n\ndef preprocessing_fn(inputs):\n    return inputs\n",
    "def preprocessing_fn(inputs, custom_config):\n    return inputs\n",
    "def preprocessing_fn(inputs, custom_config=None, *rest, **more):\n    return inputs\n",
    "def preprocessing_fn(*args):\n    return args[0]\n",
    "from helpers import preprocessing_fn\n",
    "from helpers import *\n",
    "def make():\n    return None\npreprocessing_fn = make()\n",
    "try:\n    import fast\nexcept ImportError:\n    pass\nelse:\n"
    "    def preprocessing_fn(inputs):\n        return inputs\n",
])
def test_valid_modules_pass_without_being_imported(tmp_path: Path, text: str) -> None:
    _transform(module_file=_write(tmp_path, text))


def test_run_fn_contract(tmp_path: Path) -> None:
    with pytest.raises(ComponentArgumentError, match=r"run_fn at .*defined as run_fn\(fn_args, "
                                                     r"extra\)"):
        Trainer(examples=Channel(Examples),
                module_file=_write(tmp_path, "def run_fn(fn_args, extra):\n    pass\n"))
    with pytest.raises(ComponentArgumentError, match=r"defines no function 'run_fn'.*"
                                                     r"functions found: train_fn"):
        Trainer(examples=Channel(Examples),
                module_file=_write(tmp_path, "def train_fn(fn_args):\n    pass\n", "m.py"))
    Trainer(examples=Channel(Examples),
            module_file=_write(tmp_path, "def run_fn(fn_args):\n    pass\n", "ok.py"))


def test_missing_folder_and_non_python_files(tmp_path: Path) -> None:
    with pytest.raises(ComponentArgumentError, match=r"'nope.py' does not exist \(resolved "
                                                     r"against the working directory"):
        _transform(module_file="nope.py")
    with pytest.raises(ComponentArgumentError, match="is a folder; expected a Python source"):
        _transform(module_file=str(tmp_path))
    (tmp_path / "steps.txt").write_text("def preprocessing_fn(inputs): pass\n")
    with pytest.raises(ComponentArgumentError, match=r"is not a \.py file"):
        _transform(module_file=str(tmp_path / "steps.txt"))
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    with pytest.raises(ComponentArgumentError, match="nul.py"):
        _transform(module_file=str(tmp_path / "nul.py"))


def test_dotted_paths_are_located_on_sys_path_without_importing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "proj_steps"
    package.mkdir()
    # the package's __init__ would fail if it ran: the check must only read files
    (package / "__init__.py").write_text("raise RuntimeError('imported!')\n")
    (package / "prep.py").write_text("def preprocessing_fn(inputs):\n    return inputs\n"
                                     "def other(a, b):\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _transform(preprocessing_fn="proj_steps.prep.preprocessing_fn")
    with pytest.raises(ComponentArgumentError, match=r"other at .*prep.py:3 is defined as "
                                                     r"other\(a, b\)"):
        _transform(preprocessing_fn="proj_steps.prep.other")
    with pytest.raises(ComponentArgumentError, match=r"defines no function 'missing'"):
        _transform(preprocessing_fn="proj_steps.prep.missing")
    with pytest.raises(ComponentArgumentError, match=r"no package or module 'nowhere_pkg' is "
                                                     r"importable"):
        _transform(preprocessing_fn="nowhere_pkg.prep.preprocessing_fn")
    with pytest.raises(ComponentArgumentError, match="is not a dotted path"):
        _transform(preprocessing_fn="prep preprocessing_fn")
    assert "proj_steps" not in sys.modules


def test_object_store_module_files_are_left_to_the_executor() -> None:
    check_user_code("Transform", PREPROCESSING_FN, module_file="gs://bucket/steps.py")
    check_user_code("Trainer", RUN_FN, module_file="s3://bucket/model.py")


def test_checking_user_code_imports_no_tensorflow(tmp_path: Path) -> None:
    module = _write(tmp_path, "import tensorflow as tf\ndef run_fn(fn_args):\n    tf.constant(1)\n")
    script = (f"import sys\nfrom tfxkit.dsl.module_check import RUN_FN, check_user_code\n"
              f"check_user_code('Trainer', RUN_FN, module_file={module!r})\n"
              f"print([m for m in sys.modules if m.startswith('tensorflow')])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
