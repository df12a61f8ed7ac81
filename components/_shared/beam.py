"""Beam for data-heavy executors: whether to run on Beam, and the pipeline built from the
runner's `beam_pipeline_args`. Beam is imported inside the functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import apache_beam as beam

USE_BEAM_FLAG = "--tfxkit_use_beam"


def use_beam(beam_pipeline_args: list[str]) -> bool:
    """True when the beam args name a runner other than the in-process Direct/Local ones, or
    ask for Beam explicitly with `--tfxkit_use_beam` (ExampleGen and StatisticsGen have a
    faster in-process path otherwise)."""
    runner = ""
    for i, arg in enumerate(beam_pipeline_args):
        if arg == USE_BEAM_FLAG:
            return True
        if arg.startswith("--runner="):
            runner = arg.split("=", 1)[1]
        elif arg == "--runner" and i + 1 < len(beam_pipeline_args):
            runner = beam_pipeline_args[i + 1]
    return bool(runner) and runner.lower().removesuffix("runner") not in ("direct", "")


def beam_runner_name(beam_pipeline_args: list[str] | None) -> str:
    """The runner the beam args name (`--runner=X` or `--runner X`); DirectRunner if none."""
    args = list(beam_pipeline_args or [])
    runner = "DirectRunner"
    for i, arg in enumerate(args):
        if arg.startswith("--runner="):
            runner = arg.split("=", 1)[1]
        elif arg == "--runner" and i + 1 < len(args):
            runner = args[i + 1]
    return runner


def beam_options(beam_pipeline_args: list[str] | None) -> Any:
    """PipelineOptions from the beam args, minus tfxkit's own flags."""
    from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions([a for a in beam_pipeline_args or [] if a != USE_BEAM_FLAG])


def make_beam_pipeline(beam_pipeline_args: list[str] | None) -> beam.Pipeline:
    """A `beam.Pipeline` configured by `beam_pipeline_args` (e.g. `["--runner=DataflowRunner",
    "--project=..."]`). With no `--runner` Beam uses its DirectRunner, in this process."""
    import apache_beam as beam

    return beam.Pipeline(options=beam_options(beam_pipeline_args))
