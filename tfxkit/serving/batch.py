"""`tfxkit predict`: score CSV files with a pushed version, outside any pipeline, on Beam with
the BulkInferrer's RunInference pipeline; writes TFX's `prediction_logs-*.gz`."""

from __future__ import annotations

import csv
import dataclasses
import glob
import os
from typing import Any

from tfxkit.components.pusher.registry import list_pushed_versions, resolve_alias
from tfxkit.errors import DataError


@dataclasses.dataclass
class PredictSummary:
    """What `predict_files` did: the version used, the files read, the number of predictions,
    the CSV columns the model does not take (ignored), and the output folder."""

    version: int
    model_path: str
    files: list[str]
    count: int
    ignored_columns: list[str]
    output: str


def pushed_version(destination: str, version: int | None = None,
                   alias: str | None = None) -> dict[str, Any]:
    """The complete version folder a command names (`version`, `alias` or the latest), as a
    `list_pushed_versions` entry. Raises DataError listing the versions there, RegistryError
    for an alias that is not set."""
    versions = list_pushed_versions(destination)
    complete = [v for v in versions if v["complete"]]
    listed = ", ".join(str(v["version"]) for v in complete) or "none"
    if not os.path.isdir(destination):
        raise DataError(f"expected the Pusher's destination folder at {destination}, found "
                        f"{'a file' if os.path.exists(destination) else 'nothing'}.")
    if alias is not None:
        version = resolve_alias(destination, alias)  # RegistryError lists the aliases set
    if version is None:
        if not complete:
            raise DataError(f"no pushed version at {destination} holds a SavedModel; run the "
                            f"pipeline's Pusher first.")
        return complete[-1]
    chosen = [v for v in complete if v["version"] == version]
    if not chosen:
        raise DataError(f"version {version} is not a complete pushed version at {destination} "
                        f"(versions: {listed}).")
    return chosen[0]


def read_csv_examples(paths: list[str], features: dict[str, Any]) -> tuple[list[bytes],
                                                                           list[str]]:
    """(serialized tf.Examples, ignored column names) of CSV files with a header row, cells
    typed by the model's raw features. Raises DataError naming the file and line."""
    from tfxkit.components.bulk_inferrer.saved_model import csv_cell, encode_example

    serialized: list[bytes] = []
    ignored: list[str] = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [n for n, f in features.items() if f.required and n not in header]
            if missing:
                raise DataError(
                    f"{path}: the model requires column(s) {', '.join(missing)}, which the "
                    f"header lacks; found columns {', '.join(header) or 'none'}.")
            ignored += [c for c in header if c not in features and c not in ignored]
            for line, row in enumerate(reader, start=2):
                where = f"{path}:{line}"
                if None in row:
                    raise DataError(f"{where}: more cells than header columns "
                                    f"({len(header)}).")
                values = {name: csv_cell(row[name] or "", features[name],
                                         f"{where}, column {name!r}")
                          for name in header if name in features}
                serialized.append(encode_example(values, features, where))
    return serialized, ignored


def predict_files(destination: str, patterns: list[str], output: str,
                  version: int | None = None, alias: str | None = None,
                  beam_pipeline_args: list[str] | None = None) -> PredictSummary:
    """Predict with a pushed version on every row of the CSV files matching `patterns`; write
    `{output}/prediction_logs-*.gz` (PredictionLog records, one per row, as BulkInferrer).

    Raises DataError for no matching file, a version or alias that is not there, a CSV that
    lacks a required column or holds text in a numeric column, or an output folder that
    already holds prediction logs (nothing is overwritten).
    """
    from tfxkit.components.bulk_inferrer.inference import PREDICTION_LOGS, run_inference
    from tfxkit.components.bulk_inferrer.saved_model import load

    files = sorted({f for p in patterns for f in glob.glob(os.path.expanduser(p))
                    if os.path.isfile(f)})
    if not files:
        raise DataError(f"no file matches {', '.join(patterns)}; expected CSV files with a "
                        f"header row, e.g. --input 'data/*.csv'.")
    existing = glob.glob(os.path.join(output, f"{PREDICTION_LOGS}-*"))
    if existing:
        raise DataError(f"{output} already holds prediction logs ({os.path.basename(existing[0])}"
                        f"); choose an empty --output folder (nothing is overwritten).")
    chosen = pushed_version(destination, version, alias)
    _, _, signature = load(chosen["path"])
    if signature.features is None:
        raise DataError(f"the model at {chosen['path']} does not parse tf.Example features "
                        f"tfxkit can read, so CSV columns cannot be typed.")
    serialized, ignored = read_csv_examples(files, signature.features)
    os.makedirs(output, exist_ok=True)
    counts = run_inference(beam_pipeline_args, {"input": serialized}, chosen["path"],
                           signature.name, ["serve"], output)
    return PredictSummary(chosen["version"], chosen["path"], files, counts["input"], ignored,
                          os.path.abspath(output))
