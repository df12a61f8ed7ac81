"""ML Metadata on a real MariaDB: the same recording, caching and lineage as on SQLite; the
password only ever in the environment; a lost connection waited out, or failing the run clearly
with nothing recorded half.

Needs TFXKIT_TEST_MYSQL_URL (scripts/test and .ci/run start a server); skips when unset.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.resources.mariadb import TcpProxy, sql, with_port
from tests.resources.store_checks import check_consistent
from tests.resources.tiny_pipelines import create_pipeline
from tfxkit.cli.main import main
from tfxkit.errors import MetadataError
from tfxkit.metadata import PASSWORD_ENV, connect
from tfxkit.metadata.lineage import find_artifact, lineage, list_runs
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import ConsoleReporter, SilentReporter


def tiny(root: Path, metadata: str, **options: object):  # type: ignore[no-untyped-def]
    pipeline = create_pipeline(str(root), **options)  # type: ignore[arg-type]
    pipeline.metadata = metadata
    return pipeline


def dump(url: str) -> str:
    """Every row of every table of the URL's database, as text."""
    database = urllib.parse.urlsplit(url).path.lstrip("/")
    tables = sql(url, f"SHOW TABLES FROM `{database}`").split()
    return "\n".join(sql(url, f"SELECT * FROM `{database}`.`{table}`") for table in tables)


def test_tiny_pipeline_records_caches_and_traces_lineage_as_on_sqlite(mysql_url: str,
                                                                      tmp_path: Path) -> None:
    runner = LocalDagRunner(workers=2, hooks=SilentReporter())
    first = runner.run(tiny(tmp_path, mysql_url))
    assert {r.outcome for r in first.nodes.values()} == {"ran"}
    second = runner.run(tiny(tmp_path, mysql_url))
    assert {r.outcome for r in second.nodes.values()} == {"cached"}
    assert first.outputs("combine", "result")[0].id == second.outputs("combine", "result")[0].id

    store = connect(mysql_url)
    runs = list_runs(store, "tiny")
    assert [{n.state for n in run.nodes} for run in runs] == [{"CACHED"}, {"COMPLETE"}]
    result = first.outputs("combine", "result")[0]
    found = find_artifact(store, result.uri)
    assert found is not None and found.id == result.id
    producer = lineage(store, result.id)["produced_by"]  # type: ignore[arg-type]
    assert producer["node_id"] == "combine" and producer["run_id"] == first.run_id
    assert producer["inputs"]["schema"][0]["produced_by"]["node_id"] == "count_rows"
    facts = check_consistent(store)
    assert (facts.complete, facts.cached) == (4, 4)


def test_password_lives_only_in_the_environment(mysql_url: str, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    password = os.environ.get(PASSWORD_ENV, "")
    assert len(password) >= 8, f"the test server needs a real password in {PASSWORD_ENV}"
    caplog.set_level(logging.DEBUG)
    console = io.StringIO()
    pipeline = tiny(tmp_path / "out", mysql_url)
    LocalDagRunner(workers=1, hooks=ConsoleReporter(console)).run(pipeline)
    assert main(["runs", "--metadata", mysql_url]) == 0
    from tests.resources.tiny_pipelines import make_examples
    from tfxkit import Pipeline
    from tfxkit.runners.kubeflow import KubeflowDagRunner, KubeflowDagRunnerConfig

    spec = tmp_path / "pipeline.yaml"
    kubeflow = Pipeline("secretcheck", "gs://bucket/root", [make_examples(root="gs://bucket/x")],
                        metadata=mysql_url)
    KubeflowDagRunner(KubeflowDagRunnerConfig(image="img:1")).run(kubeflow,
                                                                   output_file=str(spec))
    printed = capsys.readouterr()

    places = {
        "the console": console.getvalue() + printed.out + printed.err,
        "log records": caplog.text,
        "the compiled Kubeflow spec": spec.read_text(),
        "ML Metadata's tables": dump(mysql_url),
    }
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    assert "tfxkit" in places["ML Metadata's tables"]  # the dump did read the records
    leaks = [where for where, text in places.items() if password in text]
    assert not leaks, f"the metadata password leaked into {leaks}"


def test_wrong_password_is_a_clear_error_without_the_password(
        mysql_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-4711")
    with pytest.raises(MetadataError) as caught:
        connect(mysql_url)
    message = str(caught.value)
    assert "not-the-password-4711" not in message
    assert PASSWORD_ENV in message and urllib.parse.urlsplit(mysql_url).hostname in message


def _cut_when(root: Path, event: str, proxy: TcpProxy, seconds: float | None) -> threading.Thread:
    """Cut the proxy once `event` appears in the tiny pipeline's events.log; restore after
    `seconds` (never when None)."""
    def watch() -> None:
        log = root / "events.log"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if log.exists() and event in log.read_text():
                proxy.cut()
                if seconds is not None:
                    time.sleep(seconds)
                    proxy.restore()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.integration
def test_a_short_outage_mid_run_is_waited_out(mysql_url: str, tmp_path: Path) -> None:
    parts = urllib.parse.urlsplit(mysql_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    try:
        url = with_port(mysql_url, proxy.port)
        watcher = _cut_when(tmp_path, "start count_rows", proxy, seconds=2.0)
        result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(
            tiny(tmp_path, url, sleep=1.0))
        watcher.join()
        assert proxy.cuts == 1
        assert {r.outcome for r in result.nodes.values()} == {"ran"}
        assert (Path(result.outputs("combine", "result")[0].uri) / "result.txt").read_text() \
            == "3,15"
        facts = check_consistent(connect(mysql_url))
        assert facts.complete == 4 and facts.failed == facts.abandoned == 0
    finally:
        proxy.close()


@pytest.mark.integration
def test_a_lost_database_fails_the_run_clearly_and_records_nothing_half(
        mysql_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = urllib.parse.urlsplit(mysql_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 3306)
    monkeypatch.setenv("TFXKIT_METADATA_RETRY_SECONDS", "3")
    try:
        url = with_port(mysql_url, proxy.port)
        watcher = _cut_when(tmp_path, "start count_rows", proxy, seconds=None)
        began = time.monotonic()
        with pytest.raises(MetadataError) as caught:
            LocalDagRunner(workers=2, hooks=SilentReporter()).run(tiny(tmp_path, url, sleep=1.0))
        watcher.join()
        message = str(caught.value)
        assert time.monotonic() - began < 60
        assert f"127.0.0.1:{proxy.port}" in message and "attempt(s)" in message
        assert "stopped" in message and "rerun" in message
        assert "TFXKIT_METADATA_RETRY_SECONDS" in message
    finally:
        proxy.close()

    store = connect(mysql_url)
    # Only make_examples finished before the cut: nothing else may look published.
    published = {p.uri for p in store.get_artifacts()}
    assert len(published) == 1 and all(Path(uri).exists() for uri in published)
    assert not [p for p in tmp_path.glob("*/*/*") if p.is_dir() and str(p) not in published
                and ".staging" not in str(p) and ".logs" not in str(p)], "unpublished outputs left"
    # The rerun (database back) marks what the lost run left RUNNING, and finishes.
    result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(tiny(tmp_path, mysql_url))
    assert result.outcome("make_examples") == "cached" and result.outcome("combine") == "ran"
    facts = check_consistent(store)
    assert facts.abandoned >= 1


@pytest.mark.e2e
def test_penguin_pipeline_on_mariadb_pushes_then_reruns_all_cached(mysql_url: str,
                                                                   tmp_path: Path) -> None:
    import importlib.util

    example = Path(__file__).resolve().parents[2] / "examples" / "penguin" / "pipeline.py"
    spec = importlib.util.spec_from_file_location("penguin_pipeline_on_mariadb", example)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def pipeline():  # type: ignore[no-untyped-def]
        return module.create_pipeline(
            pipeline_root=str(tmp_path / "out"), serving_model_dir=str(tmp_path / "serving"),
            train_steps=10, eval_steps=1, accuracy_lower_bound=0.0, metadata=mysql_url)

    runner = LocalDagRunner(workers=2, hooks=SilentReporter())
    first = runner.run(pipeline())
    assert {r.outcome for r in first.nodes.values()} == {"ran"}
    [pushed] = first.outputs("Pusher", "pushed_model")
    assert pushed.get_custom_property("pushed") == 1
    second = runner.run(pipeline())
    assert {r.outcome for r in second.nodes.values()} == {"cached"}

    store = connect(mysql_url)
    tree = lineage(store, pushed.id)  # type: ignore[arg-type]
    model = tree["produced_by"]["inputs"]["model"][0]["produced_by"]
    assert model["node_id"] == "Trainer" and model["run_id"] == first.run_id
    facts = check_consistent(store)
    assert (facts.complete, facts.cached) == (8, 8)
    assert os.environ[PASSWORD_ENV] not in dump(mysql_url)


def test_query_on_a_missing_database_creates_nothing(mysql_url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Read-only commands never create a MySQL database (issue 12): a mistyped database name is
    one clear line at once, and the server has no new database afterwards."""
    database = urllib.parse.urlsplit(mysql_url).path.lstrip("/")
    began = time.monotonic()
    assert main(["runs", "--metadata", mysql_url]) == 1
    assert time.monotonic() - began < 10
    err = capsys.readouterr().err
    assert "no ML Metadata store at mysql://" in err and f"no database {database!r}" in err
    assert sql(mysql_url, f"SHOW DATABASES LIKE '{database}'").strip() == ""
    with pytest.raises(MetadataError, match="no ML Metadata store"):
        connect(mysql_url, read_only=True)
    connect(mysql_url)  # a run creates it
    assert sql(mysql_url, f"SHOW DATABASES LIKE '{database}'").strip() == database
    assert main(["runs", "--metadata", mysql_url]) == 0
