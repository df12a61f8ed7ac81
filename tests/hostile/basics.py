"""Hostile-input cases that version one already handles: malformed CSVs, DSL misuse, names
that would escape their folder, CLI typos, bad template answers."""

from __future__ import annotations

from typing import Any

from tests.hostile.harness import (
    REPO,
    bad_template_answers,
    cli,
    csv_pipeline,
    cyclic,
    escaping_component_id,
    escaping_name,
    unknown_parameter,
    wrong_artifact_type,
)
from tests.resources.tiny_pipelines import make_examples

HEADER = b"culmen_length_mm,culmen_depth_mm,flipper_length_mm,body_mass_g,species\n"
ROW = b"39.1,18.7,181,3750,0\n"

CASES: list[Any] = [
    ("malformed CSV (ragged rows)", lambda r: csv_pipeline(r, HEADER + ROW * 20 + b"1,2\n"),
     r"(?i)column|field|row|line"),
    ("empty CSV", lambda r: csv_pipeline(r, b""), r"(?i)empty|no (rows|data|header)|column"),
    ("header only", lambda r: csv_pipeline(r, HEADER), r"(?i)empty|no (rows|data|examples)"),
    ("non-UTF-8 CSV", lambda r: csv_pipeline(r, HEADER + ROW * 5 + b"\xff\xfe,1,2,3,0\n"),
     r"(?i)utf-?8|decode|encoding"),
    ("wrong parameter type", lambda r: lambda: make_examples(root=str(r), rows="three"),
     r"(?i)rows.*int|int.*rows"),
    ("huge field", lambda r: csv_pipeline(r, HEADER + ROW * 5 + b"1," + b"9" * (64 << 20)
                                          + b",1,1,0\n"), r"(?i)field|large|size|row|line"),
    ("cyclic pipeline", cyclic, r"(?i)cycle"),
    ("wrong artifact type", wrong_artifact_type, r"(?i)Examples.*Model|Model.*Examples"),
    ("unknown component parameter", unknown_parameter, r"rowz"),
    ("'..' in a pipeline name", lambda r: escaping_name("../../escape", r), r"(?i)name"),
    ("'/' in a pipeline name", lambda r: escaping_name("/etc/passwd", r), r"(?i)name"),
    ("'..' in a component id", lambda r: escaping_component_id("../../escape", r),
     r"(?i)id|name"),
    ("unknown CLI runtime parameter", lambda r: cli(
        "run", str(REPO / "examples" / "penguin" / "pipeline.py"), "-p", "nope=1",
        "-p", f"pipeline_root={r}"), r"(?i)nope|unexpected|unknown"),
    ("CLI -p without '='", lambda r: cli("run", "pipeline.py", "-p", "oops"), r"key=value"),
    ("metadata URL with a password", lambda r: cli("runs", "--metadata",
                                                   "mysql://u:hunter2@h/db"), r"password"),
    ("artifact path outside any pipeline root", lambda r: cli("show", "/etc"),
     r"(?i)cannot tell|neither an artifact"),
    ("lineage of a path outside any pipeline root", lambda r: cli("lineage", "/etc/hostname"),
     r"(?i)which pipeline|no artifact"),
    ("bad template answer: slug with '..'", lambda r: bad_template_answers(
        r, {"project_slug": "../escape"}), r"(?i)slug|name|letters"),
    ("bad template answer: pipeline name with '/'", lambda r: bad_template_answers(
        r, {"pipeline_name": "a/../../b"}), r"(?i)pipeline"),
    ("bad template answer: owner not a handle", lambda r: bad_template_answers(
        r, {"owner_model": "$(rm -rf ~)"}), r"(?i)owner|@"),
]
