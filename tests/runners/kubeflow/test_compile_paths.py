"""`tfxkit compile` checks every local path on its real path (symlinks resolved).

Case: ../shared/cases/trust/compile_symlink_escapes_project (issue 12): a data folder inside the
project that is a symlink to outside it must be refused exactly like the outside folder itself,
naming the given path and where it resolves; the same holds for module files, the serving
model dir, schema files and relative paths.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig
from tfxkit.runners.kubeflow import CompileError

REPO = Path(__file__).resolve().parents[3]
PENGUIN = REPO / "examples" / "penguin"


def case_layout(root: Path) -> Path:
    """proj/ with the penguin pipeline and module, proj/data -> ../outside (40 penguin rows)."""
    (root / "outside").mkdir(parents=True)
    lines = (PENGUIN / "data" / "penguins_processed.csv").read_text().splitlines(keepends=True)
    (root / "outside" / "penguins.csv").write_text("".join(lines[:41]))
    project = root / "proj"
    project.mkdir()
    shutil.copy(PENGUIN / "pipeline.py", project / "pipeline.py")
    shutil.copy(PENGUIN / "penguin_module.py", project / "penguin_module.py")
    (project / "data").symlink_to(Path("..") / "outside")
    return project


def compile_penguin(project: Path, **params: str) -> str:
    import importlib.util

    spec = importlib.util.spec_from_file_location("case_pipeline", project / "pipeline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pipeline = module.create_pipeline(**{"serving_model_dir": str(project / "serving"), **params})
    return KubeflowDagRunner(KubeflowDagRunnerConfig(
        image="img:t", project_root=str(project), local_push_destination=True)).compile_to_yaml(
        pipeline)


def test_case_symlinked_data_root_is_refused_like_the_outside_folder(tmp_path: Path) -> None:
    project = case_layout(tmp_path)
    outside = tmp_path / "outside"
    with pytest.raises(CompileError, match=(
            rf"input_base' is the local path '{project}/data', which resolves to {outside} "
            rf"\(a symlink leads out of the project\), outside the project \({project}\) that "
            rf"the image contains")):
        compile_penguin(project, data_root=str(project / "data"))
    with pytest.raises(CompileError, match=rf"'{outside}', outside the project \({project}\)"):
        compile_penguin(project, data_root=str(outside))


def test_case_cli_compile_refuses_the_link(tmp_path: Path) -> None:
    project = case_layout(tmp_path)
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "tfxkit"), "compile", "proj/pipeline.py", "-p",
         f"data_root={project / 'data'}", "-p", f"serving_model_dir={project / 'serving'}",
         "-o", "p.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert (f"{project}/data' (-p data_root), which resolves to {tmp_path / 'outside'}"
            in done.stderr + done.stdout)
    assert not (tmp_path / "p.yaml").exists()


def test_paths_whose_real_location_is_inside_the_project_are_made_relative(
        tmp_path: Path) -> None:
    project = case_layout(tmp_path)
    (project / "data").unlink()
    (project / "real_data").mkdir()
    (project / "data").symlink_to("real_data")  # a link that stays inside: fine
    (tmp_path / "shortcut").symlink_to(project)  # an outside name for the project itself
    text = compile_penguin(project, data_root=str(project / "data"),
                           module_file=str(tmp_path / "shortcut" / "penguin_module.py"))
    spec = next(yaml.safe_load_all(text))
    params = spec["root"]["dag"]["tasks"]["csvexamplegen"]["inputs"]["parameters"]
    assert params["input_base"]["runtimeValue"]["constant"] == "data"
    trainer = spec["root"]["dag"]["tasks"]["trainer"]["inputs"]["parameters"]
    assert trainer["module_file"]["runtimeValue"]["constant"] == "penguin_module.py"
    assert str(tmp_path) not in text


@pytest.mark.parametrize("what", ["module_file", "serving_model_dir", "relative data_root"])
def test_other_local_paths_are_resolved_too(what: str, tmp_path: Path) -> None:
    project = case_layout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if what == "module_file":
        shutil.move(str(project / "penguin_module.py"), elsewhere / "penguin_module.py")
        (project / "penguin_module.py").symlink_to(elsewhere / "penguin_module.py")
        params, given = {"module_file": str(project / "penguin_module.py"),
                         "data_root": str(project)}, f"{project}/penguin_module.py"
    elif what == "serving_model_dir":
        (project / "serving").symlink_to(elsewhere)
        params, given = {"data_root": str(project)}, f"{project}/serving"
    else:
        params, given = {"data_root": "data"}, "data"
    with pytest.raises(CompileError, match=rf"'{given}', which resolves to .*outside the project"):
        compile_penguin(project, **params)


def test_schema_file_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    from tfxkit import Pipeline
    from tfxkit.components import ImportSchemaGen

    project = tmp_path / "proj"
    project.mkdir()
    (tmp_path / "schema.pbtxt").write_text('feature { name: "a" type: INT }\n')
    (project / "schema.pbtxt").symlink_to(tmp_path / "schema.pbtxt")
    pipeline = Pipeline("s", "gs://bucket/root", [ImportSchemaGen(
        schema_file=str(project / "schema.pbtxt"), follow_symlinks=True)])
    with pytest.raises(CompileError, match=r"schema_file' is the local path .*which resolves to"):
        KubeflowDagRunner(KubeflowDagRunnerConfig(project_root=str(project))).compile(pipeline)
