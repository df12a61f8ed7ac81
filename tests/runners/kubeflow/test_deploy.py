"""`tfxkit deploy` with the real kfp.Client: an unreachable endpoint gives a clear error that
names the host and where credentials come from, and never echoes a token."""

from __future__ import annotations

from pathlib import Path

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
