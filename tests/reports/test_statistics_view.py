"""The statistics, schema and anomalies views render offline from their protos (issue 14, item 1):
no external script or style, a histogram per numeric feature with the splits overlaid, top
values per string feature, missing %, drift, anomalies flagged, sorting; no TensorFlow or TFDV
imported while rendering, in well under 3 s.

Statistics, schema and anomalies are made by real TFDV on two tiny splits where `price` drifts,
`size` misses values in eval and `color` has a value the schema does not know."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tfxkit.errors import DataError
from tfxkit.reports import render_html
from tfxkit.reports.data import (
    categorical_drift,
    feature_views,
    load_statistics,
    numeric_drift,
    sort_views,
)

HEAVY = ("tensorflow", "tensorflow_data_validation", "apache_beam", "tfx_bsl",
         "tensorflow_model_analysis", "tensorflow_transform")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import pandas as pd
    import tensorflow_data_validation as tfdv

    root = tmp_path_factory.mktemp("data")
    train = pd.DataFrame({"price": [float(i % 10) for i in range(100)],
                          "size": [1.0 + i % 3 for i in range(100)],
                          "color": ["red", "blue", "green", "red"] * 25})
    evaluation = pd.DataFrame({"price": [5.0 + i % 10 for i in range(50)],
                               "size": [None if i % 5 == 0 else 2.0 for i in range(50)],
                               "color": ["red", "purple"] * 25})
    stats, anomalies = root / "statistics", root / "anomalies"
    schema = None
    for split, frame in (("train", train), ("eval", evaluation)):
        result = tfdv.generate_statistics_from_dataframe(frame)
        (stats / f"Split-{split}").mkdir(parents=True)
        (stats / f"Split-{split}" / "FeatureStats.pb").write_bytes(result.SerializeToString())
        schema = schema or tfdv.infer_schema(result)
        found = tfdv.validate_statistics(result, schema)
        (anomalies / f"Split-{split}").mkdir(parents=True)
        (anomalies / f"Split-{split}" / "SchemaDiff.pb").write_bytes(found.SerializeToString())
    (root / "schema").mkdir()
    tfdv.write_schema_text(schema, str(root / "schema" / "schema.pbtxt"))
    return {"statistics": stats, "anomalies": anomalies, "schema": root / "schema"}


def _external_assets(page: str) -> list[str]:
    """src= / href= values that reach the network (scripts, styles, images, fonts)."""
    return [m for m in re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", page)
            if re.match(r"(?:https?:)?//", m)] + re.findall(r"@import|url\(\s*['\"]?https?:", page)


@pytest.mark.integration
def test_statistics_view_is_self_contained_with_histograms(artifacts: dict[str, Path]) -> None:
    page = render_html("ExampleStatistics", str(artifacts["statistics"]),
                       anomalies_uri=str(artifacts["anomalies"]))
    assert _external_assets(page) == []
    assert "<script src" not in page and "<link" not in page
    assert "<h2>train vs eval</h2>" in page and "train: 100 examples, eval: 50 examples" in page
    stats = load_statistics(str(artifacts["statistics"]))
    assert list(stats) == ["train", "eval"]
    # One histogram per numeric feature, each split's buckets overlaid.
    buckets = 0
    for split_stats in stats.values():
        for feature in split_stats.datasets[0].features:
            for histogram in feature.num_stats.histograms:
                if histogram.type == histogram.STANDARD:
                    buckets += len(histogram.buckets)
    assert buckets > 0 and page.count("class='hist-bar'") == buckets
    assert page.count(">histogram</text>") == 2  # price, size
    # Top values of the string feature, both splits, shares in percent.
    assert ">top 4 values (share)</text>" in page
    assert "eval / purple: 50%" in page and "train / red: 50%" in page


@pytest.mark.integration
def test_statistics_numbers_missing_drift_and_anomalies(artifacts: dict[str, Path]) -> None:
    from tfxkit.reports.data import anomalous_features, load_anomalies

    flagged = anomalous_features(load_anomalies(str(artifacts["anomalies"])))
    assert set(flagged) == {"color", "size"}  # new value "purple"; size missing in eval
    views = {v.name: v for v in feature_views(load_statistics(str(artifacts["statistics"])),
                                              flagged)}
    assert set(views) == {"price", "size", "color"}
    assert views["size"].missing("eval") == pytest.approx(10 / 50)
    assert views["size"].missing("train") == 0.0
    assert views["price"].kind == "numeric" and views["color"].kind == "categorical"
    # price moved by half its range; colour: red 50% in both, purple 0% -> 50%.
    assert views["price"].drift == pytest.approx(0.5, abs=0.06)
    assert views["color"].drift == pytest.approx(0.5)
    assert views["size"].drift < views["price"].drift
    assert sort_views(list(views.values()), "missing")[0].name == "size"
    assert [v.name for v in sort_views(list(views.values()), "drift")][:2] in (
        ["color", "price"], ["price", "color"])
    assert [v.name for v in sort_views(list(views.values()), "anomalies")][:2] == ["color", "size"]
    with pytest.raises(DataError, match="expected one of name, missing, drift, anomalies"):
        sort_views([], "colour")
    page = render_html("ExampleStatistics", str(artifacts["statistics"]),
                       anomalies_uri=str(artifacts["anomalies"]))
    assert "2 with anomalies" in page
    assert page.count("class='anomaly'") == len(flagged["color"]) + len(flagged["size"])
    assert "<td class='num high'>20.0%</td>" in page  # size missing in eval
    assert "data-name='price' data-missing='0.000000' data-drift='0.5" in page
    assert "onchange='tfxkitSort(this.value)'" in page and "function tfxkitSort" in page


def test_drift_measures_on_plain_histograms() -> None:
    same = [(0.0, 1.0, 5.0), (1.0, 2.0, 5.0)]
    assert numeric_drift(same, same) == 0.0
    assert numeric_drift(same, [(2.0, 3.0, 4.0)]) == 1.0  # disjoint
    assert numeric_drift([], []) == 0.0
    from tensorflow_metadata.proto.v0 import statistics_pb2

    a, b = statistics_pb2.FeatureNameStatistics(), statistics_pb2.FeatureNameStatistics()
    for proto, values in ((a, {"x": 3, "y": 1}), (b, {"x": 1, "y": 1})):
        proto.string_stats.common_stats.tot_num_values = sum(values.values())
        for value, count in values.items():
            proto.string_stats.top_values.add(value=value, frequency=count)
    assert categorical_drift(a, b) == pytest.approx(0.25)


@pytest.mark.integration
def test_schema_and_anomalies_views(artifacts: dict[str, Path]) -> None:
    schema = render_html("Schema", str(artifacts["schema"]))
    assert _external_assets(schema) == []
    assert "<tr><td>price</td><td>FLOAT</td><td>required</td><td>shape [1]</td>" in schema
    assert ("<tr><td>color</td><td>BYTES</td><td>required</td><td>shape [1]</td>"
            "<td>&#x27;color&#x27;</td>") in schema
    assert "<h2>Domains</h2>" in schema and "&#x27;green&#x27;" in schema
    anomalies = render_html("ExampleAnomalies", str(artifacts["anomalies"]))
    assert "<h2>train</h2><p>No anomalies found.</p>" in anomalies
    assert re.search(r"<tr><td>color</td><td>Unexpected string values</td><td>[^<]*purple",
                     anomalies)


@pytest.mark.integration
def test_rendering_imports_no_tensorflow_and_is_fast(artifacts: dict[str, Path]) -> None:
    script = (
        "import sys, time; start = time.perf_counter()\n"
        "from tfxkit.reports import render_html\n"
        f"for kind, uri in [('ExampleStatistics', {str(artifacts['statistics'])!r}), "
        f"('Schema', {str(artifacts['schema'])!r}), "
        f"('ExampleAnomalies', {str(artifacts['anomalies'])!r})]:\n"
        "    render_html(kind, uri)\n"
        f"print(time.perf_counter() - start, sorted(m for m in {HEAVY!r} if m in sys.modules))\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    wall = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    seconds, heavy = done.stdout.split(" ", 1)
    print(f"render three data views: {float(seconds):.2f} s in-process, {wall:.2f} s with "
          f"interpreter start")
    assert heavy.strip() == "[]"
    assert float(seconds) < 3.0


def test_broken_files_are_data_errors(tmp_path: Path) -> None:
    (tmp_path / "stats" / "Split-train").mkdir(parents=True)
    (tmp_path / "stats" / "Split-train" / "FeatureStats.pb").write_bytes(b"\xff\xfe not a proto")
    with pytest.raises(DataError, match="not a serialized DatasetFeatureStatisticsList"):
        render_html("ExampleStatistics", str(tmp_path / "stats"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"expected Split-<name>/FeatureStats.pb, found none"):
        render_html("ExampleStatistics", str(tmp_path / "empty"))
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "schema.pbtxt").write_text('feature {\n  name: "a"\n  typo: 1\n}\n')
    with pytest.raises(DataError, match=r"schema.pbtxt is not a text-format Schema proto: 3:"):
        render_html("Schema", str(tmp_path / "schema"))


@pytest.mark.integration
def test_show_sorts_features_as_asked(artifacts: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from tfxkit.cli.main import main

    order = {}
    for key in ("name", "missing", "drift"):
        output = tmp_path / f"{key}.html"
        assert main(["show", str(artifacts["statistics"]), "--sort", key, "-o", str(output)]) == 0
        assert capsys.readouterr().out.strip() == str(output)
        order[key] = re.findall(r"class='feature' data-name='(\w+)'", output.read_text())
    assert order["name"] == ["price", "size", "color"]  # numeric first, then categorical
    assert order["missing"] == ["size", "price", "color"]
    assert order["drift"] == ["price", "size", "color"]
    assert "<option value='drift' selected>" in (tmp_path / "drift.html").read_text()
