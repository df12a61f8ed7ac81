"""Hostile-input cases: The command line (issue 19): parameter types, argument order, pipeline
files that fail to load, failure output.

Each case writes its pipeline file under `root/` and calls the CLI in-process: the error must be
one `tfxkit: error:` block naming the file (and line), with no traceback, and the store under
`root/` must stay empty (nothing runs).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.harness import cli


def _file(root: Path, name: str, text: str | bytes) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return path


def pipeline_file(name: str, text: str | bytes, *argv: str,
                  command: str = "run") -> Callable[[Path], Callable[[], None]]:
    """A case: `tfxkit COMMAND root/NAME ARGV...` where the file holds `text`."""
    def make(root: Path) -> Callable[[], None]:
        path = _file(root, name, text)
        return cli(command, str(path), *[a.replace("{root}", str(root)) for a in argv])
    return make


TYPED = '''
    from tfxkit import Output, Parameter, Pipeline, RuntimeParameter, component
    from tfxkit.types.standard_artifacts import Examples

    @component
    def node(examples: Output[Examples], steps: Parameter[int] = 1,
             tag: Parameter[str] = "") -> None:
        pass

    def create_pipeline(root: str, rows: int = 3) -> Pipeline:
        return Pipeline("typed", root, [node(steps=RuntimeParameter("steps", int, 1),
                                             tag=RuntimeParameter("tag", str, ""))])
'''

FAILS = '''
    from tfxkit import Output, Parameter, Pipeline, component
    from tfxkit.types.standard_artifacts import Examples

    @component
    def fail(examples: Output[Examples], msg: Parameter[str] = "") -> None:
        raise ValueError(msg)

    def create_pipeline(root: str, msg: str = "") -> Pipeline:
        return Pipeline("fails", root, [fail(msg=msg)])
'''

DATA_ROOT = '''
    from pathlib import Path

    from tfxkit import Pipeline
    from tfxkit.components import CsvExampleGen

    def create_pipeline(root: str, data_root: str = "data") -> Pipeline:
        return Pipeline("data", root, [CsvExampleGen(input_base=str(Path(root) / data_root))])
'''

CASES: list[Any] = [
    ("cli_not_python_file", pipeline_file("hostname", "hello\n"),
     r"tfxkit: error: \S*hostname is not a Python file \(expected a \.py file defining "
     r"create_pipeline\(\)\)"),
    ("cli_pipeline_file_is_binary", pipeline_file("bin.py", b"\x00\x01\x02"),
     r"bin\.py is a binary file, not Python source"),
    ("cli_pipeline_syntax_error", pipeline_file("broken.py", "def create_pipeline(:\n"),
     r"tfxkit: error: \S*broken\.py, line 1: invalid syntax\n    def create_pipeline\(:\n"
     r" +\^\n" + r"(?![\s\S]*Traceback)"),
    ("cli_pipeline_syntax_error_compile",
     pipeline_file("broken.py", "x = (\n", command="compile"),
     r"broken\.py, line 1: '\(' was never closed"),
    ("cli_pipeline_name_error_at_import", pipeline_file("names.py", "import os\nnope()\n"),
     r"Importing \S*names\.py failed: NameError: name 'nope' is not defined "
     r"\(\S*names\.py, line 2\)"),
    ("cli_pipeline_missing_package", pipeline_file("pkg.py", "import not_installed_pkg_1\n"),
     r"ModuleNotFoundError: No module named 'not_installed_pkg_1' \(\S*pkg\.py, line 1\)"),
    ("cli_create_pipeline_raises",
     pipeline_file("raises.py", 'def create_pipeline(rows: int = 3):\n'
                                '    raise ValueError(f"cannot build: rows={rows} is not '
                                'supported")\n'),
     r"tfxkit: error: create_pipeline\(\) in raises\.py raised ValueError: cannot build: "
     r"rows=3 is not supported \(raises\.py, line 2\)" + r"(?![\s\S]*Traceback)"),
    ("cli_create_pipeline_raises_on_deploy",
     pipeline_file("raises.py", "def create_pipeline():\n    return 1 / 0\n",
                   "--host", "http://127.0.0.1:9", command="deploy"),
     r"create_pipeline\(\) in raises\.py raised ZeroDivisionError: division by zero "
     r"\(raises\.py, line 2\)"),
    ("cli_create_pipeline_returns_none",
     pipeline_file("none.py", "def create_pipeline():\n    pass\n"),
     r"create_pipeline\(\) returned NoneType, expected a tfxkit Pipeline"),
    ("cli_runtime_param_wrong_type", pipeline_file("typed.py", TYPED, "-p", "root={root}",
                                                   "-p", "steps=many"),
     r"tfxkit: error: -p steps: runtime parameter 'steps' expects int, given 'many'\."),
    ("cli_create_pipeline_arg_wrong_type", pipeline_file("typed.py", TYPED, "-p", "root={root}",
                                                         "-p", "rows=3.5"),
     r"-p rows: create_pipeline\(\) in typed\.py expects int, given '3\.5'\."),
    ("cli_param_without_value", pipeline_file("typed.py", TYPED, "-p", "root={root}",
                                              "-p", "steps"),
     r"-p expects key=value with a Python identifier as key, found 'steps'"),
    ("cli_unknown_param", pipeline_file("typed.py", TYPED, "-p", "root={root}", "-p", "stpes=3"),
     r"Unknown parameter\(s\) stpes for \S*typed\.py: create_pipeline\(\) and the pipeline's "
     r"runtime parameters accept root, rows, steps, tag"),
    ("cli_new_unknown_option",
     lambda root: cli("new", "tabular-classification", "-o", str(root / "projects"),
                      "project_slug=x", "--no-input", "--colour"),
     r"unrecognized arguments: --colour"),
    # user text is never a format template: the node's own error and a pasteable resume line
    ("cli_failing_node_with_braces_in_param",
     pipeline_file("fails.py", FAILS, "-p", "root={root}", "-p", "msg=bad {row}"),
     r"tfxkit: error: fail failed: ValueError: bad \{row\}\n[\s\S]*resume with: tfxkit run "
     r"\S*fails\.py -p root=\S* -p 'msg=bad \{row\}' --from fail\n(?![\s\S]*bug in tfxkit)"),
    ("cli_failing_node_with_json_param",
     pipeline_file("fails.py", FAILS, "-p", "root={root}", "-p", 'msg={"splits": [{}, "%s"]}'),
     r"failed: ValueError: \{\"splits\": \[\{\}, \"%s\"\]\}[\s\S]*resume with: .* "
     r"-p 'msg=\{\"splits\": \[\{\}, \"%s\"\]\}' --from fail\n(?![\s\S]*IndexError)"),
    ("cli_missing_data_folder_from_p_option",
     pipeline_file("data.py", DATA_ROOT, "-p", "root={root}", "-p", "data_root=dta"),
     r"^(?![\s\S]*-v)[\s\S]*tfxkit: error: ExampleGen input_base: directory '\S*/dta' "
     r"\(-p data_root\) does not exist\. Pass -p data_root= the folder holding your data"),
]


def _file_named(name: str) -> Callable[[Path], Callable[[], None]]:
    def make(root: Path) -> Callable[[], None]:
        _file(root, name, "not a folder")
        return cli("models", str(root / name))
    return make


# `tfxkit models` / `tfxkit show` (QA walkthrough): a mistyped destination or id is an error
# (exit 1) naming what was expected, not an empty listing or a hint for the wrong option.
CASES += [
    ("cli_models_mistyped_destination", lambda root: cli("models", str(root / "nothere")),
     r"(?m)^tfxkit: error: no push destination at \S*nothere: expected the Pusher's "
     r"push_destination folder \(e\.g\. serving/<model>\), found nothing\.$"),
    ("cli_models_destination_is_a_file", _file_named("serving"),
     r"no push destination at \S*serving: .*found a file\."),
    ("cli_models_history_of_mistyped_destination",
     lambda root: cli("models", str(root / "nothere"), "--history"),
     r"no push destination at \S*nothere"),
    ("cli_show_word_that_is_no_id", lambda root: cli("show", str(root / "latest")),
     r"is neither an artifact folder nor an artifact id in a metadata store \(pass --metadata "
     r"LOCATION for ids\); expected an artifact id such as 3"),
]
