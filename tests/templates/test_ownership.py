"""Ownership by file (issue 20 part 1), for both shipped templates: every generated file has an
owner of its own in CODEOWNERS (the lead answer `owner_lead` owns the wiring and project files,
no catch-all hands other teams' files to anyone), each step's settings live in its owner's
module, and a model owner's change in steps/model.py alone changes the cache keys of the Trainer
and what follows it only. The proof is the runner's own cache-key function over the pipeline as
built (no TensorFlow, no run); the dry-run tests show the run agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tfxkit.project import AnswerError, new_project
from tfxkit.project.answers import load_template_config, resolve_answers

from .test_generation import REPO, run_project_tests

TEMPLATES = ["tabular-classification", "tabular-regression"]
OWNERS = {"owner_data": "@acme/data", "owner_transform": "ft@example.org", "owner_model": "@bob",
          "owner_evaluation": "@acme/eval", "owner_lead": "@acme/leads"}
# The intended owner of each generated file: the most specific entry (a file, or a folder/).
INTENDED = {
    "": "owner_lead",  # everything not listed below: project files, CI, answers, wiring tests
    "pipeline/": "owner_lead",
    "data/": "owner_data", "schema/": "owner_data", "steps/data.py": "owner_data",
    "tests/test_data.py": "owner_data",
    "steps/preprocessing.py": "owner_transform", "tests/test_preprocessing.py": "owner_transform",
    "steps/model.py": "owner_model", "tests/test_model.py": "owner_model",
    "steps/evaluation.py": "owner_evaluation", "tests/test_evaluation.py": "owner_evaluation",
}


@pytest.fixture(scope="module", params=TEMPLATES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project per template, every owner answer different (one generation, shared)."""
    return new_project(request.param, tmp_path_factory.mktemp(request.param), OWNERS)


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True,
                          check=True).stdout


def rules(project: Path) -> list[tuple[str, list[str]]]:
    """(pattern, owners) of each CODEOWNERS rule, in file order."""
    found = []
    for line in (project / "CODEOWNERS").read_text().splitlines():
        text = line.split("#", 1)[0].split()
        if text:
            found.append((text[0], text[1:]))
    return found


def owners_of(path: str, project_rules: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """The rule deciding `path` (GitHub: the last one matching), for the anchored file and
    folder patterns the templates use; ("", []) when none matches."""
    decided: tuple[str, list[str]] = ("", [])
    for pattern, owners in project_rules:
        assert pattern.startswith("/") and "*" not in pattern, f"unexpected pattern {pattern}"
        body = pattern[1:]
        if path == body or (body.endswith("/") and path.startswith(body)):
            decided = (pattern, owners)
    return decided


def intended(path: str) -> str:
    entry = max((entry for entry in INTENDED
                 if path == entry or (entry.endswith("/") or not entry) and path.startswith(entry)),
                key=len)
    return OWNERS[INTENDED[entry]]


def test_every_generated_file_has_a_rule_of_its_own_naming_its_intended_owner(
        project: Path) -> None:
    project_rules = rules(project)
    files = git(project, "ls-files").split()
    assert len(files) > 25 and "CODEOWNERS" in files
    wrong = {}
    for path in files:
        pattern, owners = owners_of(path, project_rules)
        if owners != [intended(path)]:
            wrong[path] = (pattern or "no rule", owners)
    assert not wrong, wrong
    assert owners_of("steps/model.py", project_rules)[1] == ["@bob"]
    assert owners_of("pipeline/config.py", project_rules)[1] == ["@acme/leads"]
    assert owners_of("pipeline/pipeline.py", project_rules)[1] == ["@acme/leads"]
    assert owners_of("steps/evaluation.py", project_rules)[1] == ["@acme/eval"]
    assert owners_of("tests/test_preprocessing.py", project_rules)[1] == ["ft@example.org"]


def test_each_steps_settings_are_defined_in_its_owners_module(project: Path) -> None:
    """The settings moved out of the lead's config.py: hidden_units is in steps/model.py only."""
    model = (project / "steps" / "model.py").read_text()
    config = (project / "pipeline" / "config.py").read_text()
    assert "class ModelSettings" in model and "hidden_units: list[int]" in model
    assert "hidden_units" not in config.split('"""', 2)[2], "config.py only combines the groups"
    for module, group in [("data", "DataSettings"), ("preprocessing", "PreprocessingSettings"),
                          ("evaluation", "EvaluationSettings")]:
        assert f"class {group}" in (project / "steps" / f"{module}.py").read_text()
    assert "Owner: @acme/leads" in config and "Owner: @bob" in model


@pytest.mark.integration
def test_generated_ownership_and_settings_tests_pass_and_catch_an_unowned_file(
        project: Path) -> None:
    done = run_project_tests(project, "tests/test_ownership.py", "tests/test_settings.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
    new_file = project / "steps" / "features.py"
    new_file.write_text('"""A teammate\'s new step module."""\n')
    try:
        done = run_project_tests(project, "tests/test_ownership.py")
    finally:
        new_file.unlink()
    assert done.returncode == 1
    assert "These files have no CODEOWNERS rule of their own: steps/features.py" in done.stdout


def test_owner_lead_is_asked_validated_and_defaults_to_the_evaluation_owner() -> None:
    for template in TEMPLATES:
        config = load_template_config(REPO / "templates" / template)
        assert "owner_lead" in config["__prompts__"] and "owner_lead" in config["_tfxkit_rules"]
        assert resolve_answers(config, {"owner_evaluation": "lead@example.org"})[
            "owner_lead"] == "lead@example.org"
        assert resolve_answers(config, {"owner_lead": "@org/leads"})["owner_lead"] == "@org/leads"
        for bad in ("bob", "@team lead", "@a/b/c"):
            with pytest.raises(AnswerError, match=rf"owner_lead='{bad}': expected a GitHub "
                                                  r"@user, @org/team or an email address"):
                resolve_answers(config, {"owner_lead": bad})


# What the local runner keys each node with, over the pipeline as built: a node whose key is
# unchanged is a cache hit and hands on the same artifacts (same ids); a changed key makes new
# ones, so its consumers' keys change too. Printed: node -> key, and the Trainer's parameters as
# ML Metadata records them.
CACHE_KEYS = """
import hashlib, json, sys
from tfxkit.metadata.cache import cache_key
from tfxkit.metadata.record import encode_parameters
from tfxkit.project.loading import load_pipeline
from tfxkit.types.artifact import Artifact

pipeline, _ = load_pipeline("pipeline/pipeline.py", json.loads(sys.argv[1]))
keys = {}
for node in pipeline.components:
    inputs = {}
    for name, channel in node.inputs.items():
        if channel is not None and channel.producer is not None:
            artifact = Artifact()
            seed = keys[channel.producer.id] + channel.output_key
            artifact.id = int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16)
            inputs[name] = [artifact]
    keys[node.id] = cache_key(node, node.exec_properties, inputs)[0]
trainer = next(node for node in pipeline.components if node.id == "Trainer")
print(json.dumps({"keys": keys, "trainer": encode_parameters(trainer.exec_properties),
                  "heavy": sorted(m for m in ("tensorflow", "tensorflow_transform")
                                  if m in sys.modules)}))
"""


def cache_keys(project: Path, **params: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CACHE_KEYS, json.dumps(params)], cwd=project,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], "keying a pipeline imports no TensorFlow"
    return result


def changed_nodes(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {node for node, key in before["keys"].items() if after["keys"][node] != key}


def edit_default(project: Path, module: str, old: str, new: str) -> None:
    path = project / "steps" / module
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def test_a_model_owners_change_in_steps_model_reruns_only_the_trainer_and_what_follows(
        project: Path) -> None:
    before = cache_keys(project)
    downstream = {"Trainer", "Evaluator", "Pusher"}
    units = 'hidden_units: list[int] = dataclasses.field(default_factory=lambda: ['
    edit_default(project, "model.py", units, units + "32, ")
    try:
        assert git(project, "status", "--porcelain").split() == ["M", "steps/model.py"]
        after = cache_keys(project)
    finally:
        git(project, "checkout", "--", "steps/model.py")
    assert changed_nodes(before, after) == downstream
    trained_with = json.loads(after["trainer"]["param.custom_config"])["hidden_units"]
    assert trained_with[0] == 32, "ML Metadata records the value the Trainer ran with"

    # The same change for one run, by name (`tfxkit run -p hidden_units=[32,16]`): the Trainer's
    # code is unchanged, its parameters carry the value, and the same nodes re-run.
    given = cache_keys(project, hidden_units="[32,16]", train_steps="7")
    assert changed_nodes(before, given) == downstream
    assert json.loads(given["trainer"]["param.custom_config"])["hidden_units"] == [32, 16]
    assert json.loads(given["trainer"]["param.train_args"]) == {"num_steps": 7}
    assert cache_keys(project)["keys"] == before["keys"], "nothing else moves the keys"


def test_other_owners_changes_rerun_only_their_step_and_what_follows(project: Path) -> None:
    """The same for the transform owner (Transform on) and the evaluation owner (Evaluator on);
    the data owner's settings feed every step."""
    before = cache_keys(project)
    parts = 'default_factory=lambda: ["year", "month", "day_of_week", "hour"])'
    edit_default(project, "preprocessing.py", parts, parts.replace(', "hour"', ""))
    try:
        assert changed_nodes(before, cache_keys(project)) == {
            "Transform", "Trainer", "Evaluator", "Pusher"}
    finally:
        git(project, "checkout", "--", "steps/preprocessing.py")
    threshold = next(name for name in ("accuracy_lower_bound", "mae_upper_bound")
                     if name in (project / "steps" / "evaluation.py").read_text())
    given = cache_keys(project, **{threshold: "0.123"})
    assert changed_nodes(before, given) == {"Evaluator", "Pusher"}
