"""Build the Beam pipeline a data-heavy executor runs on, from the runner's pipeline args."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import apache_beam as beam


def make_beam_pipeline(beam_pipeline_args: list[str] | None) -> beam.Pipeline:
    """A `beam.Pipeline` configured by `beam_pipeline_args` (e.g. `["--runner=DataflowRunner",
    "--project=..."]`). With no `--runner` Beam uses its DirectRunner, in this process."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    return beam.Pipeline(options=PipelineOptions(list(beam_pipeline_args or [])))
