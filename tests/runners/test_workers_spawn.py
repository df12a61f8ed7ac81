"""Spawned workers never re-run the user's script (issue 19, last problem of its list).

A script that imports TensorFlow (so workers are spawned, not forked) and runs two pipelines
without an `if __name__ == "__main__":` guard used to run its own top-level code again in every
worker: the second run failed with FileNotFoundError on a node's log. Each test runs a real
script in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

TWO_RUNS = """
    import os
    import sys
    {heavy_import}
    from tests.resources.tiny_pipelines import create_pipeline
    from tfxkit.runners import LocalDagRunner

    root = sys.argv[1]
    print("TOP-LEVEL RAN", flush=True)
    os.mkdir(os.path.join(root, "made_by_script"))  # FileExistsError if this runs twice
    for name in ("first", "second"):
        result = LocalDagRunner(workers=2, start_method={start_method!r}).run(
            create_pipeline(os.path.join(root, name)))
        print(name, sorted(result.nodes[n].outcome for n in result.nodes), flush=True)
    print("DONE", flush=True)
"""

OWN_COMPONENT = """
    import os
    import sys
    from pathlib import Path

    from tfxkit import Output, Parameter, Pipeline, component
    from tfxkit.runners import LocalDagRunner
    from tfxkit.types.standard_artifacts import Examples


    @component
    def write_rows(examples: Output[Examples], rows: Parameter[int] = 2) -> None:
        Path(examples.uri, "rows.txt").write_text(str(rows))


    def main() -> None:
        root = sys.argv[1]
        print("TOP-LEVEL RAN", flush=True)
        LocalDagRunner(workers=1, start_method="spawn").run(
            Pipeline("own", root, [write_rows()]))
        print("DONE", flush=True)


    {call}
"""


def run_script(tmp_path: Path, source: str, timeout: float = 300) -> subprocess.CompletedProcess:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source))
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, str(script), str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.integration
def test_script_importing_tensorflow_runs_two_pipelines_without_a_main_guard(
        tmp_path: Path) -> None:
    done = run_script(tmp_path, TWO_RUNS.format(heavy_import="import tensorflow",
                                                start_method=None))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("TOP-LEVEL RAN") == 1, done.stdout
    assert "first ['ran', 'ran', 'ran', 'ran']" in done.stdout
    assert "second ['ran', 'ran', 'ran', 'ran']" in done.stdout
    assert "DONE" in done.stdout and "FileExistsError" not in done.stderr


def test_spawned_workers_do_not_import_the_script(tmp_path: Path) -> None:
    done = run_script(tmp_path, TWO_RUNS.format(heavy_import="", start_method="spawn"),
                      timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("TOP-LEVEL RAN") == 1, done.stdout
    assert "second ['ran', 'ran', 'ran', 'ran']" in done.stdout


def test_component_defined_in_an_unguarded_script_is_refused_plainly(tmp_path: Path) -> None:
    done = run_script(tmp_path, OWN_COMPONENT.format(call="main()"), timeout=180)
    assert done.returncode == 1
    assert done.stdout.count("TOP-LEVEL RAN") == 1
    assert ("Pipeline 'own' uses write_rows, defined in the script you ran "
            f"({tmp_path / 'user_script.py'})") in done.stderr
    assert 'has no `if __name__ == "__main__":` guard' in done.stderr
    assert "LocalDagRunner(workers=0)" in done.stderr
    assert not (tmp_path / "out" / "metadata.sqlite").exists()  # refused before anything


def test_component_defined_in_a_guarded_script_runs_in_spawned_workers(tmp_path: Path) -> None:
    done = run_script(tmp_path, OWN_COMPONENT.format(
        call='if __name__ == "__main__":\n        main()'), timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("TOP-LEVEL RAN") == 1 and "DONE" in done.stdout
    [rows] = list((tmp_path / "out" / "write_rows").glob("examples/*/rows.txt"))
    assert rows.read_text() == "2"


def test_references_to_main_are_found() -> None:
    from tests.resources.tiny_pipelines import create_pipeline
    from tfxkit.runners.local.workers import main_module_references

    assert main_module_references(create_pipeline("/tmp/unused")) == []
