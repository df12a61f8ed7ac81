"""Hostile-input cases: User-given paths (issue 12): symlinks and patterns leaving their root,
compile-time data paths; node settings the local runner cannot apply.

Each path case builds `root/case/` with `data/` (a small CSV), `outside/` (a sibling folder) and
the link or pattern under test; the store, when one is made, is `root/metadata.sqlite`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.harness import REPO, run
from tfxkit import Pipeline
from tfxkit.errors import PipelineDefinitionError

CSV = "a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(20))
LEAVES = r"leaves input_base; patterns must be relative and stay inside it"
OUTSIDE = r"-> \S*/outside/\S+ is outside input_base .*follow_symlinks=True"


def _layout(root: Path) -> tuple[Path, Path]:
    data, outside = root / "case" / "data", root / "case" / "outside"
    data.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (data / "in.csv").write_text(CSV)
    (outside / "out.csv").write_text(CSV)
    (outside / "notes.txt").write_text("PRIVATE-NOTE: not a CSV file\n")
    return data, outside


def example_gen(root: Path, link: str | None = None, target: str = "../outside/out.csv",
                pattern: str | None = None, kind: str = "Csv") -> Callable[[], None]:
    """Build (and run) an ExampleGen of `kind` on data/ with symlink `link` -> `target` and,
    when given, an eval split with `pattern`."""
    def build_and_run() -> None:
        from tfxkit import components

        data, _ = _layout(root)
        if link:
            (data / link).parent.mkdir(parents=True, exist_ok=True)
            (data / link).symlink_to(target)
        config = None if pattern is None else {"splits": [
            {"name": "train", "pattern": "*.csv"}, {"name": "eval", "pattern": pattern}]}
        gen = getattr(components, f"{kind}ExampleGen")(input_base=str(data), input_config=config)
        run(Pipeline("paths", str(root), [gen]))
    return build_and_run


def cli_input_config(root: Path) -> Callable[[], None]:
    """`tfxkit run` with the eval pattern `lnk/*.csv` (data/lnk -> ../outside) given as JSON in
    `-p input_config=...`: the refusal is printed, not a KeyError of the resume hint."""
    def call() -> None:
        import json

        from tests.hostile.harness import cli

        data, _ = _layout(root)
        (data / "lnk").symlink_to("../outside")
        path = root / "case" / "pipeline.py"
        path.write_text(
            "from tfxkit import Pipeline\nfrom tfxkit.components import CsvExampleGen\n\n"
            "def create_pipeline(root: str, input_config: dict | None = None) -> Pipeline:\n"
            f"    return Pipeline('paths', root, [CsvExampleGen(input_base={str(data)!r}, "
            "input_config=input_config)])\n")
        config = {"splits": [{"name": "train", "pattern": "*.csv"},
                             {"name": "eval", "pattern": "lnk/*.csv"}]}
        cli("run", str(path), "-p", f"root={root}", "-p", f"input_config={json.dumps(config)}")()
    return call


def missing_input_base(root: Path, kind: str) -> Callable[[], None]:
    """An ExampleGen whose input_base is missing (or a file): refused before any node runs."""
    def build_and_run() -> None:
        from tfxkit.components import CsvExampleGen

        data, _ = _layout(root)
        base = data / "in.csv" if kind == "file" else root / "case" / "dta"
        run(Pipeline("paths", str(root), [CsvExampleGen(input_base=str(base))]))
    return build_and_run


def import_schema(root: Path) -> Callable[[], None]:
    def build_and_run() -> None:
        from tfxkit.components import ImportSchemaGen

        _, outside = _layout(root)
        (outside / "schema.pbtxt").write_text('feature { name: "a" type: INT }\n')
        (root / "case" / "schema").mkdir()
        (root / "case" / "schema" / "schema.pbtxt").symlink_to(outside / "schema.pbtxt")
        run(Pipeline("paths", str(root), [ImportSchemaGen(
            schema_file=str(root / "case" / "schema" / "schema.pbtxt"))]))
    return build_and_run


def compile_link(root: Path, what: str) -> Callable[[], None]:
    def build_and_compile() -> None:
        from tfxkit.components import CsvExampleGen, Trainer
        from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig

        _, outside = _layout(root)
        project = root / "case" / "proj"
        project.mkdir()
        (project / "data").symlink_to(Path("..") / "outside")
        (outside / "module.py").write_text("def run_fn(fn_args):\n    pass\n")
        (project / "module.py").symlink_to(outside / "module.py")
        gen = CsvExampleGen(input_base=str(project / "data"))
        nodes: list[Any] = [gen]
        if what == "module":
            gen = CsvExampleGen(input_base=str(project))
            nodes = [gen, Trainer(examples=gen.outputs["examples"],
                                  module_file=str(project / "module.py"))]
        KubeflowDagRunner(KubeflowDagRunnerConfig(project_root=str(project))).compile(
            Pipeline("paths", "gs://bucket/root", nodes))
    return build_and_compile


UNGUARDED_SCRIPT = """
from pathlib import Path
import sys

from tfxkit import Output, Pipeline, component
from tfxkit.runners import LocalDagRunner
from tfxkit.types.standard_artifacts import Examples


@component
def write_rows(examples: Output[Examples]) -> None:
    Path(examples.uri, "rows.txt").write_text("1")


LocalDagRunner(workers=1, start_method="spawn").run(Pipeline("own", sys.argv[1], [write_rows()]))
"""


def unguarded_script(root: Path) -> Callable[[], None]:
    """A script without `if __name__ == "__main__":` that defines its own component and runs
    it on spawned workers, run as a user would (a subprocess); its error is raised here."""
    def call() -> None:
        import os
        import subprocess
        import sys

        root.mkdir(parents=True, exist_ok=True)
        script = root / "case" / "script.py"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(UNGUARDED_SCRIPT)
        done = subprocess.run([sys.executable, str(script), str(root)], capture_output=True,
                              text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(REPO)})
        if done.returncode != 0:
            raise PipelineDefinitionError(done.stderr[-3000:])
    return call


def node_setting(root: Path, setting: str) -> Callable[[], None]:
    def build() -> None:
        from tests.resources.tiny_pipelines import make_examples

        node = make_examples(root=str(root))
        if setting == "retries":
            node.with_retries(-1)
        elif setting == "env":
            node.with_env(**{"BAD NAME": "x"})
        else:
            node.with_resources(memory="lots")
    return build


CASES: list[Any] = [
    ("symlink in input_base to a file outside it", lambda r: example_gen(r, link="extra.csv"),
     r"data/extra\.csv " + OUTSIDE),
    ("symlinked folder leaving input_base", lambda r: example_gen(
        r, link="more", target="../outside", pattern="more/*.csv"), r"data/more/out\.csv " + OUTSIDE),
    ("symlinked folder leaving input_base, input_config given as JSON to tfxkit run",
     cli_input_config, r"^(?![\s\S]*(KeyError|bug in tfxkit|run with -v))[\s\S]*tfxkit: error: "
     r"CsvExampleGen failed: ExampleGen input file \S*/data/lnk/out\.csv " + OUTSIDE),
    ("input_base missing: refused before any node runs", lambda r: missing_input_base(r, "dir"),
     r"^(?![\s\S]*metadata\.sqlite)[\s\S]*ExampleGen input_base: directory '\S*/case/dta' "
     r"does not exist\. Pass input_base= the folder holding your data files\."),
    ("input_base is a file", lambda r: missing_input_base(r, "file"),
     r"ExampleGen input_base: expected a directory, found the file '\S*/data/in\.csv'\. Pass "
     r"its folder, '\S*/case/data'\."),
    ("symlink to a non-CSV file outside input_base", lambda r: example_gen(
        r, link="notes.csv", target="../outside/notes.txt"),
     r"^(?![\s\S]*PRIVATE-NOTE)[\s\S]*notes\.csv -> \S*/outside/notes\.txt is outside"),
    ("symlink outside input_base (ParquetExampleGen)", lambda r: example_gen(
        r, link="x.parquet", kind="Parquet"), OUTSIDE),
    ("symlink outside input_base (ImportExampleGen)", lambda r: example_gen(
        r, link="x.gz", kind="Import"), OUTSIDE),
    ("split pattern '../outside/*.csv'", lambda r: example_gen(r, pattern="../outside/*.csv"),
     r"input_config\.splits\[1\]\.pattern '\.\./outside/\*\.csv' " + LEAVES),
    ("absolute split pattern", lambda r: example_gen(r, pattern="/etc/*"),
     r"pattern '/etc/\*' is an absolute path, so it " + LEAVES),
    ("split pattern 'sub/../../x'", lambda r: example_gen(r, pattern="sub/../../outside/*"),
     LEAVES),
    ("one file in two splits through a symlink", lambda r: example_gen(
        r, link="eval/same.csv", target="../in.csv", pattern="eval/*.csv"),
     r"data/eval/same\.csv \(real path \S*/data/in\.csv\) is matched by split 'eval' and, as "
     r"\S*/data/in\.csv, by split 'train'"),
    ("dangling symlink as the only input", lambda r: example_gen(
        r, link="only/gone.csv", target="../../nowhere.csv", pattern="only/*"),
     r"pattern 'only/\*' matches no file"),
    ("schema file symlinked out of its folder", import_schema,
     r"schema\.pbtxt -> \S*/outside/schema\.pbtxt is outside its folder"),
    ("compile: data folder in the project linking outside it", lambda r: compile_link(r, "data"),
     r"proj/data', which resolves to \S*/outside \(a symlink leads out of the project\)"),
    ("compile: module file linking outside the project", lambda r: compile_link(r, "module"),
     r"proj/module\.py', which resolves to \S*/outside/module\.py"),
    ("spawned workers: component defined in an unguarded script", unguarded_script,
     r"uses write_rows, defined in the script you ran .*no `if __name__ == \"__main__\":` "
     r"guard.*LocalDagRunner\(workers=0\)"),
    ("node setting: negative with_retries", lambda r: node_setting(r, "retries"),
     r"with_retries.*non-negative int.*-1"),
    ("node setting: with_env name with a space", lambda r: node_setting(r, "env"),
     r"with_env.*'BAD NAME'"),
    ("node setting: with_resources memory not a quantity", lambda r: node_setting(r, "memory"),
     r"memory='lots'.*Kubernetes quantity"),
]
