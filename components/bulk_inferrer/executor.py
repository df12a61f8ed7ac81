"""BulkInferrer executor: RunInference on Beam over the chosen splits, or a recorded skip when
the model is NOT_BLESSED."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from tfxkit.components._shared.blessing import is_blessed
from tfxkit.components._shared.examples import single, split_file_pattern, split_names
from tfxkit.components.bulk_inferrer.config import signature_name, tags
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.errors import ExecutionError
from tfxkit.types.artifact import Artifact

logger = logging.getLogger(__name__)

COMPONENT = "BulkInferrer"
SERVING_DIR = "Format-Serving"


def check_signature(model_path: str, name: str, tag_set: list[str]) -> None:
    """Refuse, before Beam starts, a model folder without a SavedModel or without signature
    `name` under `tag_set` (read from saved_model.pb, without loading the model)."""
    from tensorflow.core.protobuf import saved_model_pb2

    pb = os.path.join(model_path, "saved_model.pb")
    if not os.path.isfile(pb):
        raise ExecutionError(
            f"{COMPONENT}: expected the serving SavedModel at {model_path} (saved_model.pb), "
            f"found {'no saved_model.pb' if os.path.isdir(model_path) else 'nothing'}. The "
            f"Trainer's run_fn must save the model to fn_args.serving_model_dir.")
    saved = saved_model_pb2.SavedModel()
    with open(pb, "rb") as handle:
        saved.ParseFromString(handle.read())
    graphs = [g for g in saved.meta_graphs if set(g.meta_info_def.tags) == set(tag_set)]
    if not graphs:
        found = [sorted(g.meta_info_def.tags) for g in saved.meta_graphs]
        raise ExecutionError(
            f"{COMPONENT}: the model at {model_path} has no graph tagged {tag_set}; its tag "
            f"sets are {found}. Fix model_spec['tag'].")
    signatures = sorted(k for k in graphs[0].signature_def if not k.startswith("__"))
    if name not in signatures:
        raise ExecutionError(
            f"{COMPONENT}: the model at {model_path} has no signature {name!r}; it has "
            f"{', '.join(signatures) or 'none'}. Fix model_spec['model_signature_name'].")


class Executor(BaseExecutor):
    """Writes one PredictionLog per example of the chosen splits to `inference_result`
    (`prediction_logs-*.gz`) and, with `output_example_spec`, the examples with prediction
    columns to `output_examples` (`Split-<split>/examples-*.gz`).

    Skipped when `model_blessing` says NOT_BLESSED: nothing is written, `inferred`=0 and
    `inference_reason` says why; the execution still succeeds (as TFX's BulkInferrer).
    """

    def Do(
        self,
        input_dict: dict[str, list[Artifact]],
        output_dict: dict[str, list[Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        """Infer or skip; see the class docstring."""
        examples = single(input_dict, "examples", COMPONENT)
        model = single(input_dict, "model", COMPONENT)
        if examples is None or model is None:
            raise ExecutionError(
                f"{COMPONENT}: inputs 'examples' and 'model' are required; connect "
                f"example_gen.outputs['examples'] and trainer.outputs['model'].")
        blessing = single(input_dict, "model_blessing", COMPONENT)
        result = single(output_dict, "inference_result", COMPONENT)
        assert result is not None
        example_spec = exec_properties.get("output_example_spec")
        output_examples = single(output_dict, "output_examples", COMPONENT) \
            if example_spec else None

        if blessing is not None and not is_blessed(blessing):
            reason = blessing.get_custom_property("blessing_reason", "")
            message = (f"model at {model.uri} is NOT_BLESSED by the Evaluator (blessing at "
                       f"{blessing.uri}{': ' + reason if reason else ''}); no inference made")
            logger.warning("%s: %s", COMPONENT, message)
            result.set_custom_property("inferred", 0)
            result.set_custom_property("inference_reason", message)
            result.set_custom_property("note", "skipped: the model is NOT_BLESSED")
            if output_examples is not None:
                output_examples.split_names = []
            return

        wanted = (exec_properties.get("data_spec") or {}).get("example_splits") or \
            split_names(examples)
        if not wanted:
            raise ExecutionError(
                f"{COMPONENT}: Examples at {examples.uri} have no splits (no Split-* folders); "
                f"expected ExampleGen's output.")
        inputs: dict[str, str | list[bytes]] = {split: split_file_pattern(examples, split, COMPONENT,
                                            "data_spec['example_splits']")
                  for split in wanted}
        model_spec = exec_properties.get("model_spec")
        model_path = os.path.join(model.uri, SERVING_DIR)
        check_signature(model_path, signature_name(model_spec), tags(model_spec))

        from tfxkit.components.bulk_inferrer.inference import run_inference

        example_dirs = None
        if output_examples is not None:
            example_dirs = {s: os.path.join(output_examples.uri, f"Split-{s}") for s in wanted}
            output_examples.split_names = list(wanted)
        os.makedirs(result.uri, exist_ok=True)
        counts = run_inference(self.context.beam_pipeline_args, inputs, model_path,
                               signature_name(model_spec), tags(model_spec), result.uri,
                               example_dirs, example_spec)
        total = sum(counts.values())
        result.set_custom_property("inferred", 1)
        result.set_custom_property("example_count", total)
        result.set_custom_property("split_counts", json.dumps(counts))
        result.set_custom_property(
            "note", f"{total} predictions ({', '.join(f'{s}: {n}' for s, n in counts.items())})")
        logger.info("%s: wrote %d PredictionLogs to %s", COMPONENT, total, result.uri)
