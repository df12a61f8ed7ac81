"""Hostile and bad input across the CLI, the DSL, the components and the templates: every case
gets a clear error (what was expected or found, where, how to fix) and leaves no trace in the
store: no LIVE artifact and no COMPLETE execution from the failed attempt; names from users never
escape their directory; template generation needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.resources.tiny_pipelines import count_rows, make_examples
from tfxkit import Pipeline
from tfxkit.errors import TfxkitError

REPO = Path(__file__).resolve().parents[1]


def store_trace(root: Path) -> tuple[int, int]:
    """(LIVE artifacts, COMPLETE executions) in the store under `root` (0, 0 if none)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from tfxkit.metadata import connect

    path = root / "metadata.sqlite"
    if not path.exists():
        return 0, 0
    store = connect(str(path))
    live = sum(a.state == pb.Artifact.LIVE for a in store.get_artifacts())
    complete = sum(e.last_known_state == pb.Execution.COMPLETE for e in store.get_executions())
    return live, complete


def run(pipeline: Pipeline) -> None:
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    LocalDagRunner(workers=1, hooks=SilentReporter()).run(pipeline)


def csv_pipeline(root: Path, text: bytes) -> Callable[[], None]:
    def build_and_run() -> None:
        from tfxkit.components import CsvExampleGen

        data = root / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "data.csv").write_bytes(text)
        run(Pipeline("csv", str(root), [CsvExampleGen(input_base=str(data))]))
    return build_and_run


def cyclic(root: Path) -> Callable[[], None]:
    def build() -> None:
        from tests.resources.tiny_pipelines import measure
        from tfxkit.types import Channel
        from tfxkit.types.standard_artifacts import Examples

        gen = make_examples(root=str(root))
        a = count_rows(examples=gen.outputs["examples"], root=str(root))
        b = measure(examples=gen.outputs["examples"], root=str(root))
        # Channels are acyclic by construction; rewire by hand as a confused user might.
        a.inputs["examples"] = Channel(type=Examples, producer=b, output_key="model")
        b.inputs["examples"] = Channel(type=Examples, producer=a, output_key="schema")
        run(Pipeline("cyclic", str(root), [gen, a, b]))
    return build


def wrong_artifact_type(root: Path) -> Callable[[], None]:
    def build() -> None:
        from tests.resources.tiny_pipelines import measure

        model = measure(examples=make_examples(root=str(root)).outputs["examples"], root=str(root))
        count_rows(examples=model.outputs["model"], root=str(root))
    return build


def unknown_parameter(root: Path) -> Callable[[], None]:
    return lambda: make_examples(root=str(root), rowz=3)  # type: ignore[call-arg]


def escaping_name(name: str, root: Path) -> Callable[[], None]:
    return lambda: run(Pipeline(name, str(root), [make_examples(root=str(root))]))


def escaping_component_id(component_id: str, root: Path) -> Callable[[], None]:
    return lambda: run(Pipeline("ids", str(root),
                                [make_examples(root=str(root)).with_id(component_id)]))


def cli(*argv: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.cli.main import main

        if main(list(argv)) != 0:
            raise TfxkitError("nonzero exit")
    return call


def bad_template_answers(root: Path, answers: dict[str, Any]) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.project import new_project

        new_project("tabular-classification", root / "projects", answers=answers, init_git=False)
    return call


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


@pytest.mark.integration
@pytest.mark.parametrize(("case", "make", "pattern"), CASES,
                         ids=[str(c.values[0]) if hasattr(c, "marks") else c[0] for c in CASES])
def test_bad_input_gets_a_clear_error_and_leaves_no_trace(
        case: str, make: Callable[[Path], Callable[[], None]], pattern: str, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    with pytest.raises((TfxkitError, SystemExit, ValueError, TypeError)) as caught:
        make(root)()
    printed = capfd.readouterr()
    message = f"{caught.value}\n{printed.out}\n{printed.err}"
    assert re.search(pattern, message), f"{case}: unclear error: {message[-2000:]}"
    assert store_trace(root) == (0, 0), f"{case}: the failed attempt left records"
    outside = [p for p in tmp_path.parent.iterdir() if p.name == "escape"]
    assert not outside and not (tmp_path / "escape").exists(), f"{case}: a name escaped"
    projects = root / "projects"
    assert not projects.exists() or not any(projects.iterdir()), "a bad template left files"


def test_template_generation_needs_no_network(tmp_path: Path) -> None:
    blocker = tmp_path / "no_network"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(textwrap.dedent('''
        import socket
        def _refuse(*args, **kwargs):
            raise OSError("network access attempted during template generation")
        socket.socket.connect = _refuse
        socket.socket.connect_ex = _refuse
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
    '''))
    script = textwrap.dedent(f'''
        import socket
        try:
            socket.create_connection(("127.0.0.1", 9))
            raise SystemExit("the socket blocker is not active")
        except OSError as exc:
            assert "network access attempted" in str(exc), exc
        from tfxkit.project import new_project
        print(new_project("tabular-classification", {str(tmp_path / "out")!r},
                          answers={{"project_name": "Offline Check"}}, init_git=True))
    ''')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    project = Path(done.stdout.strip().splitlines()[-1])
    assert (project / "pipeline" / "pipeline.py").exists() or any(project.rglob("pipeline.py"))
