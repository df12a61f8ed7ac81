"""ExampleGen input files and ImportSchemaGen's schema file are checked on their real paths.

Cases: ../shared/cases/trust/symlink_outside_input_base and pattern_escapes_input_base (issue 12):
a symlink or a split pattern must not pull files from outside `input_base`; `follow_symlinks=True`
is an explicit opt-in recorded on the artifact; symlink loops and duplicate matches are read
once; no file content ever appears in an error or in ML Metadata. Real pyarrow/tfx-bsl/MLMD.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen, ImportExampleGen, ImportSchemaGen, ParquetExampleGen
from tfxkit.components.example_gen.config import match_input_files, parse_input_config
from tfxkit.errors import DataError, ExecutionError

REPO = Path(__file__).resolve().parents[2]
PENGUINS = REPO / "examples" / "penguin" / "data" / "penguins_processed.csv"
SECRET = "TOP-SECRET-4711"
OUTSIDE_MESSAGE = (r"data/extra\.csv -> \S*/outside/extra\.csv is outside input_base \S*/data"
                   r".*[Cc]opy the file in, or opt in with follow_symlinks=True")


def case_layout(root: Path, link: bool = True) -> Path:
    """The case folder: data/penguins.csv (300 rows), outside/extra.csv (34 more rows, same
    header), data/extra.csv -> ../outside/extra.csv (a relative symlink)."""
    header, *rows = PENGUINS.read_text().splitlines(keepends=True)
    assert len(rows) == 334
    (root / "data").mkdir(parents=True)
    (root / "outside").mkdir()
    (root / "data" / "penguins.csv").write_text(header + "".join(rows[:300]))
    (root / "outside" / "extra.csv").write_text(header + "".join(rows[300:]))
    if link:
        (root / "data" / "extra.csv").symlink_to(Path("..") / "outside" / "extra.csv")
    return root / "data"


def run_alone(component: object, root: Path) -> object:
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    pipeline = Pipeline("paths", str(root / "out"), [component])  # type: ignore[list-item]
    return LocalDagRunner(workers=0, hooks=SilentReporter()).run(pipeline)


def example_counts(result: object) -> dict[str, int]:
    [examples] = result.outputs("CsvExampleGen", "examples")  # type: ignore[attr-defined]
    return json.loads(examples.get_custom_property("example_counts"))  # type: ignore[no-any-return]


# -- symlinks ---------------------------------------------------------------------------------
def test_case_symlink_outside_input_base_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    data = case_layout(tmp_path)
    with pytest.raises(ExecutionError, match=OUTSIDE_MESSAGE):
        run_alone(CsvExampleGen(input_base=str(data)), tmp_path)
    assert not (tmp_path / "out" / "CsvExampleGen" / "examples").exists()
    from tests.hostile.harness import store_trace
    assert store_trace(tmp_path / "out") == (0, 0)


def test_case_cli_exits_1_with_the_link_and_its_target(tmp_path: Path) -> None:
    data = case_layout(tmp_path)
    pipeline_file = tmp_path / "pipeline.py"
    pipeline_file.write_text(textwrap.dedent(f"""
        from tfxkit import Pipeline
        from tfxkit.components import CsvExampleGen

        def create_pipeline(pipeline_root: str = "out") -> Pipeline:
            return Pipeline("inputbase", pipeline_root, [CsvExampleGen(input_base={str(data)!r})])
    """))
    done = subprocess.run([str(REPO / ".venv" / "bin" / "tfxkit"), "run", str(pipeline_file),
                           "-p", "pipeline_root=out"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert re_search(OUTSIDE_MESSAGE, done.stdout + done.stderr)
    assert not (tmp_path / "out" / "CsvExampleGen" / "examples").exists()


@pytest.mark.parametrize("absolute", [False, True])
def test_case_cli_refuses_a_leaving_pattern_before_anything_runs(absolute: bool,
                                                                 tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    pipeline_file = tmp_path / "pipeline.py"
    pipeline_file.write_text(textwrap.dedent(f"""
        from tfxkit import Pipeline
        from tfxkit.components import CsvExampleGen

        def create_pipeline(pipeline_root: str = "out", input_config: dict | None = None):
            return Pipeline("inputbase", pipeline_root, [
                CsvExampleGen(input_base={str(data)!r}, input_config=input_config)])
    """))
    pattern = str(tmp_path / "outside" / "*.csv") if absolute else "../outside/*.csv"
    config = json.dumps({"splits": [{"name": "train", "pattern": "*.csv"},
                                    {"name": "eval", "pattern": pattern}]})
    done = subprocess.run([str(REPO / ".venv" / "bin" / "tfxkit"), "run", str(pipeline_file),
                           "-p", "pipeline_root=out1", "-p", f"input_config={config}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    expected = (f"input_config.splits[1].pattern '{pattern}' "
                + ("is an absolute path, so it leaves" if absolute else "leaves")
                + " input_base; patterns must be relative and stay inside it")
    assert expected in done.stderr
    assert not (tmp_path / "out1").exists()


def re_search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


@pytest.mark.integration
def test_opt_in_reads_the_link_and_records_its_real_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = case_layout(tmp_path)
    result = run_alone(CsvExampleGen(input_base=str(data), follow_symlinks=True), tmp_path)
    counts = example_counts(result)
    assert sum(counts.values()) == 334  # 300 + the 34 rows read through the link
    [examples] = result.outputs("CsvExampleGen", "examples")  # type: ignore[attr-defined]
    followed = json.loads(examples.get_custom_property("followed_symlinks"))
    assert followed == {str(data / "extra.csv"): str(tmp_path / "outside" / "extra.csv")}
    from tfxkit.metadata import connect
    from tfxkit.metadata.lineage import find_artifact, lineage

    store = connect(str(tmp_path / "out" / "metadata.sqlite"))
    tree = lineage(store, find_artifact(store, examples.uri).id)  # type: ignore[union-attr]
    assert tree["produced_by"]["parameters"]["follow_symlinks"] is True
    assert json.loads(tree["artifact"]["custom_properties"]["followed_symlinks"]) == followed
    from tfxkit.cli.main import main

    assert main(["lineage", examples.uri, "--metadata",
                 str(tmp_path / "out" / "metadata.sqlite")]) == 0
    shown = capsys.readouterr().out
    assert (f"read through a symlink: {data / 'extra.csv'} -> {tmp_path / 'outside' / 'extra.csv'}"
            in shown) and "follow_symlinks=true" in shown


@pytest.mark.integration
def test_links_inside_input_base_keep_working_and_count_once(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (data / "alias.csv").symlink_to("penguins.csv")  # a second name for the same file
    (data / "sub").mkdir()
    (data / "sub" / "again.csv").symlink_to(Path("..") / "penguins.csv")
    (data / "sub" / "loop").symlink_to("..")  # a symlink loop
    result = run_alone(CsvExampleGen(
        input_base=str(data), input_config={"splits": [{"name": "all", "pattern": "**/*.csv"}]}),
        tmp_path)
    assert sum(example_counts(result).values()) == 300


def test_symlinked_folder_leaving_input_base_is_refused(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (data / "more").symlink_to(Path("..") / "outside")
    splits = parse_input_config({"splits": [{"name": "train", "pattern": "**/*.csv"}]})
    with pytest.raises(DataError, match=r"data/more/extra\.csv -> \S*/outside/extra\.csv is "
                                        r"outside input_base"):
        match_input_files(str(data), splits)
    found = match_input_files(str(data), splits, follow_symlinks=True)
    assert found.outside == {str(data / "more" / "extra.csv"):
                             str(tmp_path / "outside" / "extra.csv")}


def test_symlink_loop_and_duplicates_are_matched_once(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "a" / "b").mkdir(parents=True)
    (base / "a" / "b" / "x.csv").write_text("v\n1\n")
    (base / "a" / "b" / "up").symlink_to(Path("..") / "..")  # loops back to base
    (base / "a" / "self").symlink_to(".")
    (base / "y.csv").symlink_to(Path("a") / "b" / "x.csv")
    found = match_input_files(str(base), parse_input_config(
        {"splits": [{"name": "all", "pattern": "**"}]}))
    assert list(found.files) == ["all"]
    assert [found.real[p] for p in found.files["all"]] == [str(base / "a" / "b" / "x.csv")]
    assert found.skipped_loops  # the loops were seen and not entered again


def test_one_file_in_two_splits_is_refused(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (data / "eval").mkdir()
    (data / "eval" / "p.csv").symlink_to(Path("..") / "penguins.csv")
    splits = parse_input_config({"splits": [{"name": "train", "pattern": "*.csv"},
                                            {"name": "eval", "pattern": "eval/*.csv"}]})
    with pytest.raises(DataError, match=r"matched by split 'eval' and, as \S*penguins\.csv, by "
                                        r"split 'train'"):
        match_input_files(str(data), splits)


def test_dangling_link_is_no_file(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "gone.csv").symlink_to(tmp_path / "missing.csv")
    with pytest.raises(DataError, match=r"matches no file"):
        match_input_files(str(base), parse_input_config(None))


def test_content_of_a_linked_file_never_reaches_errors_or_the_store(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (tmp_path / "outside" / "secret.txt").write_text(f"{SECRET}=hunter2\nmore\n")
    (data / "notes.csv").symlink_to(Path("..") / "outside" / "secret.txt")
    with pytest.raises(ExecutionError) as caught:
        run_alone(CsvExampleGen(input_base=str(data)), tmp_path)
    assert "notes.csv -> " in str(caught.value) and SECRET not in str(caught.value)
    store_bytes = (tmp_path / "out" / "metadata.sqlite").read_bytes()
    assert SECRET.encode() not in store_bytes


@pytest.mark.integration
def test_first_line_of_a_non_csv_file_is_not_quoted(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (data / "zz_notes.csv").write_text(f"{SECRET}: hunter2\n")  # inside, opted-in or not
    with pytest.raises(ExecutionError, match=r"zz_notes\.csv, line 1 has 1 field") as caught:
        run_alone(CsvExampleGen(input_base=str(data)), tmp_path)
    assert SECRET not in str(caught.value)
    assert SECRET.encode() not in (tmp_path / "out" / "metadata.sqlite").read_bytes()


@pytest.mark.parametrize("component", [CsvExampleGen, ParquetExampleGen, ImportExampleGen])
def test_every_example_gen_checks_real_paths_before_reading(component: type,
                                                            tmp_path: Path) -> None:
    data = case_layout(tmp_path)
    gen = component(input_base=str(data))
    with pytest.raises(DataError, match=OUTSIDE_MESSAGE):
        gen.cache_fingerprint(gen.exec_properties)
    opted = component(input_base=str(data), follow_symlinks=True)
    assert opted.cache_fingerprint(opted.exec_properties)


# -- patterns -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("pattern", "message"), [
    ("../outside/*.csv", r"input_config\.splits\[1\]\.pattern '\.\./outside/\*\.csv' leaves "
                         r"input_base; patterns must be relative and stay inside it"),
    ("sub/../../outside/*.csv", r"pattern 'sub/\.\./\.\./outside/\*\.csv' leaves input_base"),
    ("..", r"pattern '\.\.' leaves input_base"),
    ("/etc/*", r"pattern '/etc/\*' is an absolute path, so it leaves input_base"),
])
def test_case_pattern_leaving_input_base_is_refused_at_construction(
        pattern: str, message: str, tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    with pytest.raises(DataError, match=message):
        CsvExampleGen(input_base=str(data), input_config={"splits": [
            {"name": "train", "pattern": "*.csv"}, {"name": "eval", "pattern": pattern}]})


def test_case_absolute_pattern_of_the_outside_folder(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    pattern = str(tmp_path / "outside" / "*.csv")
    with pytest.raises(DataError, match=r"input_config\.splits\[1\]\.pattern .* is an absolute "
                                        r"path, so it leaves input_base"):
        CsvExampleGen(input_base=str(data), input_config={"splits": [
            {"name": "train", "pattern": "*.csv"}, {"name": "eval", "pattern": pattern}]})


def test_pattern_is_checked_again_when_the_executor_runs(tmp_path: Path) -> None:
    """Exec properties reach executors from elsewhere too (Kubeflow's entrypoint, a notebook):
    the executor and the matcher refuse a leaving pattern themselves, before reading."""
    from tfxkit.components.csv_example_gen.executor import Executor
    from tfxkit.components.example_gen.config import InputSplit
    from tfxkit.types.standard_artifacts import Examples

    data = case_layout(tmp_path, link=False)
    examples = Examples(uri=str(tmp_path / "examples"))
    with pytest.raises(DataError, match=r"'\.\./outside/\*\.csv' leaves input_base"):
        Executor().Do({}, {"examples": [examples]}, {"input_base": str(data), "input_config": {
            "splits": [{"name": "eval", "pattern": "../outside/*.csv"}]}})
    assert not (tmp_path / "examples").exists()
    with pytest.raises(DataError, match=r"'sub/\.\./\.\./outside/x\.csv' leaves input_base"):
        match_input_files(str(data), (InputSplit("eval", "sub/../../outside/x.csv"),))


def test_patterns_inside_input_base_keep_working(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    (data / "sub").mkdir()
    (data / "sub" / "more.csv").write_text("a\n1\n")
    (data / ".hidden.csv").write_text("a\n1\n")
    for pattern, expected in [("*.csv", ["penguins.csv"]), ("sub/*.csv", ["sub/more.csv"]),
                              ("sub/../*.csv", ["penguins.csv"]),
                              ("**/*.csv", ["penguins.csv", "sub/more.csv"]),
                              ("./p*.csv", ["penguins.csv"]), ("s[u]b/*", ["sub/more.csv"])]:
        found = match_input_files(str(data), parse_input_config(
            {"splits": [{"name": "s", "pattern": pattern}]}))
        assert [os.path.relpath(p, data) for p in found.files["s"]] == expected, pattern


# -- ImportSchemaGen --------------------------------------------------------------------------
SCHEMA_TEXT = 'feature { name: "species" type: INT }\n'


def test_schema_file_linked_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "schema.pbtxt").write_text(SCHEMA_TEXT)
    (tmp_path / "schema").mkdir()
    link = tmp_path / "schema" / "schema.pbtxt"
    link.symlink_to(Path("..") / "elsewhere" / "schema.pbtxt")
    gen = ImportSchemaGen(schema_file=str(link))
    with pytest.raises(DataError, match=r"schema/schema\.pbtxt -> \S*/elsewhere/schema\.pbtxt "
                                        r"is outside its folder .*follow_symlinks=True"):
        gen.cache_fingerprint(gen.exec_properties)
    opted = ImportSchemaGen(schema_file=str(link), follow_symlinks=True)
    assert opted.cache_fingerprint(opted.exec_properties)
    (tmp_path / "schema" / "alias.pbtxt").symlink_to("schema.pbtxt")  # inside: fine
    inside = ImportSchemaGen(schema_file=str(tmp_path / "schema" / "alias.pbtxt"),
                             follow_symlinks=True)
    assert inside.cache_fingerprint(inside.exec_properties)


@pytest.mark.integration
def test_schema_import_through_an_opted_in_link_records_the_real_path(tmp_path: Path) -> None:
    from tfxkit.components.import_schema_gen.executor import Executor
    from tfxkit.types.standard_artifacts import Schema

    (tmp_path / "elsewhere").mkdir()
    real = tmp_path / "elsewhere" / "schema.pbtxt"
    real.write_text(SCHEMA_TEXT)
    (tmp_path / "schema").mkdir()
    link = tmp_path / "schema" / "schema.pbtxt"
    link.symlink_to(real)
    schema = Schema(uri=str(tmp_path / "out"))
    with pytest.raises(DataError, match="outside its folder"):
        Executor().Do({}, {"schema": [schema]}, {"schema_file": str(link)})
    Executor().Do({}, {"schema": [schema]}, {"schema_file": str(link), "follow_symlinks": True})
    assert schema.get_custom_property("schema_file_real_path") == str(real)
    assert (tmp_path / "out" / "schema.pbtxt").read_text() == SCHEMA_TEXT


def test_no_tensorflow_for_the_checks() -> None:
    code = ("import sys; from tfxkit.components.example_gen.config import match_input_files; "
            "assert 'tensorflow' not in sys.modules and 'pyarrow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_overlapping_patterns_name_the_file_once(tmp_path: Path) -> None:
    data = case_layout(tmp_path, link=False)
    splits = parse_input_config({"splits": [{"name": "train", "pattern": "*.csv"},
                                            {"name": "eval", "pattern": "p*"}]})
    with pytest.raises(DataError, match=r"/data/penguins\.csv is matched by split 'eval' and by "
                                        r"split 'train'; a file must belong to one split"):
        match_input_files(str(data), splits)
