"""Beam for data-heavy executors: whether to run on Beam, and the pipeline built from the
runner's `beam_pipeline_args`. Beam is imported inside the functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import apache_beam as beam

USE_BEAM_FLAG = "--tfxkit_use_beam"


def beam_arg(beam_pipeline_args: list[str] | None, name: str, default: str = "") -> str:
    """The value the beam args give option `name` (`--name=X` or `--name X`; the last one
    wins, as in Beam's own parsing), or `default` when they do not set it."""
    args = list(beam_pipeline_args or [])
    value = default
    for i, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{name}" and i + 1 < len(args):
            value = args[i + 1]
    return value


def use_beam(beam_pipeline_args: list[str]) -> bool:
    """True when the beam args name a runner other than the in-process Direct/Local ones, or
    ask for Beam explicitly with `--tfxkit_use_beam` (ExampleGen and StatisticsGen have a
    faster in-process path otherwise)."""
    return USE_BEAM_FLAG in beam_pipeline_args or not is_direct_runner(beam_pipeline_args)


def is_direct_runner(beam_pipeline_args: list[str] | None) -> bool:
    """Whether the beam args name Beam's DirectRunner (`--runner=DirectRunner`, `Direct`, any
    case) or no runner (none given, or an empty name), which means it."""
    return beam_runner_name(beam_pipeline_args).lower().removesuffix("runner") in ("direct", "")


def beam_runner_name(beam_pipeline_args: list[str] | None) -> str:
    """The runner the beam args name (`--runner=X` or `--runner X`); DirectRunner if none."""
    return beam_arg(beam_pipeline_args, "runner", "DirectRunner")


def beam_options(beam_pipeline_args: list[str] | None) -> Any:
    """PipelineOptions from the beam args, minus tfxkit's own flags."""
    from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions([a for a in beam_pipeline_args or [] if a != USE_BEAM_FLAG])


def make_beam_pipeline(beam_pipeline_args: list[str] | None) -> beam.Pipeline:
    """A `beam.Pipeline` configured by `beam_pipeline_args` (e.g. `["--runner=DataflowRunner",
    "--project=..."]`). With no `--runner` Beam uses its DirectRunner, in this process."""
    import apache_beam as beam

    return beam.Pipeline(options=beam_options(beam_pipeline_args))
