"""A compiled spec people can drive from the Kubeflow UI (issue 13): settings of
create_pipeline() are pipeline parameters wired into the components they feed, the image is the
project's recorded one (none known: an error), a local push folder is refused unless made
explicit, per-step resources have defaults, and data on `gs://` is read through the launcher's
`/gcs/` mount (emulated by the harness)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.runners.kubeflow import kfp_harness
from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig
from tfxkit.runners.kubeflow import CompileError
from tfxkit.runners.kubeflow.parameters import apply_overlays

REPO = Path(__file__).resolve().parents[3]
PENGUIN = REPO / "examples" / "penguin" / "pipeline.py"

CSV_PIPELINE = textwrap.dedent('''
    """CsvExampleGen alone; its data folder and split ratio are settings."""
    from tfxkit import Pipeline
    from tfxkit.components import CsvExampleGen


    def create_pipeline(data_root: str = "data", pipeline_root: str = "out",
                        train_buckets: int = 2) -> Pipeline:
        return Pipeline("csv-only", pipeline_root, [CsvExampleGen(
            input_base=data_root, output_config={"split_config": {"splits": [
                {"name": "train", "hash_buckets": train_buckets},
                {"name": "eval", "hash_buckets": 1}]}})])
''')


def tfxkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tfxkit", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def spec_of(path: Path) -> dict[str, Any]:
    return dict(next(yaml.safe_load_all(path.read_text())))


def csv_project(root: Path, rows: int = 30, image: str | None = "team/csv:1") -> Path:
    project = root / "proj"
    (project / "data").mkdir(parents=True)
    (project / "pipeline.py").write_text(CSV_PIPELINE)
    (project / "data" / "a.csv").write_text(
        "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(rows)))
    if image is not None:
        (project / ".tfxkit").mkdir()
        (project / ".tfxkit" / "answers.json").write_text(json.dumps({"kubeflow_image": image}))
    return project


def test_penguin_settings_become_pipeline_parameters_wired_to_their_components(
        tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    done = tfxkit("compile", str(PENGUIN), "--image", "img:1", "-o", str(out), "-p",
                  "serving_model_dir=gs://bucket/serving", "--pipeline-root", "gs://bucket/root",
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    spec = spec_of(out)
    params = spec["root"]["inputDefinitions"]["parameters"]
    assert params["train_steps"]["parameterType"] == "NUMBER_INTEGER"
    assert params["train_steps"]["defaultValue"] == 100
    assert params["accuracy_lower_bound"]["parameterType"] == "NUMBER_DOUBLE"
    assert params["accuracy_lower_bound"]["defaultValue"] == 0.6
    assert params["serving_model_dir"]["defaultValue"] == "gs://bucket/serving"
    assert params["data_root"]["parameterType"] == "STRING"
    assert spec["defaultPipelineRoot"] == "gs://bucket/root"
    trainer = spec["root"]["dag"]["tasks"]["trainer"]["inputs"]["parameters"]
    assert trainer["tfxkit_param_train_steps"] == {"componentInputParameter": "train_steps"}
    overlays = json.loads(trainer["tfxkit_overlays"]["runtimeValue"]["constant"])
    assert {"param": "tfxkit_param_train_steps", "key": "train_args", "path": ["num_steps"],
            "prefix": "", "suffix": ""} in overlays
    # the same setting feeds the Evaluator's and the Pusher's push_destination
    for task in ("evaluator", "pusher"):
        inputs = spec["root"]["dag"]["tasks"][task]["inputs"]["parameters"]
        assert inputs["tfxkit_param_serving_model_dir"] == {
            "componentInputParameter": "serving_model_dir"}
    assert {c["image"] for c in (e["container"] for e in
                                 spec["deploymentSpec"]["executors"].values())} == {"img:1"}


def test_overlays_put_the_run_values_where_the_settings_went() -> None:
    properties = {"train_args": {"num_steps": 100}, "input_base": "data",
                  "eval_config": {"metrics": [{"threshold": {"lower": 0.6}}]}}
    overlays = [{"param": "p_steps", "key": "train_args", "path": ["num_steps"]},
                {"param": "p_data", "key": "input_base", "path": [], "prefix": "",
                 "suffix": "/csv"},
                {"param": "p_low", "key": "eval_config",
                 "path": ["metrics", 0, "threshold", "lower"]}]
    result = apply_overlays(properties, overlays,
                            {"p_steps": 7, "p_data": "gs://b/d", "p_low": 0.9})
    assert result == {"train_args": {"num_steps": 7}, "input_base": "gs://b/d/csv",
                      "eval_config": {"metrics": [{"threshold": {"lower": 0.9}}]}}


def test_settings_that_change_the_graph_are_left_out_with_a_reason(tmp_path: Path) -> None:
    project = csv_project(tmp_path)
    (project / "pipeline.py").write_text(CSV_PIPELINE.replace(
        '"data", pipeline_root', '"data", with_second: bool = False, pipeline_root').replace(
        "[CsvExampleGen(", "[*([] if not with_second else [CsvExampleGen(input_base=data_root)"
        ".with_id('second')]), CsvExampleGen("))
    runner = KubeflowDagRunner(KubeflowDagRunnerConfig(image="i", project_root=str(project)))
    from tfxkit.cli.pipeline_commands import traced_parameters

    parameters, skipped = traced_parameters(str(project / "pipeline.py"), [], runner.portable)
    assert sorted(p.name for p in parameters) == ["data_root", "train_buckets"]
    assert skipped["with_second"] == "it changes which components or parameters the pipeline has"


def test_image_defaults_to_the_projects_recorded_image(tmp_path: Path) -> None:
    project = csv_project(tmp_path, image="ghcr.io/team/csv:7")
    done = tfxkit("compile", "pipeline.py", "-o", "p.yaml", cwd=project)
    assert done.returncode == 0, done.stderr
    executors = spec_of(project / "p.yaml")["deploymentSpec"]["executors"]
    assert [e["container"]["image"] for e in executors.values()] == ["ghcr.io/team/csv:7"]


def test_no_image_known_is_an_error_that_says_how_to_set_it(tmp_path: Path) -> None:
    project = csv_project(tmp_path, image=None)
    done = tfxkit("compile", "pipeline.py", "-o", "p.yaml", cwd=project)
    assert done.returncode == 1
    assert "No container image for the Kubeflow tasks: pass --image" in done.stderr
    assert '"kubeflow_image" in' in done.stderr and "tfxkit-pipeline:latest" not in done.stderr
    assert not (project / "p.yaml").exists()


@pytest.mark.parametrize("serving", ["serving_model", "absolute"])
def test_local_push_destination_is_refused_unless_explicit(
        serving: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.chdir(tmp_path)  # a relative push folder is taken from where compile runs
    if serving == "absolute":
        serving = str(tmp_path / "models")

    loader = importlib.util.spec_from_file_location("penguin_push_case", PENGUIN)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    pipeline = module.create_pipeline(serving_model_dir=serving, data_root="gs://b/data",
                                      module_file="gs://b/penguin_module.py")
    config = KubeflowDagRunnerConfig(image="i", project_root=str(tmp_path))
    with pytest.raises(CompileError, match=(
            r"(Evaluator|Pusher) parameter 'push_destination' is the local path "
            r"'/.*(serving_model|models)'.*Push to an object store, e\.g\. -p "
            r"serving_model_dir=gs://")):
        KubeflowDagRunner(config).compile(pipeline)
    config.local_push_destination = True
    KubeflowDagRunner(config).compile(pipeline)


def test_resources_default_per_step_and_a_step_overrides(tmp_path: Path) -> None:
    from tests.resources.tiny_pipelines import create_pipeline

    pipeline = create_pipeline(str(REPO / "x"))
    first, second = pipeline.components[0], pipeline.components[1]
    second.with_resources(cpu="4", memory="16Gi")
    spec, _ = KubeflowDagRunner(KubeflowDagRunnerConfig(
        image="i", project_root=str(REPO), cpu="1", memory="2Gi")).compile(pipeline)
    from google.protobuf import json_format

    executors = json_format.MessageToDict(spec.deployment_spec)["executors"]
    by_task = {name.removeprefix("exec-"): e["container"].get("resources", {})
               for name, e in executors.items()}
    assert by_task[first.id.lower().replace("_", "-")] == {
        "resourceCpuRequest": "1", "resourceCpuLimit": "1",
        "resourceMemoryRequest": "2Gi", "resourceMemoryLimit": "2Gi"}
    assert by_task[second.id.lower().replace("_", "-")]["resourceMemoryLimit"] == "16Gi"


@pytest.mark.integration
def test_gs_data_through_the_launcher_mount_and_a_changed_parameter(tmp_path: Path) -> None:
    project = csv_project(tmp_path, rows=30)
    gcs = tmp_path / "gcs"  # stands in for the launcher's /gcs/ mount
    (gcs / "bucket" / "data").mkdir(parents=True)
    (gcs / "bucket" / "data" / "b.csv").write_text(
        "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(90)))
    out = project / "p.yaml"
    done = tfxkit("compile", "pipeline.py", "-o", str(out), "-p", "data_root=gs://bucket/data",
                  cwd=project)
    assert done.returncode == 0, done.stderr
    assert spec_of(out)["root"]["inputDefinitions"]["parameters"]["data_root"][
        "defaultValue"] == "gs://bucket/data"
    env = {"PYTHONPATH": str(REPO), "TFXKIT_LAUNCHER_MOUNTS": json.dumps({"gs://": str(gcs)})}

    def counts(**arguments: Any) -> dict[str, int]:
        results = kfp_harness.run_pipeline(out, tmp_path / f"root{len(arguments)}", project,
                                           arguments=arguments, env=env)
        task = results["csvexamplegen"]
        assert task.returncode == 0, task.stderr[-3000:]
        examples = task.output["artifacts"]["examples"]["artifacts"][0]
        return dict(json.loads(examples["metadata"]["example_counts"]))

    first = counts()
    assert sum(first.values()) == 90  # the gs:// data, read through the mount
    # Launched with other values: the project's local data and another split ratio.
    second = counts(data_root="data", train_buckets=9)
    assert sum(second.values()) == 30 and second["train"] > 3 * second["eval"]


def test_per_step_resources_recorded_by_the_project_and_overridden_by_a_step(
        tmp_path: Path) -> None:
    from google.protobuf import json_format

    from tests.resources.tiny_pipelines import create_pipeline

    (tmp_path / ".tfxkit").mkdir()
    (tmp_path / ".tfxkit" / "answers.json").write_text(json.dumps({
        "kubeflow_image": "team/img:3",
        "kubeflow_resources": {"*": {"cpu": "1", "memory": "2Gi"},
                               "count_rows": {"memory": "8Gi"}}}))
    pipeline = create_pipeline(str(tmp_path / "out"))
    ids = [node.id for node in pipeline.components]
    assert "count_rows" in ids and "measure" in ids
    next(n for n in pipeline.components if n.id == "measure").with_resources(cpu="3")
    spec, _ = KubeflowDagRunner(KubeflowDagRunnerConfig(project_root=str(tmp_path))).compile(
        pipeline)
    executors = json_format.MessageToDict(spec.deployment_spec)["executors"]
    resources = {name.removeprefix("exec-"): e["container"]["resources"]
                 for name, e in executors.items()}
    assert resources["count-rows"]["resourceMemoryLimit"] == "8Gi"
    assert resources["count-rows"]["resourceCpuLimit"] == "1"
    assert resources["measure"]["resourceCpuLimit"] == "3"
    assert resources["make-examples"] == {
        "resourceCpuRequest": "1", "resourceCpuLimit": "1",
        "resourceMemoryRequest": "2Gi", "resourceMemoryLimit": "2Gi"}
    (tmp_path / ".tfxkit" / "answers.json").write_text(json.dumps({
        "kubeflow_image": "i", "kubeflow_resources": {"*": {"gpu": 1}}}))
    with pytest.raises(CompileError, match=r"kubeflow_resources must map a step id"):
        KubeflowDagRunner(KubeflowDagRunnerConfig(project_root=str(tmp_path))).compile(pipeline)
