"""The command a failed run prints to resume it: user text (braces, quotes, JSON) is never a
format template, the command is shell-quoted so it can be pasted, and it repeats the user's
selection (`--only` stays `--only`, `--to` is kept). Real `tfxkit run` subprocesses."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.errors import ExecutionError
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter

REPO = Path(__file__).resolve().parents[2]
TFXKIT = str(Path(sys.executable).parent / "tfxkit")


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.py"
    path.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.resources.tiny_pipelines import create_pipeline as _create

        def create_pipeline(rows: int = 3, fail_if_exists: str = ""):
            return _create({str(tmp_path / "out")!r}, rows=rows, fail_if_exists=fail_if_exists)
    '''))
    return path


def tfxkit(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(TFXKIT).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([TFXKIT, *argv], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300)


def resume_line(stderr: str) -> str:
    """The resume command: the end of stderr (it may span lines when a value holds one)."""
    assert stderr.count("resume with:") == 1, stderr
    return stderr.split("resume with:", 1)[1].strip()


@pytest.mark.parametrize("marker", ["bad {row}", '{"splits": [{}]} 100% $HOME \'q\'',
                                    "two\nlines {0}"])
def test_resume_hint_quotes_braces_and_can_be_pasted(pipeline_file: Path, marker: str) -> None:
    """QA: `-p 'fail_msg=bad {row}'` made the hint crash with KeyError 'row' (IndexError for
    `{}`), hiding the node's real error; JSON `-p` values (input_config) did the same."""
    cwd = pipeline_file.parent
    (cwd / marker).write_text("")
    done = tfxkit(cwd, "run", "tiny.py", "-p", f"fail_if_exists={marker}")
    assert done.returncode == 1
    assert "bug in tfxkit" not in done.stderr and "KeyError" not in done.stderr
    assert "count_rows failed: ValueError: asked to fail because" in done.stderr
    hint = resume_line(done.stderr)
    assert shlex.split(hint) == ["tfxkit", "run", "tiny.py", "-p", f"fail_if_exists={marker}",
                                 "--from", "count_rows"]
    (cwd / marker).unlink()  # fixed: the pasted command resumes the run
    resumed = subprocess.run(["bash", "-c", hint], cwd=cwd, capture_output=True, text=True,
                             env={**os.environ, "PATH": f"{Path(TFXKIT).parent}{os.pathsep}"
                                  f"{os.environ['PATH']}"}, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "tfxkit: 2 ran in" in resumed.stderr  # count_rows and combine; the rest reused


@pytest.mark.parametrize(("selection", "resume"), [
    (["--only", "count_rows"], ["--only", "count_rows"]),
    (["--to", "count_rows"], ["--from", "count_rows", "--to", "count_rows"]),
])
def test_resume_hint_repeats_the_selection(pipeline_file: Path, selection: list[str],
                                           resume: list[str]) -> None:
    """QA: after `--only Trainer` the hint said `--from Trainer` (which would run more)."""
    cwd = pipeline_file.parent
    assert tfxkit(cwd, "run", "tiny.py").returncode == 0
    (cwd / "fail").write_text("")
    done = tfxkit(cwd, "run", "tiny.py", "-p", "fail_if_exists=fail", "--no-cache", *selection)
    assert done.returncode == 1
    assert shlex.split(resume_line(done.stderr)) == [
        "tfxkit", "run", "tiny.py", "-p", "fail_if_exists=fail", *resume]


def test_python_hint_repeats_only_node_and_takes_braces_literally(tmp_path: Path) -> None:
    root = str(tmp_path / "out")
    LocalDagRunner(workers=0, hooks=SilentReporter()).run(create_pipeline(root))
    marker = tmp_path / "x{0}"
    marker.write_text("")
    failing = create_pipeline(root, fail_if_exists=str(marker))
    with pytest.raises(ExecutionError) as only:
        LocalDagRunner(workers=0, hooks=SilentReporter()).run(failing, only_node="count_rows",
                                                              enable_cache=False)
    assert "LocalDagRunner().run(pipeline, only_node='count_rows')" in str(only.value)
    with pytest.raises(ExecutionError) as templated:  # a string: only `{node}` is replaced
        LocalDagRunner(workers=0, hooks=SilentReporter(),
                       resume_command="run --x '{0} {}' --from {node}").run(failing)
    assert "run --x '{0} {}' --from count_rows" in str(templated.value)
