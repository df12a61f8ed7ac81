"""tfxkit.recipes.tabular: names that no column can collide with, date features, labels that
may be missing, and who is blamed when a recipe fails. The template's own `preprocessing_fn`
runs with real tf.Transform on small in-memory batches whose column names are hostile."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tfxkit.errors import DataError, ExecutionError, UserCodeError
from tfxkit.recipes import tabular
from tfxkit.recipes.failures import recipe_failure

# Column names a user may choose that look like names the recipe or the template uses.
HOSTILE = ["label", "species_xf", "serving_default", "outcome", "outcome_xf",
           tabular.LABEL_PRESENT, "examples", "outputs", "tft_layer", "transform_features",
           "feature_label", tabular.vocabulary_name("label"),
           tabular.label_vocabulary_name("outcome"), "label_outcome", "a b", "a-b", "a_b",
           "a/b", "x" * 60, "x" * 61, "ünïcode", "signup_xf_year", "signup_year"]


def test_vocabulary_names_never_collide() -> None:
    names = [tabular.vocabulary_name(k) for k in HOSTILE]
    names += [tabular.label_vocabulary_name(k) for k in HOSTILE]
    assert len(set(names)) == len(names)
    # Already in the form tf.Transform writes asset files (it rewrites other characters).
    import re
    assert all(re.fullmatch(r"[\w-]+", n) and n.isascii() for n in names)
    assert tabular.vocabulary_name("label") != tabular.LABEL_VOCABULARY
    assert tabular.vocabulary_name("label") == tabular.vocabulary_name("label"), "deterministic"


def test_transformed_names_never_collide() -> None:
    outputs = [tabular.transformed_name(k) for k in HOSTILE]
    outputs += [tabular.transformed_date_name(k, p)
                for k, p in itertools.product(HOSTILE, tabular.DATE_PARTS)]
    outputs.append(tabular.LABEL_PRESENT)
    assert len(set(outputs)) == len(outputs)


@pytest.mark.integration
def test_parse_dates_parts() -> None:
    import tensorflow as tf

    values = tf.constant(["2024-04-08", "2024-06-01T20:22:50Z", " 1970-01-01 ", "",
                          "not a date", "2000-02-29T23:59:59.123+02:00", "1969-12-31 07:05"])
    parsed = {k: v.numpy().tolist() for k, v in tabular.parse_dates(values).items()}
    assert parsed["valid"] == [1, 1, 1, 0, 0, 1, 1]
    assert parsed["year"][:3] == [2024, 2024, 1970]
    assert parsed["month"][:2] == [4, 6]
    assert parsed["day_of_week"][0] == 0 and parsed["day_of_week"][1] == 5  # Mon, Sat
    assert parsed["day_of_week"][2] == 3  # 1970-01-01 was a Thursday
    assert parsed["hour"][:3] == [0, 20, 0] and parsed["hour"][5] == 23
    assert parsed["days_since_epoch"][2] == 0 and parsed["days_since_epoch"][6] == -1
    assert parsed["days_since_epoch"][5] == 11016  # 2000-02-29
    import math
    assert all(math.isnan(parsed["year"][i]) for i in (3, 4))


@pytest.mark.integration
def test_select_features_configuration_errors() -> None:
    import tensorflow as tf

    inputs = {"a": tf.constant([1.0]), "b": tf.constant(["x"]), "y": tf.constant(["l"]),
              "d": tf.constant(["2024-01-01"])}
    assert tabular.select_features(inputs, "y", dates=["d"]) == (["a"], ["b"])
    assert tabular.select_features(inputs, "y", excluded=["b", "d"]) == (["a"], [])
    with pytest.raises(DataError, match=r"date_features: column 'nope' is not in the data; "
                                        r"columns are: a, b, d"):
        tabular.select_features(inputs, "y", dates=["nope"])
    with pytest.raises(DataError, match="'y' is the label"):
        tabular.select_features(inputs, "y", numeric=["y"])
    with pytest.raises(DataError, match="'b' is in both categorical_features and "
                                        "excluded_features"):
        tabular.select_features(inputs, "y", categorical=["b"], excluded=["b"])
    with pytest.raises(DataError, match=r"date_parts: expected some of"):
        tabular.date_parts(inputs["d"], "d", ["week"])


def _user_step(tmp_path: Path, body: str) -> Any:
    """A function defined in a user module file (steps/model.py) that calls `body`."""
    steps = tmp_path / "steps"
    steps.mkdir(exist_ok=True)
    path = steps / "model.py"
    path.write_text("from tfxkit.recipes import tabular\n\n\ndef run_fn(arg):\n"
                    f"    return {body}\n")
    spec = importlib.util.spec_from_file_location("user_model_for_blame", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.run_fn


def test_a_failure_inside_the_recipe_is_not_the_users(tmp_path: Path) -> None:
    from tfxkit.components._shared.user_code import call_user_function

    run_fn = _user_step(tmp_path, "tabular.n_classes(arg, 'species')")
    with pytest.raises(ExecutionError) as caught:
        call_user_function(run_fn, object(), component="Trainer", what="run_fn")
    assert not isinstance(caught.value, UserCodeError)
    message = str(caught.value)
    assert "failed inside tfxkit's recipe tabular.py (n_classes" in message
    assert f"called from {tmp_path / 'steps' / 'model.py'}, line 5" in message
    assert "This is not an error in your code" in message
    assert "Fix the user code" not in message


def test_a_recipe_data_error_keeps_its_message(tmp_path: Path) -> None:
    from tfxkit.components._shared.user_code import call_user_function

    run_fn = _user_step(tmp_path, "tabular.date_parts(None, 'd', ['week'])")
    with pytest.raises(DataError, match=r"^Transform: date_parts: expected some of"):
        call_user_function(run_fn, None, component="Transform", what="preprocessing_fn")


def test_the_users_own_mistake_is_still_theirs(tmp_path: Path) -> None:
    from tfxkit.components._shared.user_code import call_user_function

    run_fn = _user_step(tmp_path, "arg.no_such_attribute")
    with pytest.raises(UserCodeError, match="model.py, line 5"):
        call_user_function(run_fn, object(), component="Trainer", what="run_fn")


def test_known_data_problem_gets_its_fix() -> None:
    recipe_file = str(Path(tabular.__file__))
    code = compile("raise ValueError('Received a label value of -1 which is outside the valid "
                   "range of [0, 3)')", recipe_file, "exec")
    try:
        exec(code, {})
    except ValueError as exc:
        failure = recipe_failure(exc, "Trainer", "run_fn")
    assert isinstance(failure, ExecutionError) and not isinstance(failure, UserCodeError)
    assert "rows without a label reached training" in str(failure)
    assert "drop_rows_without_label = True" in str(failure)


# -- the template's preprocessing_fn on hostile column names, with real tf.Transform ---------
@pytest.fixture(scope="module")
def preprocessing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    from tfxkit.project import new_project

    project = new_project("tabular-classification", tmp_path_factory.mktemp("project"))
    path = project / "steps" / "preprocessing.py"
    spec = importlib.util.spec_from_file_location("template_preprocessing", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Beam pickles preprocessing_fn by reference to it
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _analyze_and_transform(preprocessing: ModuleType, rows: list[dict[str, Any]],
                           types: dict[str, Any], config: dict[str, Any], temp: Path
                           ) -> tuple[list[dict[str, Any]], list[str]]:
    """(transformed rows, asset file names) of the template's preprocessing_fn."""
    import tensorflow as tf
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    spec = {k: tf.io.VarLenFeature(t) for k, t in types.items()}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    instances = [{k: ([] if row.get(k) in (None, "") else
                      [row[k].encode() if types[k] == tf.string else row[k]]) for k in types}
                 for row in rows]
    with tft_beam.Context(temp_dir=str(temp / "tmp"), force_tf_compat_v1=False):
        (transformed, _), transform_fn = (instances, metadata) | \
            tft_beam.AnalyzeAndTransformDataset(
                lambda inputs: preprocessing.preprocessing_fn(inputs, config))
        _ = transform_fn | tft_beam.WriteTransformFn(str(temp / "graph"))
    assets = sorted(p.name for p in (temp / "graph" / "transform_fn" / "assets").iterdir())
    return transformed, assets


def _orders(n: int = 60) -> list[dict[str, Any]]:
    """A feature named `label` (organic/conventional), more hostile names, label `outcome`."""
    rows = []
    for i in range(n):
        rows.append({"label": "organic" if i % 3 else "conventional",
                     "species_xf": "a" if i % 2 else "b",
                     "serving_default": float(i % 7),
                     tabular.LABEL_PRESENT: "p" if i % 4 else "q",
                     "examples": "e", "a b": "s", "a-b": "t",
                     "signup": f"202{i % 4}-0{1 + i % 9}-1{i % 10}T0{i % 10}:00:00Z",
                     "outcome": str(i % 2) if i % 11 else ""})
    return rows


@pytest.mark.integration
def test_template_preprocessing_keeps_every_column_apart(preprocessing: ModuleType,
                                                         tmp_path: Path) -> None:
    import tensorflow as tf

    types = {k: tf.string for k in _orders(1)[0]}
    types["serving_default"] = tf.float32
    config = {"label_key": "outcome", "task": "classification", "date_features": ["signup"],
              "drop_rows_without_label": True}
    rows = _orders()
    transformed, assets = _analyze_and_transform(preprocessing, rows, types, config, tmp_path)
    expected_vocabularies = {tabular.vocabulary_name(k) for k in
                             ("label", "species_xf", tabular.LABEL_PRESENT, "examples", "a b",
                              "a-b")}
    assert set(assets) == expected_vocabularies | {tabular.label_vocabulary_name("outcome")}
    assert not any("signup" in a for a in assets), "a date column gets no vocabulary"
    features = {int(r["label_xf"]) for r in transformed}
    assert len(features) == 2 and features <= {0, 1}
    present = [r[tabular.LABEL_PRESENT] for r in transformed]
    labels = [int(r["outcome_xf"]) for r, p in zip(transformed, present, strict=True) if p]
    assert set(labels) == {0, 1}, "every labelled row has a valid class id, never -1"
    assert present.count(0.0) == sum(1 for r in rows if not r["outcome"])
    assert {"species_xf_xf", "serving_default_xf", "a b_xf", "a-b_xf"} <= set(transformed[0])
    for part in tabular.DEFAULT_DATE_PARTS:
        values = [r[tabular.transformed_date_name("signup", part)] for r in transformed]
        assert len(set(values)) > 1, part
