"""`tfxkit deploy` with the real kfp.Client: an unreachable endpoint gives a clear error that
names the host and where credentials come from, and never echoes a token."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tfxkit.cli.main import main

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.integration
def test_unreachable_host_fails_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TFXKIT_KFP_TOKEN", "tok-secret-123")
    monkeypatch.chdir(tmp_path)
    code = main(["deploy", str(REPO / "examples" / "quickstart" / "pipeline.py"),
                 "--host", "http://127.0.0.1:9", "--experiment", "ci", "--image", "img:1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Submitting 'demo' to http://127.0.0.1:9 failed" in err
    assert "TFXKIT_KFP_TOKEN" in err and "tok-secret-123" not in err
    assert not list(tmp_path.glob("*.yaml")), "the compiled package is temporary"


class _KfpStub(http.server.BaseHTTPRequestHandler):
    """Answers the KFP v2beta1 API calls a recurring-run deploy makes; records every request."""

    requests: list[tuple[str, str, Any]] = []

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append((method, self.path, body))
        path = urllib.parse.urlsplit(self.path).path
        if method == "GET" and path.endswith("/healthz"):
            reply: dict[str, Any] = {"multi_user": False}
        elif method == "GET" and path == "/apis/v2beta1/experiments":
            reply = {"experiments": [
                {"experiment_id": "exp-7", "display_name": "nightly"}], "total_size": 1}
        elif method == "POST" and path == "/apis/v2beta1/recurringruns":
            reply = {**(body or {}), "recurring_run_id": "rr-42"}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.integration
def test_schedule_creates_a_kfp_recurring_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _KfpStub.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KfpStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["deploy", str(REPO / "examples" / "quickstart" / "pipeline.py"),
                     "--host", host, "--experiment", "nightly", "--image", "img:1",
                     "--schedule", "30 6 * * 1-5", "--run-name", "weekday-retrain"])
    finally:
        server.shutdown()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"created recurring run rr-42 (30 6 * * 1-5): {host}/#/recurringrun/details/rr-42" \
        in out
    [(method, _, body)] = [r for r in _KfpStub.requests if "recurringruns" in r[1]]
    assert method == "POST"
    assert body["experiment_id"] == "exp-7" and body["display_name"] == "weekday-retrain"
    assert body["trigger"] == {"cron_schedule": {"cron": "0 30 6 * * 1-5"}}
    assert body["mode"] == "ENABLE" and int(body["max_concurrency"]) == 1
    assert body["pipeline_spec"]["pipelineInfo"]["name"] == "demo"  # the compiled spec itself
    assert body["pipeline_spec"]["schemaVersion"] == "2.1.0"
    assert any(m == "GET" and "experiments" in p for m, p, _ in _KfpStub.requests)


@pytest.mark.parametrize("schedule", ["daily", "* * * *", "0 6 * * * * *", "0 6 * * $(x)"])
def test_bad_schedule_is_refused_before_anything_is_sent(schedule: str) -> None:
    from tfxkit.runners.kubeflow.deploy import DeployError, check_schedule

    with pytest.raises(DeployError, match=r"--schedule: expected a cron expression of 5 fields"):
        check_schedule(schedule)
