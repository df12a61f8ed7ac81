"""Hostile-input cases: Metadata stores, secrets and signals (issue 12): passwords masked, read-only
commands, lost, deleted or full stores, SIGTERM.

Every pattern that involves the planted password also asserts (negative lookahead over the whole
output) that the password itself appears nowhere. Cases that need a real process, a real signal
or a full device live in tests/runners/test_signals.py and tests/metadata/test_store_safety.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.harness import cli
from tests.metadata.cli_pipeline import write_tiny
from tests.resources.tiny_pipelines import make_examples
from tfxkit import Pipeline

SECRET = "not-a-real-secret"


def never_echoed(pattern: str) -> str:
    """`pattern`, matched anywhere, in output that nowhere holds the planted password."""
    return rf"(?s)^(?!.*{SECRET}).*{pattern}"


def run_with_metadata(root: Path, metadata: str) -> Callable[[], None]:
    def call() -> None:
        from tfxkit.runners import LocalDagRunner
        from tfxkit.runners.local import SilentReporter

        LocalDagRunner(workers=0, hooks=SilentReporter()).run(
            Pipeline("store", str(root), [make_examples(root=str(root))], metadata=metadata))
    return call


def query_a_folder(root: Path) -> Callable[[], None]:
    def call() -> None:
        root.mkdir(parents=True, exist_ok=True)
        cli("runs", "--metadata", str(root))()
    return call


def query_a_text_file(root: Path) -> Callable[[], None]:
    def call() -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "notes.sqlite").write_text("my notes\n")
        cli("lineage", "1", "--metadata", str(root / "notes.sqlite"))()
    return call


def store_under_a_file(root: Path) -> Callable[[], None]:
    def call() -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "afile").write_text("")
        run_with_metadata(root, str(root / "afile" / "metadata.sqlite"))()
    return call


def compile_with_a_secret(root: Path) -> Callable[[], None]:
    def call() -> None:
        tiny = write_tiny(root / "project")
        cli("compile", str(tiny), "-o", str(root / "leaky.yaml"), "--image", "img:1",
            "-p", f"note=MYSQL://ml:{SECRET}@db.example/meta")()
    return call


CASES: list[Any] = [
    ("metadata URL MYSQL:// (upper case) with a password", lambda r: cli(
        "runs", "--metadata", f"MYSQL://ml:{SECRET}@db.example/meta"),
     never_echoed(r"'MYSQL://ml:\*\*\*@db\.example/meta' carries a password")),
    ("metadata URL mysql+pymysql:// with a password", lambda r: cli(
        "runs", "--metadata", f"mysql+pymysql://ml:{SECRET}@db.example/meta"),
     never_echoed(r"mysql\+pymysql://ml:\*\*\*@db\.example/meta' carries a password")),
    ("metadata URL mysql:// with a password", lambda r: cli(
        "runs", "--metadata", f"mysql://ml:{SECRET}@db.example/meta"),
     never_echoed(r"carries a password.*TFXKIT_METADATA_PASSWORD")),
    ("metadata URL with ?password=", lambda r: cli(
        "runs", "--metadata", f"mysql://ml@db.example/meta?password={SECRET}"),
     never_echoed(r"password=\*\*\*.*carries a password")),
    ("unsupported metadata scheme with a password", lambda r: cli(
        "runs", "--metadata", f"postgres://ml:{SECRET}@db.example/meta"),
     never_echoed(r"Unsupported metadata location 'postgres://ml:\*\*\*@db\.example/meta'")),
    ("pipeline metadata URL with a password", lambda r: run_with_metadata(
        r, f"MariaDB://ml:{SECRET}@db.example:3306/meta"),
     never_echoed(r"carries a password")),
    ("sqlite URL with two slashes", lambda r: run_with_metadata(r, "sqlite://relative.db"),
     r"lacks its third slash.*sqlite:///relative"),
    ("mysql URL with a non-numeric port", lambda r: run_with_metadata(
        r, "mysql://ml@db.example:port/meta"), r"incomplete or malformed.*host:port/database"),
    ("runs on a missing store", lambda r: cli("runs", "--metadata", str(r / "metadata.sqlite")),
     r"no ML Metadata store at \S*metadata\.sqlite \(pass the pipeline file or the store of "
     r"an existing run\)"),
    ("lineage on a missing store", lambda r: cli(
        "lineage", "1", "--metadata", str(r / "typo" / "metadata.sqlite")),
     r"no ML Metadata store at \S*typo/metadata\.sqlite"),
    ("report on a missing store", lambda r: cli(
        "report", "latest", "--metadata", str(r / "metadata.sqlite")), r"no ML Metadata store"),
    ("show by id on a missing store", lambda r: cli(
        "show", "1", "--metadata", str(r / "metadata.sqlite")), r"no ML Metadata store"),
    ("store path that is a directory", query_a_folder,
     r"is a directory, not a SQLite store file"),
    ("store path that is a text file", query_a_text_file,
     r"notes\.sqlite is not an ML Metadata SQLite database"),
    ("store folder under a file", store_under_a_file,
     r"Could not create the folder of the ML Metadata store \S*afile/metadata\.sqlite"),
    ("compile with a password in a parameter", compile_with_a_secret,
     never_echoed(r"Not writing \S*leaky\.yaml: the compiled pipeline would contain .*"
                  r"\(at: constant: MYSQL://ml:\*\*\*@db\.example/meta\)")),
]
