"""The `tfxkit` command: run, runs, lineage, and a fast --help."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.resources.heavy_imports import loaded_after
from tfxkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_pipeline.py"
    path.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.resources.tiny_pipelines import create_pipeline as _create

        def create_pipeline(rows: int = 3, fail_if_exists: str = ""):
            return _create({str(tmp_path / "out")!r}, rows=rows, fail_if_exists=fail_if_exists,
                           rows_param=False)
    '''))
    return path


def test_help_loads_nothing_heavy(capsys: pytest.CaptureFixture[str]) -> None:
    """`tfxkit --help` prints the commands and imports none of TF, TFDV, TFT, TFMA, Beam,
    ML Metadata or pyarrow (its speed follows from that; no wall-clock bound here)."""
    assert loaded_after("import contextlib, io\n"
                        "from tfxkit.cli.main import main\n"
                        "with contextlib.redirect_stdout(io.StringIO()):\n"
                        "    try:\n        main(['--help'])\n"
                        "    except SystemExit:\n        pass") == []
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "run" in out and "lineage" in out


def test_run_then_runs_then_lineage(pipeline_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(pipeline_file), "-p", "rows=4"]) == 0
    err = capsys.readouterr().err
    assert "combine" in err and "4 ran" in err
    assert main(["run", str(pipeline_file), "-p", "rows=4"]) == 0
    assert "4 cached" in capsys.readouterr().err
    assert main(["runs", str(pipeline_file)]) == 0
    listing = capsys.readouterr().out
    # The console's words (issue 14: one vocabulary across run, runs and report).
    assert listing.count("run ") == 2 and listing.count(" cached ") == 4
    assert listing.count(" ran ") == 4 and "COMPLETE" not in listing
    result_dir = next((pipeline_file.parent / "out" / "combine" / "result").iterdir())
    assert main(["lineage", str(result_dir)]) == 0
    tree = capsys.readouterr().out
    assert "produced by combine" in tree and "produced by make_examples" in tree
    assert "rows=4" in tree


def test_failed_run_prints_the_resume_command(pipeline_file: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "fail"
    marker.write_text("")
    code = main(["run", str(pipeline_file), "-p", f"fail_if_exists={marker}"])
    err = capsys.readouterr().err
    assert code == 1
    assert "count_rows failed" in err
    assert f"tfxkit run {pipeline_file} -p fail_if_exists={marker} --from count_rows" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "{file}", "-p", "colour=red"], "Unknown parameter(s) colour"),
    (["run", "{file}", "-p", "rows"], "-p expects key=value"),
    (["run", "{file}", "--only", "nope"], "has no component 'nope'"),
    (["run", "{file}", "--only", "count_row"],
     "has no component 'count_row'. Did you mean 'count_rows'? Components: "),
    (["run", "missing.py"], "does not exist"),
    (["runs"], "Which pipeline?"),
])
def test_bad_command_lines_get_clear_errors(argv: list[str], message: str, pipeline_file: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.replace("{file}", str(pipeline_file)) for a in argv]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
