"""What components share lives once, in components/_shared (issue 18): the schema and statistics
loaders with one set of errors, the Beam switches, the TF environment, the blessing verdict,
the model registry (public name kept), and the file-based ExampleGens' common constructor.

Fast: tiny files, no TensorFlow, no pipeline runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tfxkit.errors import ComponentArgumentError, DataError
from tfxkit.types.standard_artifacts import ExampleStatistics, ModelBlessing, Schema


# -- schema -------------------------------------------------------------------------------------
def test_load_schema_reads_what_tfdv_reads(tmp_path: Path) -> None:
    from tfxkit.components._shared.schema import load_optional_schema, load_schema

    (tmp_path / "schema.pbtxt").write_text('feature { name: "age" type: INT }\n')
    schema = load_schema(Schema(uri=str(tmp_path)), "Transform")
    assert [(f.name, f.type) for f in schema.feature] == [("age", 2)]  # INT
    assert load_schema(str(tmp_path), "report").feature[0].name == "age"
    assert load_optional_schema([Schema(uri=str(tmp_path))], "StatisticsGen") == schema
    assert load_optional_schema([], "StatisticsGen") is None


@pytest.mark.parametrize(("content", "message"), [
    (None, r"^Evaluator: expected the schema at .*schema\.pbtxt, which is missing\. Produce it "
           r"with SchemaGen or ImportSchemaGen"),
    ('feature {\n  name: "a"\n  typo: 1\n}\n',
     r"^Evaluator: .*schema\.pbtxt is not a text-format Schema proto: 3:3 : .*typo.*Fix the line"),
    (b"\xff\xfe", r"^Evaluator: .*schema\.pbtxt is not a text-format Schema proto: .*utf-8"),
])
def test_every_component_gets_the_same_schema_errors(tmp_path: Path, content: str | bytes | None,
                                                     message: str) -> None:
    """One loader, one set of errors: a DataError naming the reader and the file, for
    StatisticsGen, ExampleValidator, Transform, Evaluator and the reports alike."""
    from tfxkit.components._shared.schema import load_schema

    if isinstance(content, str):
        (tmp_path / "schema.pbtxt").write_text(content)
    elif isinstance(content, bytes):
        (tmp_path / "schema.pbtxt").write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_schema(Schema(uri=str(tmp_path)), "Evaluator")


# -- statistics ---------------------------------------------------------------------------------
def _statistics(tmp_path: Path, splits: list[str]) -> ExampleStatistics:
    artifact = ExampleStatistics(uri=str(tmp_path / "stats"))
    artifact.split_names = splits
    return artifact


def test_load_split_statistics_and_its_errors(tmp_path: Path) -> None:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    from tfxkit.components._shared.statistics import STATS_FILE, load_split_statistics

    artifact = _statistics(tmp_path, ["train", "eval"])
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    stats.datasets.add(num_examples=3)
    folder = tmp_path / "stats" / "Split-train"
    folder.mkdir(parents=True)
    (folder / STATS_FILE).write_bytes(stats.SerializeToString())
    assert load_split_statistics(artifact, "train") == stats
    with pytest.raises(DataError, match=r"split 'eval': expected .*Split-eval/FeatureStats\.pb, "
                                        r"which is missing\. Re-run StatisticsGen, or check "
                                        r"split_names \(\['train', 'eval'\]\)"):
        load_split_statistics(artifact, "eval")
    (folder / STATS_FILE).write_bytes(b"\xff\xfe not a proto")
    with pytest.raises(DataError, match="is not a serialized DatasetFeatureStatisticsList"):
        load_split_statistics(artifact, "train")


@pytest.mark.parametrize(("splits", "exclude", "result"), [
    (["train", "eval"], None, ["train", "eval"]),
    (["train", "eval"], ["eval"], ["train"]),
    (["train", "eval"], ["test"], r"SchemaGen exclude_splits: \['test'\] are not splits of the "
                                  r"input \(it has \['train', 'eval'\]\)"),
    (["train"], ["train"], r"SchemaGen exclude_splits=\['train'\] excludes every split"),
    ([], None, r"SchemaGen: the input ExampleStatistics artifact at .* has no split_names"),
])
def test_selected_splits(tmp_path: Path, splits: list[str], exclude: list[str] | None,
                         result: list[str] | str) -> None:
    from tfxkit.components._shared.statistics import selected_splits

    artifact = _statistics(tmp_path, splits)
    if isinstance(result, list):
        assert selected_splits(artifact, exclude, "SchemaGen") == result
    else:
        with pytest.raises(DataError, match=result):
            selected_splits(artifact, exclude, "SchemaGen")


# -- beam, TF environment, blessing ---------------------------------------------------------------
@pytest.mark.parametrize(("args", "expected"), [
    ([], False), (["--runner=DirectRunner"], False), (["--runner", "direct"], False),
    (["--tfxkit_use_beam"], True), (["--runner=DataflowRunner"], True),
    (["--runner", "PortableRunner"], True),
])
def test_use_beam(args: list[str], expected: bool) -> None:
    from tfxkit.components._shared.beam import use_beam

    assert use_beam(args) is expected


@pytest.mark.parametrize("component", ["transform", "trainer", "evaluator"])
def test_tensorflow_executors_set_the_environment_once(monkeypatch: pytest.MonkeyPatch,
                                                       component: str) -> None:
    import importlib

    from tfxkit.components._shared.tf_env import TensorFlowExecutor

    executor = importlib.import_module(f"tfxkit.components.{component}.executor").Executor
    assert issubclass(executor, TensorFlowExecutor)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    executor()
    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "0")  # the user's own value wins
    executor()
    assert os.environ["TF_USE_LEGACY_KERAS"] == "0"


def test_is_blessed_reads_the_property_then_the_marker(tmp_path: Path) -> None:
    from tfxkit.components._shared.blessing import BLESSED_FILE, NOT_BLESSED_FILE, is_blessed

    blessing = ModelBlessing(uri=str(tmp_path))
    assert not is_blessed(blessing)
    (tmp_path / NOT_BLESSED_FILE).touch()
    assert not is_blessed(blessing)
    (tmp_path / BLESSED_FILE).touch()
    assert is_blessed(blessing)
    blessing.set_custom_property("blessed", 0)  # the property wins over the marker
    assert not is_blessed(blessing)


def test_the_model_registry_keeps_its_public_name() -> None:
    """`tfxkit.components.pusher.registry` (docs/model-registry.md) is the shared registry."""
    from tfxkit.components._shared import model_registry
    from tfxkit.components.pusher import registry

    assert registry.__all__
    for name in registry.__all__:
        assert getattr(registry, name) is getattr(model_registry, name), name


# -- the file-based ExampleGens share one constructor --------------------------------------------
@pytest.mark.parametrize("name", ["ImportExampleGen", "ParquetExampleGen"])
def test_file_based_example_gens_share_the_constructor(tmp_path: Path, name: str) -> None:
    import tfxkit.components as components

    cls = getattr(components, name)
    gen = cls(str(tmp_path), {"splits": [{"name": "train", "pattern": "*"}]}, None, True)
    assert gen.exec_properties == {
        "input_base": str(tmp_path), "input_config": {"splits": [{"name": "train",
                                                                  "pattern": "*"}]},
        "follow_symlinks": True}
    assert gen.known_split_names("examples") == ["train", "eval"]
    with pytest.raises(ComponentArgumentError,
                       match=rf"{name} got an unknown argument 'delimiter'. Accepted: "
                             r"input_base, input_config, output_config, follow_symlinks"):
        cls(input_base=str(tmp_path), delimiter=",")
    with pytest.raises(DataError, match=r"pattern '../x' leaves input_base"):
        cls(input_base=str(tmp_path), input_config={"splits": [{"name": "a",
                                                                "pattern": "../x"}]})


# -- one escaping function for every view ---------------------------------------------------------
def test_reports_escape_with_the_one_kit_function() -> None:
    from tfxkit.reports import htmlkit, svg
    from tfxkit.reports.svg import DagNode, dag_svg

    assert htmlkit.esc("<a href='x'>&</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&lt;/a&gt;"
    assert svg.esc is htmlkit.esc and not hasattr(svg, "_esc")
    drawing = dag_svg([DagNode(id="n", title="<script>", subtitle="a&b")], [], 200)
    assert "<script>" not in drawing and "&lt;script&gt;" in drawing
    assert htmlkit.table(["h<"], [[1.23456, None, "<b>"]], raw_columns=frozenset({2})) == (
        "<table><thead><tr><th>h&lt;</th></tr></thead><tbody><tr><td>1.235</td><td></td>"
        "<td><b></td></tr></tbody></table>")
