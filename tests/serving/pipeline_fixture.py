"""The model the serving and BulkInferrer tests share: a tiny real pipeline (CsvExampleGen,
StatisticsGen, SchemaGen, Transform, Trainer, Pusher and BulkInferrer) on 150 penguin rows with
string class names, run once per test session with the local runner (about a minute).

`build(tmp_path_factory)` runs it the first time it is called and returns the same `Built`
afterwards, so fixtures in tests/serving/ and tests/components/ share one run.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import pytest

SHARED_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "penguins_processed.csv"
MODULE = Path(__file__).resolve().parent / "resources" / "classifier_module.py"
SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
NUMERIC = ["culmen_length_mm", "culmen_depth_mm", "flipper_length_mm", "body_mass_g"]
ROWS = 150


@dataclasses.dataclass
class Built:
    """What the shared run left: folders, the components and the run's artifacts."""

    root: Path
    data_root: Path
    destination: Path
    components: dict[str, Any]
    outputs: dict[str, dict[str, list[Any]]]

    def artifact(self, node: str, key: str) -> Any:
        """The single output `key` of node `node`."""
        (artifact,) = self.outputs[node][key]
        return artifact


def write_penguin_csv(path: Path, rows: int = ROWS, with_label: bool = True) -> list[dict[str, Any]]:
    """Every other-but-spread penguin row (`rows` of them) with species as a name and a derived
    `island` string column; returns the rows written."""
    with SHARED_CSV.open() as handle:
        source = list(csv.DictReader(handle))
    step = max(1, len(source) // rows)
    chosen = source[::step][:rows]
    out = []
    for row in chosen:
        record: dict[str, Any] = {}
        if with_label:
            record["species"] = SPECIES[int(row["species"])]
        record["island"] = "Biscoe" if float(row["body_mass_g"]) > 0.4 else "Dream"
        record.update({name: float(row[name]) for name in NUMERIC})
        out.append(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    return out


_BUILT: dict[str, Built] = {}


def build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Run the shared pipeline once per session (see the module docstring)."""
    if "built" in _BUILT:
        return _BUILT["built"]
    from tfxkit import Pipeline
    from tfxkit.components import (
        BulkInferrer,
        CsvExampleGen,
        Pusher,
        SchemaGen,
        StatisticsGen,
        Trainer,
        Transform,
    )
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    root = tmp_path_factory.mktemp("serving_pipeline")
    data_root = root / "data"
    write_penguin_csv(data_root / "penguins.csv")
    destination = root / "serving" / "penguin"
    gen = CsvExampleGen(input_base=str(data_root))
    stats = StatisticsGen(examples=gen.outputs["examples"])
    schema = SchemaGen(statistics=stats.outputs["statistics"])
    transform = Transform(examples=gen.outputs["examples"], schema=schema.outputs["schema"],
                          module_file=str(MODULE))
    trainer = Trainer(examples=transform.outputs["transformed_examples"],
                      transform_graph=transform.outputs["transform_graph"],
                      module_file=str(MODULE), train_args={"num_steps": 40},
                      eval_args={"num_steps": 2})
    pusher = Pusher(model=trainer.outputs["model"], push_destination=str(destination))
    inferrer = BulkInferrer(
        examples=gen.outputs["examples"], model=trainer.outputs["model"],
        data_spec={"example_splits": ["eval"]},
        output_example_spec={"output_columns_spec": [
            {"predict_output": {"output_columns": [
                {"output_key": "outputs", "output_column": "probabilities"}]}}]})
    components = [gen, stats, schema, transform, trainer, pusher, inferrer]
    pipeline = Pipeline(pipeline_name="serving_test", pipeline_root=str(root / "output"),
                        components=components,
                        beam_pipeline_args=["--direct_running_mode=in_memory",
                                            "--direct_num_workers=1"])
    result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)
    outputs = {node_id: dict(node.outputs) for node_id, node in result.nodes.items()}
    built = Built(root, data_root, destination, {c.id: c for c in components}, outputs)
    _BUILT["built"] = built
    return built
