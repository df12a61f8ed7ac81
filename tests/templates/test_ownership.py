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

from tfxkit.project import AnswerError, new_project, update_project
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
    # golden inputs of each step's test (`make fixtures`), refreshed by the step's owner
    "tests/fixtures/ExampleValidator/": "owner_data", "tests/fixtures/Transform/": "owner_transform",
    "tests/fixtures/Trainer/": "owner_model", "tests/fixtures/Evaluator/": "owner_evaluation",
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
    entry = max((entry for entry in INTENDED if path == entry
                 or ((entry.endswith("/") or not entry) and path.startswith(entry))), key=len)
    return OWNERS[INTENDED[entry]]


def test_every_generated_file_has_a_rule_of_its_own_naming_its_intended_owner(
        project: Path) -> None:
    project_rules = rules(project)
    fixtures = [f"tests/fixtures/{step}/manifest.json"  # what `make fixtures` writes later
                for step in ("ExampleValidator", "Transform", "Trainer", "Evaluator")]
    files = git(project, "ls-files").split()
    assert len(files) > 25 and "CODEOWNERS" in files
    wrong = {}
    for path in files + fixtures:
        pattern, owners = owners_of(path, project_rules)
        if owners != [intended(path)]:
            wrong[path] = (pattern or "no rule", owners)
    assert not wrong, wrong
    assert owners_of("steps/model.py", project_rules)[1] == ["@bob"]
    assert owners_of("pipeline/config.py", project_rules)[1] == ["@acme/leads"]
    assert owners_of("pipeline/pipeline.py", project_rules)[1] == ["@acme/leads"]
    assert owners_of("steps/evaluation.py", project_rules)[1] == ["@acme/eval"]
    assert owners_of("tests/test_preprocessing.py", project_rules)[1] == ["ft@example.org"]
    assert owners_of("tests/fixtures/Trainer/manifest.json", project_rules)[1] == ["@bob"]
    assert owners_of("tests/fixtures/README.md", project_rules)[1] == ["@acme/leads"]


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


@pytest.fixture(scope="module")
def before(project: Path) -> dict[str, Any]:
    """The cache keys of the project as generated."""
    return cache_keys(project)


def test_a_model_owners_change_in_steps_model_reruns_only_the_trainer_and_what_follows(
        project: Path, before: dict[str, Any]) -> None:
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


def test_other_owners_changes_rerun_only_their_step_and_what_follows(
        project: Path, before: dict[str, Any]) -> None:
    """The same for the transform owner (Transform on) and the evaluation owner (Evaluator on);
    the data owner's settings feed every step."""
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


# Template 1.0.0 (every setting in pipeline/config.py, CODEOWNERS with a catch-all for the
# evaluation owner, no owner_lead answer), as `git archive 8b4e684 templates` wrote it: stored
# beside the tests, so a shallow clone tests the update too.
OLD_TEMPLATES = REPO / "tests" / "resources" / "templates-1.0.0.tar.gz"


def commit_all(folder: Path, message: str) -> None:
    for args in (["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.com",
                                 "commit", "-qm", message]):
        git(folder, *args)


@pytest.fixture
def old_layout(tmp_path: Path) -> tuple[Path, Path]:
    """(the template folder, a git repository holding template 1.0.0; a project generated from
    it with `tfxkit new`)."""
    import tarfile

    tpl = tmp_path / "TPL"
    with tarfile.open(OLD_TEMPLATES) as tar:
        tar.extractall(tpl, filter="tar")
    git(tpl, "init", "-q")
    commit_all(tpl, "1.0.0")
    project = new_project(str(tpl / "templates" / "tabular-classification"), tmp_path / "OUT",
                          {"project_slug": "upd"})
    assert "class ModelSettings" not in (project / "steps" / "model.py").read_text()
    return tpl, project


def release_current_templates(tpl: Path) -> None:
    """The templates as they are now, committed over 1.0.0 in the template repository."""
    import shutil

    shutil.rmtree(tpl / "templates")
    shutil.copytree(REPO / "templates", tpl / "templates", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".*_cache"))
    commit_all(tpl, "2.0.0")


@pytest.mark.integration
def test_update_from_the_single_config_layout_is_clean_on_an_untouched_project(
        old_layout: tuple[Path, Path]) -> None:
    tpl, project = old_layout
    release_current_templates(tpl)
    report = update_project(project)
    assert report.updated and not report.conflicts, report
    assert (report.from_version, report.to_version) == ("1.0.0", "2.0.0")
    assert {"pipeline/config.py", "steps/model.py", "CODEOWNERS", "tests/test_ownership.py",
            ".tfxkit/answers.json"} <= set(report.changed_files)
    assert any("'owner_lead' is new in this template version: took '@ml-leads'" in note
               for note in report.notes), report.notes
    answers = json.loads((project / ".tfxkit" / "answers.json").read_text())
    assert answers["owner_lead"] == "@ml-leads" and answers["_tfxkit_template_version"] == "2.0.0"
    assert "/pipeline/                @ml-leads" in (project / "CODEOWNERS").read_text()
    git(project, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "update")
    done = run_project_tests(project, "tests/test_ownership.py", "tests/test_settings.py")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert update_project(project).up_to_date


def test_update_from_the_single_config_layout_keeps_step_edits_and_reports_moved_settings(
        old_layout: tuple[Path, Path]) -> None:
    """Team edits in the step files merge with the new settings classes; a setting the team
    changed in the old pipeline/config.py is a conflict there, shown next to the note saying
    where it lives now, never dropped."""
    tpl, project = old_layout
    model, data, config = (project / "steps" / "model.py", project / "steps" / "data.py",
                           project / "pipeline" / "config.py")
    model.write_text(model.read_text().replace("def run_fn(", "# team: tuned\ndef run_fn(", 1))
    data.write_text(data.read_text() + '\n\nTEAM_DATA_NOTE = "kept"\n')
    old_units = "hidden_units: list[int] = dataclasses.field(default_factory=lambda: [8, 8])"
    assert old_units in config.read_text()
    config.write_text(config.read_text().replace(old_units, old_units.replace("8, 8", "32, 8")))
    commit_all(project, "team edits")
    release_current_templates(tpl)

    report = update_project(project)
    assert report.conflicts == ["pipeline/config.py"], report
    assert "same lines" in report.details["pipeline/config.py"]
    text = config.read_text()
    assert "<<<<<<<" in text and "lambda: [32, 8])" in text, "the team's value is never dropped"
    assert "Template 2.0.0 moved the data, preprocessing, model and evaluation settings" in text
    merged_model = model.read_text()
    assert "# team: tuned\ndef run_fn(" in merged_model and "class ModelSettings" in merged_model
    merged_data = data.read_text()
    assert 'TEAM_DATA_NOTE = "kept"' in merged_data and "class DataSettings" in merged_data
    assert not list(project.rglob("*.rej"))

    # Resolved as the note says: the template's config.py, the value in steps/model.py.
    git(project, "checkout", "--theirs", "pipeline/config.py")
    units = "hidden_units: list[int] = dataclasses.field(default_factory=lambda: [8, 8])"
    model.write_text(merged_model.replace(units, units.replace("8, 8", "32, 8")))
    commit_all(project, "update to 2.0.0, hidden units moved to steps/model.py")
    trained_with = cache_keys(project)["trainer"]["param.custom_config"]
    assert json.loads(trained_with)["hidden_units"] == [32, 8]
