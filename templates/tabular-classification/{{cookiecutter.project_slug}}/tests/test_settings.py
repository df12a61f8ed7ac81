"""Each step's settings live in its owner's module and reach only that step: a change in
steps/model.py changes only the Trainer's parameters, so Transform and everything before it stay
cached. Settings change by name (`tfxkit run -p name=value`); a wrong name or type is refused
with the file that defines the setting."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tfxkit.errors import PipelineDefinitionError

from pipeline.config import GROUPS, PipelineConfig
from pipeline.pipeline import create_pipeline
from steps.evaluation import EvaluationSettings
from steps.model import ModelSettings
from steps.preprocessing import PreprocessingSettings

ROOT = Path(__file__).resolve().parents[1]


def parameters(**overrides: Any) -> dict[str, dict[str, Any]]:
    """Each step's parameters (what its cache key and ML Metadata record) for these settings."""
    return {node.id: dict(node.exec_properties) for node in create_pipeline(**overrides).components}


def changed(value: Any) -> Any:
    """Another value of the same kind, or None when there is no obvious one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1 if isinstance(value, int) else value / 2
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return [*value, 4]
    if isinstance(value, list) and len(value) > 1:
        return value[:1]
    return None


def changeable(group: type) -> list[str]:
    defaults = PipelineConfig()
    return [f.name for f in dataclasses.fields(group) if changed(getattr(defaults, f.name))
            is not None and not isinstance(getattr(defaults, f.name), bool)]


def steps_changed_by(name: str) -> set[str]:
    before = parameters()
    after = parameters(**{name: changed(getattr(PipelineConfig(), name))})
    return {node for node in before if before[node] != after.get(node)}


def test_each_group_of_settings_lives_in_its_owners_module() -> None:
    for group, file in GROUPS.items():
        assert group.__module__.replace(".", "/") + ".py" == file
        assert dataclasses.is_dataclass(group) and issubclass(PipelineConfig, group)


@pytest.mark.parametrize("name", changeable(ModelSettings))
def test_a_model_setting_reaches_only_the_trainer(name: str) -> None:
    assert steps_changed_by(name) == {"Trainer"}


@pytest.mark.parametrize("name", changeable(PreprocessingSettings))
def test_a_preprocessing_setting_reaches_only_transform(name: str) -> None:
    assert steps_changed_by(name) == {"Transform"}


@pytest.mark.parametrize("name", changeable(EvaluationSettings))
def test_an_evaluation_setting_reaches_only_the_evaluator(name: str) -> None:
    assert steps_changed_by(name) == {"Evaluator"}


def test_a_setting_given_by_name_is_what_the_step_runs_with() -> None:
    """As `tfxkit run pipeline/pipeline.py -p hidden_units=[32,16] -p train_steps=7`."""
    from tfxkit.project.loading import load_pipeline

    pipeline, _ = load_pipeline(str(ROOT / "pipeline" / "pipeline.py"),
                                {"hidden_units": "[32,16]", "train_steps": "7"})
    trainer = next(node for node in pipeline.components if node.id == "Trainer")
    assert trainer.exec_properties["custom_config"]["hidden_units"] == [32, 16]
    assert trainer.exec_properties["train_args"] == {"num_steps": 7}


def test_unknown_or_mistyped_settings_are_refused_naming_the_owning_file() -> None:
    with pytest.raises(PipelineDefinitionError,
                       match=r"hidden_unit \(did you mean hidden_units, in steps/model\.py\?\)"):
        create_pipeline(hidden_unit=[4])
    with pytest.raises(PipelineDefinitionError,
                       match=r"'hidden_units' expects list\[int\] \(ModelSettings in "
                             r"steps/model\.py\), found str '32'"):
        create_pipeline(hidden_units="32")


def test_building_the_pipeline_loads_no_tensorflow() -> None:
    """Step modules import TensorFlow inside their functions: reading their settings to build,
    compile or serve a cached run stays fast."""
    code = ("import sys; from pipeline.pipeline import create_pipeline; create_pipeline(); "
            "print(sorted(m for m in ('tensorflow', 'tensorflow_transform', "
            "'tensorflow_model_analysis') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", (
        f"building the pipeline imported {done.stdout.strip()}: a module in steps/ imports it at "
        f"module level; import it inside the functions that use it")
