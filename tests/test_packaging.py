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
    # A platform wheel (tfxkit-0.1.0-cp311-cp311-linux_x86_64.whl): it carries the native reader.
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    assert {n.split("/")[0] for n in names} == {"tfxkit", dist_info}
    assert any(n.startswith("tfxkit/components/_shared/_native.") and n.endswith(".so")
               for n in names), names
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
         "from tfxkit.components._shared import native; "
         "print(tfxkit.runners.__file__, native.available())"],
        capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, built = done.stdout.split()
    assert where.startswith(str(site)) and built == "True", done.stdout


# -- typed package (issue 14, item 4) ------------------------------------------------------------
SITE = Path(sys.executable).resolve().parents[1] / "lib" / "python3.11" / "site-packages"
TYPED_USE = '''
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen
from tfxkit.runners import LocalDagRunner

runner: LocalDagRunner = LocalDagRunner()
wrong: int = Pipeline
gen = CsvExampleGen(input_base="data")
'''


def _bare_env(root: Path, wheel: Path) -> Path:
    """A venv with only `wheel` installed into it, and this venv's site-packages as a plain .pth
    path (so TensorFlow & co. resolve without a second copy). Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "zz_dependencies.pth").write_text(f"{SITE}\n")
    python = root / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True)
    return python


def _mypy(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--python-executable",
                           str(python), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _assert_types_seen(python: Path, tmp_path: Path) -> None:
    (tmp_path / "use.py").write_text(TYPED_USE)
    done = _mypy(python, tmp_path, "--strict", "use.py")
    assert "import-not-found" not in done.stdout and "import-untyped" not in done.stdout, (
        done.stdout)
    # The one wrong line is caught with tfxkit's real types, so mypy read them.
    assert done.stdout.splitlines()[0] == (
        'use.py:7: error: Incompatible types in assignment (expression has type '
        '"type[Pipeline]", variable has type "int")  [assignment]'), done.stdout
    assert "Found 1 error in 1 file" in done.stdout


@pytest.fixture(scope="module")
def regular_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Python of a venv where tfxkit is a regular (wheel) install."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(REPO)], check=True, capture_output=True)
    [wheel] = dist.glob("tfxkit-*.whl")
    assert "tfxkit/py.typed" in zipfile.ZipFile(wheel).namelist()
    return _bare_env(tmp_path_factory.mktemp("regular"), wheel)


@pytest.mark.integration
def test_regular_install_is_typed(regular_install: Path, tmp_path: Path) -> None:
    _assert_types_seen(regular_install, tmp_path)


@pytest.mark.integration
def test_editable_install_is_typed(tmp_path: Path) -> None:
    """`pip install -e .` makes a link tree named by a plain .pth path (setup.py sets setuptools'
    strict editable mode), not an import hook that mypy cannot follow."""
    import shutil

    checkout = tmp_path / "checkout"  # build/__editable__ goes under it, not under the repo
    shutil.copytree(REPO, checkout, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".mypy_cache", "site"))
    dist = tmp_path / "dist"
    build = ("import setuptools.build_meta as b, sys; "
             f"print(b.build_editable({str(dist)!r}))")
    dist.mkdir()
    subprocess.run([sys.executable, "-c", build], cwd=checkout, check=True, capture_output=True)
    [wheel] = dist.glob("tfxkit-*.whl")
    [pth] = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".pth")]
    line = zipfile.ZipFile(wheel).read(pth).decode().strip()
    assert not line.startswith("import") and Path(line, "tfxkit", "py.typed").is_file(), line
    assert Path(line, "tfxkit", "components", "trainer").is_dir()
    python = _bare_env(tmp_path / "env", wheel)
    _assert_types_seen(python, tmp_path)
    done = subprocess.run([str(python), "-c", "import tfxkit.runners.local, tfxkit.components; "
                           "print(tfxkit.__file__)"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith(line), done.stderr


@pytest.mark.integration
@pytest.mark.parametrize("template", ["tabular-classification", "tabular-regression"])
def test_generated_project_lint_and_type_check_pass(template: str, regular_install: Path,
                                                    tmp_path: Path) -> None:
    """What the generated project's `make lint` runs (ruff, then mypy with its own config) passes
    on a fresh project, with tfxkit installed as a package."""
    from tfxkit.project import new_project

    project = new_project(template, tmp_path)
    makefile = (project / "Makefile").read_text()
    assert "lint:" in makefile and "\truff check .\n\tmypy\n" in makefile
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=project,
                          capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout
    done = _mypy(regular_install, project)
    assert done.returncode == 0, done.stdout
    assert "no issues found in" in done.stdout


@pytest.mark.integration
def test_installs_go_on_without_a_c_compiler(tmp_path: Path) -> None:
    """Without a working C compiler (here CC=/bin/false) the native reader is not built, and
    both a regular wheel and a strict editable install still build (setuptools listed the
    missing library as an output, and the editable install failed copying it); StatisticsGen
    then reads with TensorFlow's parser."""
    import os
    import shutil

    checkout = tmp_path / "checkout"
    shutil.copytree(REPO, checkout, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".mypy_cache", "site", "*.so"))
    env = {**os.environ, "CC": "/bin/false"}
    for kind in ("wheel", "editable"):
        dist = tmp_path / f"dist-{kind}"
        dist.mkdir()
        build = (f"import setuptools.build_meta as b; print(b.build_{kind}({str(dist)!r}))")
        done = subprocess.run([sys.executable, "-c", build], cwd=checkout, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        [wheel] = dist.glob("tfxkit-*.whl")
        assert not [n for n in zipfile.ZipFile(wheel).namelist() if "_native" in n]
    assert not list((checkout / "components" / "_shared").glob("_native*.so"))
