"""Runs that fail before a node executes are still recorded and shown, and their errors say
what the user set: real `tfxkit run`, `runs` and `report` subprocesses.

- a matched file that a symlinked folder leads out of input_base (case
  trust/pattern_escapes_input_base, variant `lnk/*.csv`) fails CsvExampleGen when its cache key
  is computed: the refusal is printed (not a KeyError from the resume hint), and the FAILED
  execution with its message is in ML Metadata, `tfxkit runs` and `tfxkit report`;
- a missing data folder given by `-p data_root=dta` is refused before anything runs, naming
  `-p data_root` (not input_base=) and without "run with -v" (a DataError says it all);
- a UserCodeError says where its full traceback is: the node's log file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CASE = Path("/work/shared/cases/trust/pattern_escapes_input_base")
REPO = Path(__file__).resolve().parents[2]
TFXKIT = str(Path(sys.executable).parent / "tfxkit")


def tfxkit(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TFXKIT, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def case(tmp_path: Path) -> Path:
    """The case's folder, copied, with `data/lnk` a symlink to `../outside`."""
    if not CASE.is_dir():
        pytest.skip("the QA cases are not on this machine")
    folder = tmp_path / "case"
    shutil.copytree(CASE, folder)
    (folder / "data" / "lnk").symlink_to("../outside")
    return folder


def executions(store: Path) -> list[tuple[str, str, str]]:
    """(node_id, state, error) of every execution in the SQLite store at `store`."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import connect

    found = []
    for execution in connect(str(store)).get_executions():
        props = execution.custom_properties
        found.append((props["node_id"].string_value,
                      pb.Execution.State.Name(execution.last_known_state),
                      props["error"].string_value if "error" in props else ""))
    return found


def test_symlinked_folder_refusal_is_shown_and_recorded(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "out1"
    config = json.dumps({"splits": [{"name": "train", "pattern": "*.csv"},
                                    {"name": "eval", "pattern": "lnk/*.csv"}]})
    params = ["-p", f"pipeline_root={root}", "-p", f"input_config={config}"]
    done = tfxkit(tmp_path, "run", str(case / "pipeline.py"), *params)
    assert done.returncode == 1
    assert "bug in tfxkit" not in done.stderr and "KeyError" not in done.stderr
    refusal = (f"ExampleGen input file {case}/data/lnk/other.csv -> {case}/outside/other.csv is "
               f"outside input_base {case}/data: a symlink leads out of it")
    assert f"tfxkit: error: CsvExampleGen failed: {refusal}" in done.stderr
    assert "run with -v" not in done.stderr  # a DataError's message says it all
    assert not list(root.glob("CsvExampleGen/examples/*"))  # no examples written

    [(node, state, error)] = executions(root / "metadata.sqlite")
    assert (node, state) == ("CsvExampleGen", "FAILED") and refusal in error

    listing = tfxkit(tmp_path, "runs", str(case / "pipeline.py"), *params)
    assert listing.returncode == 0, listing.stderr
    assert "CsvExampleGen" in listing.stdout and "failed" in listing.stdout
    assert "DataError: ExampleGen input file" in listing.stdout  # the error, shortened

    page = tmp_path / "report.html"
    report = tfxkit(tmp_path, "report", "latest", str(case / "pipeline.py"), *params,
                    "-o", str(page))
    assert report.returncode == 0, report.stderr
    html = page.read_text()
    assert "CsvExampleGen" in html and "is outside input_base" in html
    assert "in 0.00 s" not in html


DATA_ROOT_PIPELINE = '''
from pathlib import Path

from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen

HERE = Path(__file__).resolve().parent


def create_pipeline(pipeline_root: str = "out", data_root: str = "data") -> Pipeline:
    return Pipeline("dataroot", pipeline_root, [CsvExampleGen(input_base=str(HERE / data_root))])
'''


@pytest.mark.parametrize("value", ["dta", "nested/dta"])
def test_missing_data_folder_names_the_p_option(tmp_path: Path, value: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("a,b\n1,2\n")
    (tmp_path / "pipeline.py").write_text(DATA_ROOT_PIPELINE)
    done = tfxkit(tmp_path, "run", "pipeline.py", "-p", f"data_root={value}")
    assert done.returncode == 1
    assert done.stderr == (
        f"tfxkit: error: ExampleGen input_base: directory '{tmp_path / value}' (-p data_root) "
        f"does not exist. Pass -p data_root= the folder holding your data files.\n")
    assert not (tmp_path / "out").exists()  # refused before anything ran or was recorded


USER_CODE_PIPELINE = '''
import sys
sys.path.insert(0, {repo!r})

from tfxkit import Output, Pipeline, component
from tfxkit.types.standard_artifacts import Model


def preprocessing_fn(rows):
    return rows["missing"]


@component
def transform(model: Output[Model]) -> None:
    from tfxkit.components._shared.user_code import call_user_function

    call_user_function(preprocessing_fn, {{}}, component="transform", what="preprocessing_fn")


def create_pipeline():
    return Pipeline("usercode", {root!r}, [transform()])
'''


def test_user_code_error_says_where_its_traceback_is(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(textwrap.dedent(USER_CODE_PIPELINE.format(
        repo=str(REPO), root=str(tmp_path / "out"))))
    done = tfxkit(tmp_path, "run", "pipeline.py")
    assert done.returncode == 1
    assert "preprocessing_fn raised KeyError" in done.stderr
    assert "chained" not in done.stderr
    [log] = (tmp_path / "out" / "transform" / ".logs").glob("*.log")
    assert f"the full traceback is in {log}" in done.stderr
    assert "Traceback (most recent call last)" in log.read_text()
    [(_, state, error)] = executions(tmp_path / "out" / "metadata.sqlite")
    assert state == "FAILED" and f"the full traceback is in {log}" in error
