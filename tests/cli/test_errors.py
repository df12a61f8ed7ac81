"""Issue 19: the CLI never dumps a traceback by default.

Every error is one short block on stderr (what, where, how to fix, the resume command once) with
exit code 1; the traceback only with `-v` (or in the node's log file, whose path is printed).
Pipeline files that cannot be loaded, `create_pipeline()` raising, `-p` values of the wrong type
and node failures are each covered for several kinds of the same fault.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.resources.permissions import permission_checked
from tfxkit.cli.main import main

RESOURCES = Path(__file__).parent / "resources"


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working folder holding copies of the resource pipelines."""
    for name in ("tiny.py", "raises.py", "str_param.py"):
        shutil.copy(RESOURCES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tfxkit(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capfd.readouterr()
    return code, out, err


# -- -p values take the declared type (case cli_str_param) ------------------------------------
@pytest.mark.parametrize(("text", "seen"), [("2024", "'2024'"), ("true", "'true'"),
                                            ("[1, 2]", "'[1, 2]'"), ("null", "'null'")])
def test_str_runtime_parameter_takes_the_text_verbatim(
        scratch: Path, capfd: pytest.CaptureFixture[str], text: str, seen: str) -> None:
    code, _, err = tfxkit(capfd, "run", "str_param.py", "-p", f"tag={text}", "--no-cache")
    assert code == 0, err
    [written] = (scratch / "out").glob("show/examples/*/seen.txt")
    assert written.read_text() == f"(0.0, 1e-05, 0, False, {seen})"


def test_non_str_runtime_parameters_are_decoded(scratch: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = tfxkit(capfd, "run", "str_param.py", "-p", "lr=0.25", "-p", "tiny=1",
                          "-p", "steps=12", "-p", "flag=true", "-p", "tag=x", "--no-cache")
    assert code == 0, err
    [written] = (scratch / "out").glob("show/examples/*/seen.txt")
    assert written.read_text() == "(0.25, 1.0, 12, True, 'x')"


@pytest.mark.parametrize(("param", "message"), [
    ("steps=abc", "-p steps: runtime parameter 'steps' expects int, given 'abc'."),
    ("steps=2.5", "-p steps: runtime parameter 'steps' expects int, given '2.5'."),
    ("lr=fast", "-p lr: runtime parameter 'lr' expects float, given 'fast'."),
    ("flag=maybe", "-p flag: runtime parameter 'flag' expects bool, given 'maybe'."),
    ("pipeline_root=2024", None),  # a str argument of create_pipeline stays text
])
def test_runtime_parameter_mismatch_is_one_line(scratch: Path, capfd: pytest.CaptureFixture[str],
                                                param: str, message: str | None) -> None:
    code, _, err = tfxkit(capfd, "compile", "str_param.py", "-p", param, "-o", "x.yaml",
                          "--image", "img:1")
    if message is None:
        assert code == 0, err
        return
    assert code == 1
    assert err == f"tfxkit: error: {message}\n"


def test_create_pipeline_str_arguments_stay_text(scratch: Path) -> None:
    from tfxkit.project.loading import load_pipeline, parse_param_pairs

    # `fail_msg: str` and `metadata: str | None` (string annotations: `from __future__`)
    pipeline, _ = load_pipeline("tiny.py", parse_param_pairs(["fail_msg=2024", "metadata=123"]))
    assert pipeline.components[1].exec_properties["fail_msg"] == "2024"
    assert pipeline.metadata == "123"


def test_path_and_untyped_arguments(scratch: Path) -> None:
    from tfxkit.project.loading import load_pipeline, parse_param_pairs

    (scratch / "paths.py").write_text(textwrap.dedent("""
        from pathlib import Path
        from tiny import create_pipeline as tiny

        SEEN = {}

        def create_pipeline(root: Path = Path("out"), extra=None, units: list[int] | None = None,
                            **more):
            SEEN.update(root=root, extra=extra, units=units, more=more)
            return tiny(pipeline_root=str(root))
    """))
    import sys

    load_pipeline("paths.py", parse_param_pairs(["root=2024", "extra=[1, 2]", "units=[8, 8]",
                                                 "other=text", "n=3"]))
    seen = sys.modules["paths"].SEEN
    assert seen == {"root": "2024", "extra": [1, 2], "units": [8, 8],
                    "more": {"other": "text", "n": 3}}


def test_create_pipeline_typed_arguments(scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from tfxkit.project.loading import load_pipeline, parse_param_pairs

    pipeline, _ = load_pipeline("tiny.py", parse_param_pairs(["rows=4", "sleep=1"]))
    [make_data, _train] = pipeline.components
    assert make_data.exec_properties["rows"] == 4
    assert make_data.exec_properties["sleep"] == 1.0
    code, _, err = tfxkit(capfd, "run", "tiny.py", "-p", "rows=four")
    assert (code, err) == (1, "tfxkit: error: -p rows: create_pipeline() in tiny.py expects int, "
                              "given 'four'.\n")


# -- pipeline files that cannot be loaded (cases run_not_python, pipeline_syntax_error) -------
def _write(path: Path, text: str | bytes) -> str:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return path.name


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return path.name


@pytest.mark.parametrize("command", [["run"], ["compile"], ["deploy", "--host", "http://kfp"]])
@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: _write(d / "hostname", "hello\n"),
     "tfxkit: error: hostname is not a Python file (expected a .py file defining "
     "create_pipeline()).\n"),
    (lambda d: (d / "folder").mkdir() or "folder",
     "tfxkit: error: folder is a directory, not a pipeline file (expected a .py file defining "
     "create_pipeline()).\n"),
    (lambda d: "missing.py",
     "tfxkit: error: Pipeline file missing.py does not exist (expected a .py file defining "
     "create_pipeline(), e.g. pipeline/pipeline.py).\n"),
    (lambda d: _fifo(d / "fifo.py"),
     "tfxkit: error: fifo.py is not a regular file (expected a .py file defining "
     "create_pipeline()).\n"),
    (lambda d: _write(d / "binary.py", b"\x7fELF\x02\x01\x01\x00\x00\x00"),
     "tfxkit: error: binary.py is a binary file, not Python source (expected a .py file "
     "defining create_pipeline()).\n"),
    (lambda d: _write(d / "broken.py", "def create_pipeline(:\n    pass\n"),
     "tfxkit: error: broken.py, line 1: invalid syntax\n"
     "    def create_pipeline(:\n"
     "                        ^\n"),
    (lambda d: _write(d / "indent.py", "def create_pipeline():\nreturn 1\n"),
     "tfxkit: error: indent.py, line 2: expected an indented block after function definition "
     "on line 1\n    return 1\n    ^^^^^^\n"),
    (lambda d: _write(d / "noname.py", "x = 1\nundefined_thing()\n"),
     "tfxkit: error: Importing noname.py failed: NameError: name 'undefined_thing' is not "
     "defined (noname.py, line 2)\n"),
    (lambda d: _write(d / "nopkg.py", "import no_such_package_xyz\n"),
     "tfxkit: error: Importing nopkg.py failed: ModuleNotFoundError: No module named "
     "'no_such_package_xyz' (nopkg.py, line 1)\n"),
    (lambda d: _write(d / "empty.py", ""),
     "tfxkit: error: empty.py has no create_pipeline() function. Define `def "
     "create_pipeline(**params) -> Pipeline` in it.\n"),
    (lambda d: _write(d / "returns.py", "def create_pipeline():\n    return 3\n"),
     "tfxkit: error: returns.py: create_pipeline() returned int, expected a tfxkit Pipeline. "
     "End it with `return Pipeline(...)`.\n"),
], ids=["not_python", "directory", "missing", "fifo", "binary", "syntax_error", "indentation",
        "name_error", "import_error", "no_create_pipeline", "returns_non_pipeline"])
def test_unloadable_pipeline_file_is_one_clean_error(
        scratch: Path, capfd: pytest.CaptureFixture[str], command: list[str], make, expected: str
) -> None:
    path = make(scratch)
    code, out, err = tfxkit(capfd, command[0], path, *command[1:])
    assert (code, out) == (1, "")
    assert err == expected
    assert "Traceback" not in err


def test_unreadable_pipeline_file(scratch: Path) -> None:
    path = scratch / "secret.py"
    path.write_text("def create_pipeline():\n    pass\n")
    path.chmod(0)
    done = subprocess.run(permission_checked([sys.executable, "-m", "tfxkit", "run", "secret.py"]),
                          cwd=scratch, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("tfxkit: error: Cannot read pipeline file secret.py: Permission denied. "
                           "Check its permissions.\n")


def test_syntax_error_in_a_module_the_pipeline_imports_points_there(
        scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (scratch / "helpers.py").write_text("def rows():\n    return 3 +\n")
    (scratch / "uses.py").write_text("from helpers import rows\n\ndef create_pipeline():\n"
                                     "    pass\n")
    code, _, err = tfxkit(capfd, "run", "uses.py")
    assert code == 1
    assert err == "tfxkit: error: helpers.py, line 2: invalid syntax\n    return 3 +\n" \
                  "              ^\n"


# -- create_pipeline() raises (case create_pipeline_raises) ------------------------------------
@pytest.mark.parametrize("command", [["run"], ["compile"], ["deploy", "--host", "http://kfp"]])
def test_create_pipeline_raising_is_one_line(scratch: Path, capfd: pytest.CaptureFixture[str],
                                             command: list[str]) -> None:
    code, out, err = tfxkit(capfd, command[0], "raises.py", *command[1:])
    assert (code, out) == (1, "")
    assert err == ("tfxkit: error: create_pipeline() in raises.py raised ValueError: cannot "
                   "build: rows=3 is not supported (raises.py, line 2)\n")


def test_create_pipeline_raising_shows_the_traceback_with_v(
        scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = tfxkit(capfd, "run", "raises.py", "-v")
    assert code == 1
    assert err.startswith("Traceback (most recent call last):")
    assert 'raises.py", line 2, in create_pipeline' in err
    assert err.rstrip().endswith("(raises.py, line 2)")


def test_exception_raised_in_a_helper_names_the_helper(
        scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (scratch / "helpers.py").write_text("def settings():\n    return {}['missing_key']\n")
    (scratch / "calls.py").write_text("from helpers import settings\n\ndef create_pipeline():\n"
                                      "    return settings()\n")
    code, _, err = tfxkit(capfd, "compile", "calls.py")
    assert code == 1
    assert err == ("tfxkit: error: create_pipeline() in calls.py raised KeyError: 'missing_key' "
                   "(helpers.py, line 2, in settings)\n")


def test_pipeline_definition_error_keeps_its_message(
        scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (scratch / "dup.py").write_text(textwrap.dedent("""
        from tiny import make_data
        from tfxkit import Pipeline

        def create_pipeline():
            return Pipeline("dup", "out", [make_data(), make_data()])
    """))
    code, _, err = tfxkit(capfd, "compile", "dup.py")
    assert code == 1
    # tfxkit's own check: its message as is, where the user wrote it, no "raised <Type>" framing
    assert err.startswith("tfxkit: error: Pipeline 'dup': component ids must be unique. ")
    assert "(dup.py, line 6)" in err.splitlines()[0]
    assert "raised" not in err and "Traceback" not in err


# -- a node fails (case failure_output_noise) --------------------------------------------------
def test_node_failure_is_one_block(scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = tfxkit(capfd, "run", "tiny.py", "-p", "pipeline_root=out",
                          "-p", "fail_msg=bad value in row 3")
    assert code == 1
    lines = err.splitlines()
    assert "Traceback" not in err
    assert len(lines) <= 9, err
    assert err.count("ValueError: bad value in row 3") == 1
    assert "tfxkit: error: train failed: ValueError: bad value in row 3" in lines
    assert err.count("--from train") == 1
    assert err.count("1 ran, 1 failed") == 1
    [where] = [line for line in lines if "tiny.py:23 in train" in line]
    log = Path(where.split("log: ")[1])
    assert log.is_file() and "Traceback (most recent call last)" in log.read_text()
    assert lines[-1] == ("  fix it, then resume with: tfxkit run tiny.py -p pipeline_root=out -p "
                         "'fail_msg=bad value in row 3' --from train")


def test_node_failure_with_v_adds_the_traceback(scratch: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = tfxkit(capfd, "run", "tiny.py", "-p", "pipeline_root=out",
                          "-p", "fail_msg=bad value in row 3", "-v")
    assert code == 1
    assert err.count("Traceback (most recent call last)") == 1
    assert 'tiny.py", line 23, in train' in err
    assert err.count("--from train") == 1 and err.count("1 ran, 1 failed") == 1


def test_in_process_node_failure_says_how_to_see_the_traceback(
        scratch: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, _, err = tfxkit(capfd, "run", "tiny.py", "-p", "pipeline_root=out", "--workers", "0",
                          "-p", "fail_msg=broken")
    assert code == 1 and "Traceback" not in err
    assert "  at tiny.py:23 in train; run with -v for the traceback" in err.splitlines()


def test_unexpected_exception_is_one_block(capfd: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    # `show` of a file (not a folder) in no store: an error of tfxkit's own making
    target = tmp_path / "plain.txt"
    target.write_text("x")
    code, _, err = tfxkit(capfd, "show", str(target))
    assert code == 1 and "Traceback" not in err
    assert err.startswith("tfxkit: error: ")


TF_PIPELINE = """
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen, SchemaGen, StatisticsGen, Transform


def create_pipeline(data: str = "data") -> Pipeline:
    gen = CsvExampleGen(input_base=data)
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file="prep.py")
    return Pipeline("shapes", "out", [gen, stats, schema, transform])
"""


@pytest.mark.integration
@pytest.mark.parametrize(("data", "node", "message", "where"), [
    ("empty", "CsvExampleGen", "found no data rows in empty/e.csv", None),
    ("data", "Transform", "preprocessing_fn raised NameError", "prep.py, line 3"),
], ids=["data_error", "tf_user_code_error"])
def test_every_node_failure_has_the_same_shape(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
        data: str, node: str, message: str, where: str | None) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text(
        "a,b,label\n" + "".join(f"{i / 10},{'xy'[i % 2]},{i % 2}\n" for i in range(40)))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "e.csv").write_text("a,b,label\n")
    (tmp_path / "prep.py").write_text("def preprocessing_fn(inputs):\n    out = dict(inputs)\n"
                                      "    out['c'] = inputs['a'] * undefined_scale\n"
                                      "    return out\n")
    (tmp_path / "p.py").write_text(TF_PIPELINE)
    code, _, err = tfxkit(capfd, "run", "p.py", "-p", f"data={data}")
    assert code == 1
    assert "Traceback" not in err and "last lines of" not in err
    assert err.count("tfxkit: error: ") == 1 and err.count("--from ") == 1
    [error] = [line for line in err.splitlines() if line.startswith("tfxkit: error: ")]
    assert error.startswith(f"tfxkit: error: {node} failed: ") and message in err
    assert where is None or where in err
    [log_line] = [line for line in err.splitlines() if "log: " in line]
    log = Path(log_line.split("log: ")[1])
    assert log.is_file() and "Traceback (most recent call last)" in log.read_text()
    assert err.splitlines()[-1] == f"  fix it, then resume with: tfxkit run p.py -p data={data} " \
                                   f"--from {node}"


def test_a_file_the_command_cannot_write_is_one_line(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "schema.pbtxt").write_text("")
    target = tmp_path / "no" / "such" / "page.html"
    code, _, err = tfxkit(capfd, "show", str(folder), "-o", str(target))
    assert (code, err) == (1, f"tfxkit: error: No such file or directory: {target}\n")


def test_a_message_of_several_lines_is_kept_whole(scratch: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    (scratch / "many.py").write_text(
        "def create_pipeline():\n"
        "    raise ValueError('first problem\\nsecond problem\\nFix: both')\n")
    code, _, err = tfxkit(capfd, "compile", "many.py")
    assert (code, err) == (1, "tfxkit: error: create_pipeline() in many.py raised ValueError "
                              "(many.py, line 2):\n  first problem\n  second problem\n"
                              "  Fix: both\n")
