"""Several runs of one pipeline at once, in separate processes, on one store (SQLite and
MariaDB): all finish correctly, none reads another's unpublished outputs, the store stays
consistent, and concurrent pushes never share a version."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.resources.store_checks import check_consistent
from tfxkit.metadata import connect

REPO = Path(__file__).resolve().parents[2]
RUNS = 3


def run_at_once(kind: str, roots: list[Path], metadata: str, start: Path,
                serving: Path | None = None) -> list[dict]:
    """Start one process per root, release them together, return each run's JSON result."""
    processes = [subprocess.Popen(
        [sys.executable, "-m", "tests.resources.concurrent_run", kind, str(root), metadata,
         str(start), *([str(serving)] if serving else [])],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for root in roots]
    time.sleep(2.0)  # let every process import and wait at the start line
    start.write_text("go")
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def metadata_location(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return str(tmp_path / "metadata.sqlite")
    return str(request.getfixturevalue("mysql_url"))


@pytest.mark.integration
@pytest.mark.parametrize("store_kind", ["sqlite", "mariadb"])
def test_runs_of_one_pipeline_at_once_all_finish_and_keep_the_store_consistent(
        store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    metadata = metadata_location(store_kind, tmp_path, request)
    # Same pipeline name and store; the same root too, so their outputs sit side by side.
    roots = [tmp_path / "root"] * RUNS
    results = run_at_once("tiny", roots, metadata, tmp_path / "start")
    assert len({r["run_id"] for r in results}) == RUNS
    for result in results:
        assert set(result["outcomes"].values()) <= {"ran", "cached"}
        [combined] = result["outputs"]["combine"]["result"]
        assert (Path(combined) / "result.txt").read_text() == "3,15"
    facts = check_consistent(connect(metadata))
    assert facts.complete + facts.cached == 4 * RUNS and facts.failed == facts.abandoned == 0
    assert not list((tmp_path / "root").glob("*/.staging/*")), "staging left behind"


@pytest.mark.integration
@pytest.mark.parametrize("store_kind", ["sqlite", "mariadb"])
def test_pushes_from_runs_at_once_never_share_a_version(
        store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    metadata = metadata_location(store_kind, tmp_path, request)
    serving = tmp_path / "serving"
    roots = [tmp_path / f"root{i}" for i in range(RUNS)]
    results = run_at_once("push", roots, metadata, tmp_path / "start", serving)
    pushed = sorted(p for r in results for p in r["pushed"])
    assert len(pushed) == RUNS and len(set(pushed)) == RUNS
    assert sorted(p.name for p in serving.iterdir() if not p.name.startswith(".")) == [
        str(v) for v in range(1, RUNS + 1)]
    for version in serving.iterdir():
        if version.name.startswith("."):
            continue
        parts = sorted(version.glob("part-*.txt"))
        assert len(parts) == 5, f"version {version.name} is half-copied"
        assert len({p.read_text() for p in parts}) == 1, "a version mixes two runs' files"
    check_consistent(connect(metadata))
