"""The pipeline's settings: the lead's own, and every step's put together by name.

Owner: {{ cookiecutter.owner_lead }} (CODEOWNERS). Each step's settings live with its code and
belong to the step's owner, so that changing them needs no other team's review:

    steps/data.py           DataSettings           data_root, label_key, split, schema, checks
    steps/preprocessing.py  PreprocessingSettings  which columns become which features
    steps/model.py          ModelSettings          train_steps, hidden_units, learning_rate, ...
    steps/evaluation.py     EvaluationSettings     thresholds, slices, baseline, bulk inference
    pipeline/config.py      PipelineSettings       name, output folders, cache, Beam (below)

Any setting can be changed for one run by its name, without editing a file:
    tfxkit run pipeline/pipeline.py -p hidden_units=[32,16] -p data_root=/path/to/other/data
Each step records the values it ran with (`tfxkit runs`, `tfxkit lineage`); on Kubeflow every
plain setting (a number, text or true/false) is a pipeline parameter that a run can change.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from pathlib import Path
from typing import Any

from tfxkit.errors import PipelineDefinitionError

from steps.data import DataSettings
from steps.evaluation import EvaluationSettings
from steps.model import ModelSettings
from steps.preprocessing import PreprocessingSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """The lead's settings: the pipeline's name, where it writes, caching and Beam. Paths are
    relative to the project root unless absolute or URIs (gs://, s3://)."""

    pipeline_name: str = "{{ cookiecutter.pipeline_name }}"
    # Where artifacts, ML Metadata and pushed models go.
    pipeline_root: str = "pipeline_output"
    metadata: str | None = None  # default: <pipeline_root>/metadata.sqlite
    serving_model_dir: str = "serving_model"
    enable_cache: bool = True
    beam_pipeline_args: list[str] = dataclasses.field(
        default_factory=lambda: ["--direct_running_mode=in_memory", "--direct_num_workers=1"])


# Each group of settings and the file that defines it (and so who owns it, see CODEOWNERS).
# Template 2.0.0 moved the data, preprocessing, model and evaluation settings from this file
# into those modules: a value a project changed here before belongs in its module now (after
# `tfxkit update`, set it there and drop the old line here).
GROUPS: dict[type, str] = {
    PipelineSettings: "pipeline/config.py",
    DataSettings: "steps/data.py",
    PreprocessingSettings: "steps/preprocessing.py",
    ModelSettings: "steps/model.py",
    EvaluationSettings: "steps/evaluation.py",
}


def _defined_in() -> dict[str, type]:
    """Setting name -> the group defining it; a name defined by two groups is refused (one
    would silently hide the other)."""
    found: dict[str, type] = {}
    for group in GROUPS:
        for field in dataclasses.fields(group):
            if field.name in found:
                raise PipelineDefinitionError(
                    f"Setting {field.name!r} is defined twice: by {found[field.name].__name__} in "
                    f"{GROUPS[found[field.name]]} and by {group.__name__} in {GROUPS[group]}. "
                    f"Each setting has one owner: rename one of them.")
            found[field.name] = group
    return found


DEFINED_IN = _defined_in()


@dataclasses.dataclass(frozen=True)
class PipelineConfig(EvaluationSettings, ModelSettings, PreprocessingSettings, DataSettings,
                     PipelineSettings):
    """Every setting of the pipeline by name: the fields of all groups in GROUPS. It is each
    group's settings at once, so a step's function takes it where it takes its own group."""

    def path(self, value: str) -> str:
        """`value` as an absolute path under the project (URIs and absolute paths unchanged)."""
        if "://" in value or Path(value).is_absolute():
            return value
        return str(PROJECT_ROOT / value)

    def group_values(self, group: type) -> dict[str, Any]:
        """The values of `group`'s settings (e.g. ModelSettings), by name."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(group)}

    def label_settings(self) -> dict[str, Any]:
        """What both Transform and Trainer need to know about the label (steps/data.py)."""
        return {"task": self.task, "label_key": self.label_key,
                "drop_rows_without_label": self.drop_rows_without_label}

    def transform_config(self) -> dict[str, Any]:
        """What preprocessing_fn receives as `custom_config`: the label and every
        PreprocessingSettings value; no model setting, so a model change keeps Transform cached."""
        return {**self.label_settings(), **self.group_values(PreprocessingSettings)}

    def trainer_config(self) -> dict[str, Any]:
        """What run_fn receives as `custom_config`: the label and every ModelSettings value
        except train_steps / eval_steps (the Trainer's train_args / eval_args)."""
        model = self.group_values(ModelSettings)
        del model["train_steps"], model["eval_steps"]
        return {**self.label_settings(), **model}

    def model_config(self) -> dict[str, Any]:
        """Both custom_configs in one dict (what a single config gave every step before each
        step owned its settings); kept for tests written against it."""
        return {**self.transform_config(), **self.trainer_config()}


_METHODS = sorted(name for name, value in vars(PipelineConfig).items()
                  if callable(value) and not name.startswith("_"))
if set(_METHODS) & set(DEFINED_IN):
    _taken = sorted(set(_METHODS) & set(DEFINED_IN))
    raise PipelineDefinitionError(
        f"Setting(s) {', '.join(_taken)} ({', '.join(GROUPS[DEFINED_IN[n]] for n in _taken)}) "
        f"would hide PipelineConfig's method of that name; rename the setting.")


def load(**overrides: object) -> PipelineConfig:
    """The settings with `overrides` applied (by name, as `-p name=value` gives them).

    Raises:
        PipelineDefinitionError: an unknown name (with the closest known one), or a value of
            the wrong type (with the setting's type and the file defining it).
    """
    unknown = sorted(set(overrides) - set(DEFINED_IN))
    if unknown:
        hints = [f"{name} (did you mean {close[0]}, in {GROUPS[DEFINED_IN[close[0]]]}?)"
                 if (close := difflib.get_close_matches(name, DEFINED_IN, n=1)) else name
                 for name in unknown]
        raise PipelineDefinitionError(
            f"Unknown pipeline setting(s): {', '.join(hints)}. Settings are the fields of "
            f"{', '.join(f'{group.__name__} in {file}' for group, file in GROUPS.items())}.")
    types_ = typing.get_type_hints(PipelineConfig)
    checked = {name: _typed(name, value, types_[name]) for name, value in overrides.items()}
    return PipelineConfig(**checked)  # type: ignore[arg-type]


def _typed(name: str, value: object, expected: Any) -> object:
    """`value` if it fits the setting's type (an int where a float is expected becomes one,
    a number where text is expected becomes its text), else a PipelineDefinitionError."""
    members = typing.get_args(expected) if typing.get_origin(expected) in (
        typing.Union, types.UnionType) else (expected,)
    for member in members:
        origin = typing.get_origin(member) or member
        if member is type(None) and value is None:
            return value
        if origin is list and isinstance(value, list | tuple):
            [item_type] = typing.get_args(member) or (object,)
            if item_type is object or all(_fits(item, item_type) for item in value):
                return [float(item) if item_type is float else item for item in value]
        elif isinstance(origin, type) and origin is not type(None) and _fits(value, origin):
            return float(value) if origin is float else value  # type: ignore[arg-type]
        elif origin is str and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    group = DEFINED_IN[name]
    shown = str(expected).replace("typing.", "")
    raise PipelineDefinitionError(
        f"Setting {name!r} expects {shown} ({group.__name__} in {GROUPS[group]}), found "
        f"{type(value).__name__} {value!r}. Fix the value, e.g. -p {name}="
        f"{_example(getattr(PipelineConfig(), name))}")


def _fits(value: object, kind: Any) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _example(default: object) -> str:
    if default is None:
        return "<value>"
    return default if isinstance(default, str) else json.dumps(default).replace(" ", "")
