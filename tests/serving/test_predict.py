"""`tfxkit predict`: CSV files scored with a pushed version, one PredictionLog per row equal to
the SavedModel's own outputs; bad inputs refused with file and line before anything is
written."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from tests.serving.pipeline_fixture import Built, write_penguin_csv
from tfxkit.cli.main import main

pytestmark = pytest.mark.integration


def logs(folder: Path) -> list[bytes]:
    import tensorflow as tf

    files = sorted(glob.glob(str(folder / "prediction_logs-*.gz")))
    assert files
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def test_predict_writes_one_log_per_row(built: Built, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    write_penguin_csv(tmp_path / "new" / "a.csv", rows=20)
    write_penguin_csv(tmp_path / "new" / "b.csv", rows=7, with_label=False)
    output = tmp_path / "preds"
    code = main(["predict", str(built.destination), "--version", "1", "--input",
                 str(tmp_path / "new" / "*.csv"), "--output", str(output)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "version 1" in out and "27 predictions from 2 file(s)" in out
    assert "columns the model does not take, ignored: species" in out
    records = [prediction_log_pb2.PredictionLog.FromString(r) for r in logs(output)]
    assert len(records) == 27
    model = tf.saved_model.load(str(built.destination / "1"))
    serialized = [r.predict_log.request.inputs["examples"].string_val[0] for r in records]
    own = model.signatures["serving_default"](examples=tf.constant(serialized))["outputs"]
    logged = np.concatenate([tf.make_ndarray(r.predict_log.response.outputs["outputs"])
                             for r in records])
    np.testing.assert_allclose(logged, own.numpy(), atol=1e-6)
    features = tf.train.Example.FromString(serialized[0]).features.feature
    assert "species" not in features and features["island"].bytes_list.value


def test_predict_with_an_alias(built: Built, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from tfxkit.components.pusher.registry import promote

    destination = tmp_path / "penguin"
    shutil.copytree(built.destination, destination)
    shutil.copytree(destination / "1", destination / "2")
    promote(str(destination), 1, "production")
    write_penguin_csv(tmp_path / "a.csv", rows=5)
    code = main(["predict", str(destination), "--alias", "production", "--input",
                 str(tmp_path / "a.csv"), "--output", str(tmp_path / "preds")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"version 1 ({destination / '1'}): 5 predictions" in out
    assert len(logs(tmp_path / "preds")) == 5
    both = main(["predict", str(destination), "--alias", "production", "--version", "2",
                 "--input", str(tmp_path / "a.csv"), "--output", str(tmp_path / "other")])
    assert both == 1
    assert "pass --version N or --alias NAME, not both" in capsys.readouterr().err


@pytest.mark.parametrize(("setup", "arguments", "pattern"), [
    ("text_in_number", ["--version", "1"],
     r"bad\.csv:3, column 'body_mass_g': expected a number for float feature 'body_mass_g', "
     r"found 'heavy'"),
    ("missing_column", [], r"bad\.csv: the model requires column\(s\) island, which the header "
                           r"lacks"),
    ("no_version", ["--version", "7"], r"version 7 is not a complete pushed version at .* "
                                       r"\(versions: 1\)"),
    ("unknown_alias", ["--alias", "production"],
     r"no version has alias 'production' at .* \(aliases set: none\)"),
    ("no_file", [], r"no file matches"),
    ("logs_exist", [], r"already holds prediction logs .*nothing is overwritten"),
])
def test_predict_refusals(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          setup: str, arguments: list[str], pattern: str) -> None:
    import re

    data = tmp_path / "bad.csv"
    rows = write_penguin_csv(data, rows=3)
    text = data.read_text()
    if setup == "text_in_number":
        data.write_text(text.replace(str(rows[1]["body_mass_g"]), "heavy", 1))
    elif setup == "missing_column":
        data.write_text("\n".join(",".join(line.split(",")[:1] + line.split(",")[2:])
                                  for line in text.splitlines()) + "\n")
    elif setup == "no_file":
        data = tmp_path / "nothing-*.csv"
    output = tmp_path / "preds"
    if setup == "logs_exist":
        output.mkdir()
        (output / "prediction_logs-00000-of-00001.gz").write_bytes(b"kept")
    code = main(["predict", str(built.destination), *arguments, "--input", str(data),
                 "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(pattern, err), err
    assert "Traceback" not in err
    if setup == "logs_exist":
        assert (output / "prediction_logs-00000-of-00001.gz").read_bytes() == b"kept"
    else:
        assert not os.path.exists(output)


def _features() -> dict:
    from tfxkit.components.bulk_inferrer.saved_model import Feature

    return {"bill_length_mm": Feature("bill_length_mm", "float", (1,)),
            "island": Feature("island", "string", (1,))}


@pytest.mark.parametrize("token", ["NA", "N/A", "n/a", "NULL", "null", ""])
def test_predict_reads_null_tokens_as_csv_example_gen_does(tmp_path: Path, token: str) -> None:
    """QA walkthrough: the project's own data/penguins.csv holds `NA`; predict read it as text
    in a number column. It now reads cells with CsvExampleGen's decoding (same defaults)."""
    import tensorflow as tf

    from tfxkit.serving.batch import read_csv_examples

    data = tmp_path / "penguins.csv"
    data.write_text(f" bill_length_mm ,island,species\n39.1,Biscoe,0\n{token},{token},1\n")
    serialized, ignored = read_csv_examples([str(data)], _features())
    assert ignored == ["species"]
    first, second = (tf.train.Example.FromString(s).features.feature for s in serialized)
    assert list(first["bill_length_mm"].float_list.value) == pytest.approx([39.1])
    assert "bill_length_mm" not in second and "island" not in second


def test_predict_null_values_passthrough(tmp_path: Path) -> None:
    """`--null-values` as CsvExampleGen's `null_values`: only the given tokens are missing;
    with none, `NA` in a number column is refused with file, line and column."""
    import tensorflow as tf

    from tfxkit.errors import DataError
    from tfxkit.serving.batch import read_csv_examples

    data = tmp_path / "a.csv"
    data.write_text("bill_length_mm,island\n-,NA\n")
    serialized, _ = read_csv_examples([str(data)], _features(), ("-",))
    feature = tf.train.Example.FromString(serialized[0]).features.feature
    assert "bill_length_mm" not in feature
    assert list(feature["island"].bytes_list.value) == [b"NA"]
    data.write_text("bill_length_mm,island\n1.5,x\n\nNA,y\n")
    with pytest.raises(DataError, match=r"a\.csv:4, column 'bill_length_mm': expected a number "
                                        r".*found 'NA'"):
        read_csv_examples([str(data)], _features(), ())


def test_predict_on_pipeline_data_with_na_is_quiet(built: Built, tmp_path: Path) -> None:
    """The CLI end to end, in a fresh process as a user runs it: `NA` is read as a missing
    value (as CsvExampleGen reads it), so a feature the model requires is reported missing
    in one line, with no TF/CUDA/FutureWarning chatter before it; rows are scored once the
    NA cells are gone."""
    import subprocess
    import sys

    data = tmp_path / "penguins.csv"
    write_penguin_csv(data, rows=4)
    lines = data.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("body_mass_g")] = "NA"
    lines[2] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n")
    command = [sys.executable, "-m", "tfxkit", "predict", str(built.destination), "--input",
               str(data), "--output", str(tmp_path / "preds")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"tfxkit: error: {data}:3: feature 'body_mass_g' missing; the model requires it "
        f"(features: body_mass_g (float), culmen_depth_mm (float), culmen_length_mm (float), "
        f"flipper_length_mm (float), island (string))."], done.stderr
    del lines[2]
    data.write_text("\n".join(lines) + "\n")
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "3 predictions from 1 file(s)" in done.stdout
    noise = [line for line in done.stderr.splitlines()
             if "Warning" in line or "cuda" in line.lower() or "tensorflow/" in line
             or "deprecated" in line]
    assert noise == [], done.stderr
