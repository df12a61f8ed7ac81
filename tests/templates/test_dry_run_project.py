"""Issue 20 on a generated project (tabular-classification): a change in the model owner's file
alone (steps/model.py) re-runs only Trainer and what follows; `tfxkit run --dry-run` says so,
with the reason, and the real run agrees; `tfxkit runs --why Trainer` says it afterwards.

Cost: the shared session fixture `ran_project` (tests/templates/conftest.py: the project
generated and run once with 5 training steps); the test then re-runs Trainer, Evaluator and
Pusher, and puts steps/model.py back as it was (the store keeps the re-run as its latest run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.templates.conftest import FAST
from tests.templates.conftest import tfxkit_in as tfxkit

ALL = ["CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform",
       "Trainer", "Evaluator", "Pusher"]


def latest_outcomes(project: Path) -> dict[str, str]:
    """Node -> outcome word of the latest run, as `tfxkit runs` lists it."""
    listing = tfxkit(project, "runs", "-n", "1").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in listing[1:] if line.startswith("  ")}


@pytest.mark.e2e
def test_model_owner_change_reruns_trainer_and_what_follows(ran_project: Path) -> None:
    model = ran_project / "steps" / "model.py"
    text = model.read_text()
    assert "lambda: [8, 8])" in text
    model.write_text(text.replace("lambda: [8, 8])", "lambda: [16, 8])"))  # hidden_units
    try:
        check_dry_run_then_run(ran_project)
    finally:
        model.write_text(text)


def check_dry_run_then_run(ran_project: Path) -> None:
    """The dry run's verdicts and reasons for the hidden_units change, then the run and `runs
    --why` agreeing with them."""

    done = tfxkit(ran_project, "run", "--dry-run", "--format", "json", *FAST)
    plan = json.loads(done.stdout)
    verdicts = {node["node_id"]: node["verdict"] for node in plan["nodes"]}
    assert verdicts == {**dict.fromkeys(ALL[:5], "cached"),
                        **dict.fromkeys(ALL[5:], "would run")}
    trainer = next(node for node in plan["nodes"] if node["node_id"] == "Trainer")
    reasons = [reason["text"] for reason in trainer["reasons"]]
    assert "code module_file: steps/model.py changed" in reasons
    assert "parameter custom_config.hidden_units: [8, 8] -> [16, 8]" in reasons
    evaluator = next(node for node in plan["nodes"] if node["node_id"] == "Evaluator")
    assert evaluator["reasons"][0]["text"] == ("input model (Trainer.model): Trainer will run "
                                               "again (a new artifact)")
    text_plan = tfxkit(ran_project, "run", "--dry-run", *FAST).stdout
    assert "3 of 8 node(s) would run: Trainer, Evaluator, Pusher." in text_plan

    tfxkit(ran_project, "run", *FAST)  # the run agrees
    expected = {"cached": "cached", "would run": "ran"}
    assert latest_outcomes(ran_project) == {n: expected[v] for n, v in verdicts.items()}

    why = tfxkit(ran_project, "runs", "--why", "Trainer").stdout
    assert "ran (execution" in why.splitlines()[0]
    assert "  - code module_file: steps/model.py changed" in why.splitlines()
