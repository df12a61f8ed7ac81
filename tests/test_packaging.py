"""A regular (non-editable) wheel installs components/ and runners/ under tfxkit and ships the
templates as package data, with no top-level components/runners/templates package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_wheel_layout_and_imports(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(REPO)], check=True,
                   capture_output=True)
    [wheel] = (tmp_path / "dist").glob("tfxkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"tfxkit", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "tfxkit/runners/local/runner.py" in names
    assert "tfxkit/runners/kubeflow/entrypoint.py" in names
    assert any(n.startswith("tfxkit/components/") for n in names)
    for template in (p.name for p in (REPO / "templates").iterdir() if p.is_dir()):
        assert f"tfxkit/templates/{template}/cookiecutter.json" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # -S: no site-packages, so neither the editable install nor the checkout can answer.
    done = subprocess.run(
        [sys.executable, "-S", "-c",
         f"import sys; sys.path.insert(0, {str(site)!r}); "
         "import tfxkit.runners.local, tfxkit.components, tfxkit.runners.kubeflow.entrypoint; "
         "print(tfxkit.runners.__file__)"],
        capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(site))
