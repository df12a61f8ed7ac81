"""`tfxkit run --dry-run` and `tfxkit runs --why` on the command line: text and JSON, exit 0,
nothing touched (the store's bytes and mtime, no new folder), usage errors that say what to
type. The reasons themselves are tested in tests/runners/test_plan.py and
tests/metadata/test_explain.py."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.resources.explain_pipeline import write_project
from tests.runners.test_plan import snapshot
from tfxkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def tfxkit(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capfd.readouterr()
    return code, out, err


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    """A pipeline file for tests/resources/explain_pipeline.py in a project under tmp_path."""
    project = write_project(tmp_path / "project")
    path = project / "pipeline.py"
    path.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from tests.resources.explain_pipeline import create_pipeline as _create

        def create_pipeline(rows: int = 3):
            return _create({str(tmp_path / "out")!r}, {str(project)!r}, rows=rows)
    '''))
    return path


def test_dry_run_prints_verdicts_and_reasons_and_touches_nothing(
        pipeline_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code, out, err = tfxkit(capfd, "run", str(pipeline_file), "--dry-run")
    assert code == 0, err
    assert not (tmp_path / "out").exists()  # no store, no output folder
    assert out.splitlines()[1:] == [
        "  make_examples  would run",
        "                   no earlier execution of make_examples (no run recorded yet)",
        "  count_rows     would run",
        "                   no earlier execution of count_rows (no run recorded yet)",
        "  trainer        would run",
        "                   no earlier execution of trainer (no run recorded yet)",
        "  summarize      would run",
        "                   no earlier execution of summarize (no run recorded yet)",
        "4 of 4 node(s) would run: make_examples, count_rows, trainer, summarize."]
    assert out.startswith("Dry run of pipeline 'explained' against ")

    assert tfxkit(capfd, "run", str(pipeline_file), "--workers", "0")[0] == 0
    (pipeline_file.parent / "steps" / "helper.py").write_text("SCALE = 4.0\n")
    store = tmp_path / "out" / "metadata.sqlite"
    before, store_mtime = snapshot(tmp_path), os.stat(store).st_mtime_ns
    code, out, err = tfxkit(capfd, "run", str(pipeline_file), "--dry-run", "-p", "rows=3")
    assert code == 0, err
    assert snapshot(tmp_path) == before and os.stat(store).st_mtime_ns == store_mtime
    helper = pipeline_file.parent / "steps" / "helper.py"
    assert f"  trainer        would run\n                   code module_file: {helper} " \
           f"(imported) changed\n" in out
    assert out.endswith("2 of 4 node(s) would run: trainer, summarize.\n")

    code, out, err = tfxkit(capfd, "run", str(pipeline_file), "--dry-run", "--only", "trainer",
                            "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["would_run"] == ["trainer"]
    assert [(n["node_id"], n["verdict"]) for n in plan["nodes"]] == [
        ("make_examples", "reused"), ("trainer", "would run")]
    [reason] = plan["nodes"][1]["reasons"]
    assert (reason["kind"], reason["name"]) == ("code", str(helper))
    assert snapshot(tmp_path) == before


def test_runs_why_explains_a_past_run(pipeline_file: Path,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    assert tfxkit(capfd, "run", str(pipeline_file), "--workers", "0")[0] == 0
    assert tfxkit(capfd, "run", str(pipeline_file), "--workers", "0", "-p", "rows=6")[0] == 0
    code, out, err = tfxkit(capfd, "runs", str(pipeline_file), "--why", "make_examples")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("make_examples in run ") and lines[0].endswith(
        ": ran (execution 5)")
    assert lines[1].startswith("  compared with execution 1 (run ")
    assert lines[2:] == ["  - parameter rows: 3 -> 6"]

    code, out, err = tfxkit(capfd, "runs", "--why", "trainer", "latest~1", str(pipeline_file),
                            "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["verdict"], data["execution_id"]) == ("ran", 3)
    assert data["reasons"][0]["text"] == "no earlier execution of trainer completed"


def test_dry_run_reads_the_store_named_by_metadata(pipeline_file: Path, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "elsewhere" / "metadata.sqlite"
    assert tfxkit(capfd, "run", str(pipeline_file), "--workers", "0", "--metadata",
                  str(store))[0] == 0
    assert not (tmp_path / "out" / "metadata.sqlite").exists()
    code, out, err = tfxkit(capfd, "run", str(pipeline_file), "--dry-run", "--metadata",
                            str(store))
    assert code == 0, err
    assert out.endswith("0 of 4 node(s) would run; everything is cached.\n")
    code, out, err = tfxkit(capfd, "run", str(pipeline_file), "--dry-run")  # the default store
    assert out.endswith("4 of 4 node(s) would run: make_examples, count_rows, trainer, "
                        "summarize.\n")
    assert not (tmp_path / "out" / "metadata.sqlite").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--format", "json"], "--format goes with --dry-run"),
    (["runs", "--why", "trainer", "latest", "extra"], "--why takes a node and optionally a run"),
    (["runs", "--why", "trainer", "--format", "csv"], "--why prints text, or JSON"),
    (["runs", "--why", "nope"], "No node 'nope' has ever executed in pipeline 'explained'. "),
])
def test_usage_errors_say_what_to_type(pipeline_file: Path, argv: list[str], message: str,
                                       capfd: pytest.CaptureFixture[str]) -> None:
    assert tfxkit(capfd, "run", str(pipeline_file), "--workers", "0")[0] == 0
    code, _, err = tfxkit(capfd, argv[0], str(pipeline_file), *argv[1:])
    assert code != 0
    assert message in err and "Traceback" not in err
