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


def read_csv_examples(paths: list[str], features: dict[str, Any],
                      null_values: tuple[str, ...] | None = None) -> tuple[list[bytes], list[str]]:
    """(serialized tf.Examples, ignored column names) of CSV files with a header row, cells
    typed by the model's raw features.

    Cells are decoded with CsvExampleGen's rules and defaults (`CsvOptions`, `clean_cells` of
    `components/csv_example_gen/decoding.py`): header names stripped, an empty cell or a null
    token (`null_values`, default NA, N/A, n/a, NULL, null) is a missing value, so a file the
    pipeline trained on is read the same way here. Raises DataError naming the file and line.
    """
    import pyarrow as pa

    from tfxkit.components.bulk_inferrer.saved_model import csv_cell, encode_example
    from tfxkit.components.csv_example_gen.decoding import CsvOptions, clean_cells

    options = CsvOptions.from_exec_properties(
        {} if null_values is None else {"null_values": list(null_values)})
    serialized: list[bytes] = []
    ignored: list[str] = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle, delimiter=options.delimiter))
        header = [c.strip() if options.strip_header_names else c for c in (rows or [[]])[0]]
        missing = [n for n, f in features.items() if f.required and n not in header]
        if missing:
            raise DataError(
                f"{path}: the model requires column(s) {', '.join(missing)}, which the "
                f"header lacks; found columns {', '.join(header) or 'none'}.")
        ignored += [c for c in header if c not in features and c not in ignored]
        numbered = [(line, row) for line, row in enumerate(rows[1:], start=2) if row]
        body = [row for _, row in numbered]
        for line, row in numbered:
            if len(row) > len(header):
                raise DataError(f"{path}:{line}: more cells than header columns "
                                f"({len(header)}).")
        columns: dict[str, list[str]] = {}
        for index, name in enumerate(header):
            if name not in features:
                continue
            raw = pa.array([(row[index].encode() or None) if index < len(row) else None
                            for row in body], pa.binary())
            cleaned, _ = clean_cells(raw, options.null_values, options.skip_initial_space)
            columns[name] = [b.decode() if b is not None else ""
                             for b in cleaned.to_pylist()]
        for number, (line, _) in enumerate(numbered):
            where = f"{path}:{line}"
            values = {name: csv_cell(cells[number], features[name], f"{where}, column {name!r}")
                      for name, cells in columns.items()}
            serialized.append(encode_example(values, features, where))
    return serialized, ignored


def predict_files(destination: str, patterns: list[str], output: str,
                  version: int | None = None, alias: str | None = None,
                  beam_pipeline_args: list[str] | None = None,
                  null_values: tuple[str, ...] | None = None) -> PredictSummary:
    """Predict with a pushed version on every row of the CSV files matching `patterns`; write
    `{output}/prediction_logs-*.gz` (PredictionLog records, one per row, as BulkInferrer).

    CSV cells are read as CsvExampleGen reads them (`null_values` as its option: None for its
    defaults). Raises DataError for no matching file, a version or alias that is not there, a CSV that
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
    serialized, ignored = read_csv_examples(files, signature.features, null_values)
    os.makedirs(output, exist_ok=True)
    counts = run_inference(beam_pipeline_args, {"input": serialized}, chosen["path"],
                           signature.name, ["serve"], output)
    return PredictSummary(chosen["version"], chosen["path"], files, counts["input"], ignored,
                          os.path.abspath(output))
