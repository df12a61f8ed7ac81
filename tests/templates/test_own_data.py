"""Own data in a generated tabular-classification project, run as a user runs it (`tfxkit run`):
the cases of issue 11 (a feature named `label`, missing labels) and "the whole class": a second
project on data made here that mixes them with a date column and spaces after commas."""

from __future__ import annotations

import glob
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tfxkit.project import new_project
from tfxkit.recipes import tabular

pytestmark = pytest.mark.e2e

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases" / "data"


def tfxkit_run(project: Path, *params: str, to: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    """`tfxkit run pipeline/pipeline.py -p ...` inside the project."""
    command = [sys.executable, "-m", "tfxkit", "run", "pipeline/pipeline.py"]
    for param in params:
        command += ["-p", param]
    if to:
        command += ["--to", to]
    return subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=1500)


def newest(project: Path, *parts: str) -> Path:
    """The newest artifact folder of `pipeline_output/<parts>/<id>` (a run may have stopped
    while an earlier Transform ran, so there can be several)."""
    folders = glob.glob(str(project.joinpath("pipeline_output", *parts, "*")))
    assert folders, f"no {'/'.join(parts)} artifact"
    return Path(max(folders, key=lambda f: Path(f).stat().st_mtime))


def transformed_values(project: Path, feature: str) -> Counter[int]:
    """How often each value of an int64 transformed feature occurs in the train split."""
    import tensorflow as tf

    files = glob.glob(str(newest(project, "Transform", "transformed_examples") / "Split-train"
                          / "*"))
    assert files, "no transformed examples"
    counts: Counter[int] = Counter()
    for record in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        example = tf.train.Example.FromString(record)
        counts.update(example.features.feature[feature].int64_list.value)
    return counts


def assets(project: Path) -> list[str]:
    """Asset file names of the newest transform graph."""
    folder = newest(project, "Transform", "transform_graph") / "transform_fn" / "assets"
    return sorted(p.name for p in folder.iterdir())


def transformed_schema(project: Path) -> str:
    """The newest transform graph's transformed schema, as text."""
    return (newest(project, "Transform", "transform_graph") / "transformed_metadata"
            / "schema.pbtxt").read_text()


def test_feature_named_label(tmp_path: Path) -> None:
    """Case feature_named_label: `label` is a feature, `outcome` the label; both vocabularies
    exist under their own names and both transformed columns hold real ids."""
    project = new_project("tabular-classification", tmp_path, {"project_slug": "orders"})
    done = tfxkit_run(project, "label_key=outcome", "slice_features=[]",
                      f"data_root={CASES / 'feature_named_label' / 'data'}", to="Transform")
    assert done.returncode == 0, done.stderr[-4000:]
    assert set(assets(project)) == {tabular.vocabulary_name("label"),
                                    tabular.label_vocabulary_name("outcome")}
    features = transformed_values(project, "label_xf")
    assert len(features) == 2 and set(features) <= {0, 1}, features  # organic, conventional
    labels = transformed_values(project, "outcome_xf")
    assert set(labels) == {0, 1}, labels  # never -1


def test_missing_labels_stop_before_training(tmp_path: Path) -> None:
    """Case missing_labels: 20 of 344 penguins without a species stop the run with a data
    error naming the label, the count and the fix; no model is trained, nobody's code is
    blamed."""
    project = new_project("tabular-classification", tmp_path, {"project_slug": "penguins"})
    done = tfxkit_run(project, f"data_root={CASES / 'missing_labels' / 'data'}")
    assert done.returncode != 0
    assert "required feature 'species' is missing in 20 of 344 rows" in done.stderr
    assert "drop_rows_without_label = True" in done.stderr
    assert "UserCodeError" not in done.stderr and "model.py" not in done.stderr
    assert not (project / "pipeline_output" / "Trainer").exists()


def test_dates_case_becomes_numbers(tmp_path: Path) -> None:
    """Case dates: with the two ISO columns in `date_features`, the transform writes no
    vocabulary for them (it wrote one entry per row) but numeric year/month/day-of-week/hour
    features; the true/false column stays a 2-value category."""
    project = new_project("tabular-classification", tmp_path, {"project_slug": "dates"})
    done = tfxkit_run(project, f"data_root={CASES / 'dates' / 'data'}", "label_key=churned",
                      'slice_features=["plan"]', 'date_features=["signup_date", "last_seen"]',
                      to="Transform")
    assert done.returncode == 0, done.stderr[-4000:]
    assert set(assets(project)) == {tabular.vocabulary_name("is_premium"),
                                    tabular.vocabulary_name("plan"),
                                    tabular.label_vocabulary_name("churned")}
    assert len(transformed_values(project, "is_premium_xf")) == 2
    text = transformed_schema(project)
    for key in ("signup_date", "last_seen"):
        assert f'"{tabular.transformed_name(key)}"' not in text
        for part in tabular.DEFAULT_DATE_PARTS:
            assert f'"{tabular.transformed_date_name(key, part)}"' in text


def write_mixed_data(folder: Path, rows: int = 600) -> int:
    """A churn export made here: a feature named `label`, a `signup` ISO date (one per row
    nearly), a timestamp, numbers, spaces after every comma, and the label `churned` empty in
    some rows. Returns the number of rows without a label."""
    rng = random.Random(11)
    folder.mkdir(parents=True)
    lines = ["label, signup, last_login, monthly_spend, visits, plan, churned"]
    missing = 0
    for i in range(rows):
        spend = round(rng.uniform(5, 120), 2)
        visits = rng.randint(0, 30)
        label = rng.choice(["gold", "silver", "bronze"])
        churned = "yes" if spend < 45 or (label == "bronze" and visits < 5) else "no"
        if i % 23 == 7:
            churned, missing = "", missing + 1
        signup = f"20{rng.randint(18, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        login = f"2024-06-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{i % 60:02d}:00Z"
        plan = rng.choice(["basic", "pro"])
        lines.append(f"{label}, {signup}, {login}, {spend}, {visits}, {plan}, {churned}".rstrip())
    (folder / "customers.csv").write_text("\n".join(lines) + "\n")
    return missing


def test_the_whole_class_in_a_second_project(tmp_path: Path) -> None:
    """Without the switch the run stops at the missing labels; with `drop_rows_without_label`
    and the date columns configured it pushes a model: the rows are dropped and counted, the
    feature named `label` keeps its own vocabulary, the dates become numbers, not words."""
    data = tmp_path / "data"
    missing = write_mixed_data(data)
    answers = {"project_name": "Churn Mix", "project_slug": "churn_mix",
               "pipeline_name": "churn-mix", "include_ci": "no"}
    project = new_project("tabular-classification", tmp_path / "projects", answers)
    common = [f"data_root={data}", "label_key=churned", "slice_features=[\"plan\"]"]

    stopped = tfxkit_run(project, *common)
    assert stopped.returncode != 0
    assert f"required feature 'churned' is missing in {missing} of 600 rows" in stopped.stderr
    assert "UserCodeError" not in stopped.stderr

    done = tfxkit_run(project, *common, "drop_rows_without_label=true",
                      'date_features=["signup", "last_login"]',
                      'date_parts=["year", "month", "day_of_week", "hour", "days_since_epoch"]')
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"'churned' is missing in {missing} of 600 rows" in done.stderr
    assert "dropped before training" in done.stderr
    assert "BLESSED: all thresholds passed" in done.stderr, done.stderr[-3000:]
    assert "pushed version 1" in done.stderr
    names = assets(project)
    assert set(names) == {tabular.vocabulary_name(k) for k in ("label", "plan")} | {
        tabular.label_vocabulary_name("churned")}
    assert set(transformed_values(project, "churned_xf")) == {0, 1, -1}  # -1: dropped in fit
    schema = transformed_schema(project)
    for part in ("year", "month", "day_of_week", "hour", "days_since_epoch"):
        assert f'"{tabular.transformed_date_name("signup", part)}"' in schema
    answers_file = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers_file["project_slug"] == "churn_mix"
