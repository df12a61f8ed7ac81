"""`tfxkit serve` as a real process on 127.0.0.1 with a real HTTP client (httpx): TF Serving's
REST paths and shapes, predictions equal to the SavedModel's own outputs, a new push picked up
without a restart, several versions served at once, bad requests answered 400/404 in TF
Serving's error shape, and a graceful stop on SIGTERM."""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.serving.conftest import Server, start_server
from tests.serving.pipeline_fixture import NUMERIC, Built

pytestmark = pytest.mark.integration

ROWS = [
    {"culmen_length_mm": 0.25, "culmen_depth_mm": 0.66, "flipper_length_mm": 0.15,
     "body_mass_g": 0.29, "island": "Dream"},
    {"culmen_length_mm": 0.75, "culmen_depth_mm": 0.20, "flipper_length_mm": 0.90,
     "body_mass_g": 0.80, "island": "Biscoe"},
    {"culmen_length_mm": 0.60, "culmen_depth_mm": 0.70, "flipper_length_mm": 0.40,
     "body_mass_g": 0.30, "island": "Torgersen"},  # an island the vocabulary has not seen
]


def serialized(row: dict[str, Any]) -> bytes:
    import tensorflow as tf

    feature = {name: tf.train.Feature(float_list=tf.train.FloatList(value=[row[name]]))
               for name in NUMERIC}
    feature["island"] = tf.train.Feature(
        bytes_list=tf.train.BytesList(value=[row["island"].encode()]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@pytest.fixture(scope="module")
def expected(built: Built) -> tuple[list[str], list[list[float]]]:
    """(class names from the model's label vocabulary asset, the SavedModel's own `outputs` for
    ROWS), computed in this process with TensorFlow."""
    import tensorflow as tf

    version = built.destination / "1"
    (vocabulary,) = [p for p in (version / "assets").iterdir() if p.name.startswith("label_")]
    model = tf.saved_model.load(str(version))
    outputs = model.signatures["serving_default"](
        examples=tf.constant([serialized(r) for r in ROWS]))["outputs"]
    return vocabulary.read_text().split(), outputs.numpy().tolist()


def assert_close(found: Any, wanted: Any) -> None:
    import numpy as np

    np.testing.assert_allclose(np.asarray(found, dtype=float), np.asarray(wanted, dtype=float),
                               atol=1e-6)


def post(url: str, body: Any = None, content: bytes | None = None) -> Any:
    import httpx

    return httpx.post(url, json=body, timeout=60) if content is None else \
        httpx.post(url, content=content, timeout=60)


def test_status_of_the_pushed_version(server: Server) -> None:
    import httpx

    answer = httpx.get(server.url, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE",
         "status": {"error_code": "OK", "error_message": ""}}]}
    assert httpx.get(f"{server.url}/versions/1", timeout=10).json() == answer.json()


def test_metadata_lists_the_signatures_as_tf_serving_does(server: Server) -> None:
    import httpx

    answer = httpx.get(f"{server.url}/versions/1/metadata", timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_spec"] == {"name": "penguin", "signature_name": "", "version": "1"}
    serving = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert serving["method_name"] == "tensorflow/serving/predict"
    assert serving["inputs"]["examples"]["dtype"] == "DT_STRING"
    assert serving["outputs"]["outputs"]["tensor_shape"]["dim"][1]["size"] == "3"


def test_row_format_gives_class_names_and_the_models_probabilities(
        server: Server, expected: tuple[list[str], list[list[float]]]) -> None:
    classes, scores = expected
    assert sorted(classes) == ["Adelie", "Chinstrap", "Gentoo"]
    answer = post(f"{server.url}:predict", {"instances": ROWS})
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    assert len(predictions) == len(ROWS)
    for prediction, row_scores in zip(predictions, scores, strict=True):
        assert prediction["classes"] == classes
        assert prediction["scores"] == pytest.approx(row_scores, abs=1e-6)
        assert sum(prediction["scores"]) == pytest.approx(1.0, abs=1e-4)


def test_columnar_inputs_and_explicit_version(
        server: Server, expected: tuple[list[str], list[list[float]]]) -> None:
    classes, scores = expected
    columns = {name: [row[name] for row in ROWS] for name in ROWS[0]}
    answer = post(f"{server.url}/versions/1:predict", {"inputs": columns})
    assert answer.status_code == 200, answer.text
    outputs = answer.json()["outputs"]
    assert outputs["classes"] == [classes] * len(ROWS)
    assert_close(outputs["scores"], scores)


def test_serialized_examples_as_b64_as_tf_serving_clients_send_them(
        server: Server, expected: tuple[list[str], list[list[float]]]) -> None:
    _, scores = expected
    encoded = [base64.b64encode(serialized(r)).decode() for r in ROWS]
    for instances in ([{"b64": e} for e in encoded], [{"examples": {"b64": e}} for e in encoded]):
        answer = post(f"{server.url}:predict", {"instances": instances})
        assert answer.status_code == 200, answer.text
        assert_close([p["scores"] for p in answer.json()["predictions"]], scores)


def test_lists_and_ints_for_float_features(server: Server,
                                           expected: tuple[list[str], list[list[float]]]) -> None:
    row = {**ROWS[0], "culmen_length_mm": [0.25], "island": ["Dream"]}
    answer = post(f"{server.url}:predict", {"instances": [row]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0]["scores"] == pytest.approx(expected[1][0], abs=1e-6)
    whole = post(f"{server.url}:predict", {"instances": [{**ROWS[0], "body_mass_g": 1}]})
    assert whole.status_code == 200, whole.text


BAD_REQUESTS: list[tuple[str, str, Any, int, str]] = [
    ("bad_json", ":predict", b'{"instances": [', 400, r"^JSON Parse error: "),
    ("not_an_object", ":predict", [1, 2], 400, r"expected a JSON object with 'instances'"),
    ("both_keys", ":predict", {"instances": ROWS, "inputs": {}}, 400,
     r"exactly one of 'inputs' or 'instances'"),
    ("neither_key", ":predict", {"signature_name": "serving_default"}, 400,
     r"exactly one of 'inputs' or 'instances'"),
    ("unknown_key", ":predict", {"instances": ROWS, "instance": 1}, 400,
     r"unknown key\(s\) 'instance'"),
    ("empty_instances", ":predict", {"instances": []}, 400, r"non-empty list"),
    ("unknown_feature", ":predict", {"instances": [{**ROWS[0], "colour": "red"}]}, 400,
     r"^instance 0: unknown feature 'colour'; the model takes body_mass_g, culmen_depth_mm, "
     r"culmen_length_mm, flipper_length_mm, island\.$"),
    ("wrong_type_text_for_number", ":predict",
     {"instances": [ROWS[0], {**ROWS[1], "body_mass_g": "heavy"}]}, 400,
     r"^instance 1, feature 'body_mass_g': expected a number \(float feature\), found str "
     r"'heavy'\.$"),
    ("wrong_type_number_for_text", ":predict", {"instances": [{**ROWS[0], "island": 3}]}, 400,
     r"feature 'island': expected a string \(string feature\), found int 3"),
    ("wrong_type_bool", ":predict", {"instances": [{**ROWS[0], "body_mass_g": True}]}, 400,
     r"expected a number \(float feature\), found bool True"),
    ("too_many_values", ":predict", {"instances": [{**ROWS[0], "body_mass_g": [1.0, 2.0]}]},
     400, r"feature 'body_mass_g': expected 1 value \(shape \[1\]\), found 2"),
    ("missing_feature", ":predict",
     {"instances": [{k: v for k, v in ROWS[0].items() if k != "island"}]}, 400,
     r"feature 'island' missing; the model requires it"),
    ("columnar_lengths_differ", ":predict",
     {"inputs": {"body_mass_g": [0.1, 0.2], "island": ["Dream"]}}, 400,
     r"all of the same length"),
    ("bad_b64", ":predict", {"instances": [{"b64": "not base64!"}]}, 400,
     r"'b64' value is not valid base64"),
    ("other_signature", ":predict", {"signature_name": "transform_features", "instances": ROWS},
     400, r"signature_name 'transform_features' is not served"),
    ("unknown_version", "/versions/9:predict", {"instances": ROWS}, 404,
     r"^Servable not found for request: Specific\(penguin, 9\)"),
    ("version_not_a_number", "/versions/latest:predict", {"instances": ROWS}, 400,
     r"version 'latest' is not a number"),
    ("unknown_label", "/labels/production:predict", {"instances": ROWS}, 400,
     r"^Unrecognized servable version label: production"),
    ("classify_verb", ":classify", {"examples": []}, 400, r":classify is not supported"),
    ("unknown_verb", ":explain", {"instances": ROWS}, 404, r"is not supported"),
]


@pytest.mark.parametrize(("suffix", "body", "status", "pattern"),
                         [case[1:] for case in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_bad_requests_get_tf_servings_error_shape(server: Server, suffix: str, body: Any,
                                                  status: int, pattern: str) -> None:
    import re

    answer = post(f"{server.url}{suffix}", None if isinstance(body, bytes) else body,
                  body if isinstance(body, bytes) else None)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    payload = answer.json()
    assert list(payload) == ["error"]
    assert re.search(pattern, payload["error"]), payload["error"]
    assert "Traceback" not in answer.text


def test_unknown_model_and_path_are_404(server: Server) -> None:
    import httpx

    base = server.url.rsplit("/", 1)[0]
    other = httpx.get(f"{base}/other", timeout=10)
    assert other.status_code == 404
    assert other.json()["error"].startswith("Servable not found for request: Latest(other)")
    assert httpx.post(f"{base}/other:predict", json={"instances": ROWS}, timeout=10) \
        .status_code == 404
    nowhere = httpx.get(base.replace("/v1/models", "/nowhere"), timeout=10)
    assert nowhere.status_code == 404 and "error" in nowhere.json()


def push_copy(destination: Path, version: int) -> None:
    """Push version `version` as the Pusher does: copy to a hidden folder, then rename."""
    staging = destination / f".tfxkit-push-test{version}"
    shutil.copytree(destination / "1", staging)
    os.rename(staging, destination / str(version))


def test_new_push_is_served_without_restart_next_to_the_old_one(
        server: Server, expected: tuple[list[str], list[list[float]]]) -> None:
    import httpx

    push_copy(server.destination, 2)
    deadline = time.monotonic() + 120
    status: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        status = httpx.get(server.url, timeout=10).json()["model_version_status"]
        if status[0]["version"] == "2" and status[0]["state"] == "AVAILABLE":
            break
        time.sleep(0.5)
    assert [(s["version"], s["state"]) for s in status] == [("2", "AVAILABLE"),
                                                            ("1", "AVAILABLE")]
    for suffix in (":predict", "/versions/2:predict", "/versions/1:predict"):
        answer = post(f"{server.url}{suffix}", {"instances": ROWS[:1]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"][0]["scores"] == pytest.approx(expected[1][0],
                                                                          abs=1e-6)
    # An incomplete version folder (no saved_model.pb) is not served, as TF Serving skips it.
    (server.destination / "3").mkdir()
    time.sleep(1.5)
    assert post(f"{server.url}/versions/3:predict", {"instances": ROWS}).status_code == 404
    assert httpx.get(server.url, timeout=10).json()["model_version_status"][0]["version"] == "2"


def test_labels_are_the_destinations_aliases_and_follow_a_move(
        server: Server, expected: tuple[list[str], list[list[float]]]) -> None:
    import httpx

    from tfxkit.components.pusher.registry import promote

    promote(str(server.destination), 1, "production")
    status = httpx.get(f"{server.url}/labels/production", timeout=10)
    assert status.status_code == 200, status.text
    assert [s["version"] for s in status.json()["model_version_status"]] == ["1"]
    answer = post(f"{server.url}/labels/production:predict", {"instances": ROWS[:1]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"][0]["classes"] == expected[0]
    promote(str(server.destination), 2, "production")  # moved: no restart needed
    status = httpx.get(f"{server.url}/labels/production", timeout=10)
    assert [s["version"] for s in status.json()["model_version_status"]] == ["2"]
    unknown = post(f"{server.url}/labels/canary:predict", {"instances": ROWS[:1]})
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("Unrecognized servable version label: canary")
    assert "production -> 2" in unknown.json()["error"]


def test_sigterm_stops_the_server_gracefully(server: Server) -> None:
    assert server.stop() == 0
    assert "tfxkit serve: stopped on SIGTERM" in server.log.read_text()


def test_model_name_option_and_refusals(built: Built, tmp_path: Path) -> None:
    import subprocess
    import sys

    running = start_server(built.destination, tmp_path / "named.log", "--model-name", "birds")
    try:
        answer = post(f"{running.url}:predict", {"instances": ROWS[:1]})
        assert answer.status_code == 200, answer.text
        # The port is taken now: a second server says so instead of failing later.
        port = running.url.split(":")[2].split("/")[0]
        taken = subprocess.run([sys.executable, "-m", "tfxkit", "serve", str(built.destination),
                                "--port", port], capture_output=True, text=True, timeout=120)
        assert taken.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
        assert "Pass another --port" in taken.stderr
    finally:
        assert running.stop() == 0
    missing = subprocess.run([sys.executable, "-m", "tfxkit", "serve", str(tmp_path / "none")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1
    assert "expected the Pusher's destination folder" in missing.stderr
    assert "Traceback" not in missing.stderr
