"""Hostile-input cases: Metadata stores, secrets and signals (issue 12): passwords masked, read-only
commands, lost, deleted or full stores, SIGTERM; object-store pipeline roots of the local runner
(issue 13): metadata not given apart, no Google credentials, roots that would leave the local
staging folder. Refused before anything is recorded, staged or contacted.

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
from tests.resources.s3_server import environment as environ
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


def run_on_root(pipeline_root: str, metadata: str | None = "local",
                env: dict[str, str | None] | None = None) -> Callable[[Path], Callable[[], None]]:
    """A local run of a one-node pipeline on `pipeline_root` (metadata: "local" for
    `{root}/metadata.sqlite`), its staging folder under `{root}/staging`, with `env`."""
    def make(root: Path) -> Callable[[], None]:
        def call() -> None:
            from tfxkit.runners import LocalDagRunner
            from tfxkit.runners.local import SilentReporter

            where = str(root / "metadata.sqlite") if metadata == "local" else metadata
            with environ({"TFXKIT_STAGING_DIR": str(root / "staging"), **(env or {})}):
                LocalDagRunner(workers=0, hooks=SilentReporter()).run(Pipeline(
                    "remote", pipeline_root, [make_examples(root=str(root))], metadata=where))
        return call
    return make


def no_google_credentials(root: Path, credentials: str | None = None) -> dict[str, str | None]:
    """An environment with no way to Google credentials: no key file (or `credentials`), no
    gcloud configuration, a metadata server address that refuses connections, no emulator."""
    from tests.resources.s3_server import free_port

    return {"GOOGLE_APPLICATION_CREDENTIALS": credentials, "STORAGE_EMULATOR_HOST": None,
            "CLOUDSDK_CONFIG": str(root / "gcloud"),
            "GCE_METADATA_HOST": f"127.0.0.1:{free_port()}", "GCE_METADATA_IP": None}


def gs_root_without_credentials(root: Path, credentials: str | None = None
                                ) -> Callable[[], None]:
    def call() -> None:
        run_on_root("gs://team-bucket/pipelines/p", env=no_google_credentials(
            root, credentials))(root)()
    return call


def escaping_node_id(root: Path) -> Callable[[], None]:
    """A node named to climb out of its folder, on an s3:// root (its id names its output
    prefix and its staging folder)."""
    def call() -> None:
        gen = make_examples(root=str(root)).with_id("../../escape")
        Pipeline("remote", "s3://team-bucket/p", [gen], metadata=str(root / "metadata.sqlite"))
    return call


def cli_run_on_s3_root_without_metadata(root: Path) -> Callable[[], None]:
    def call() -> None:
        tiny = write_tiny(root / "project")
        with environ({"TFXKIT_STAGING_DIR": str(root / "staging")}):
            cli("run", str(tiny), "-p", "pipeline_root=s3://team-bucket/pipelines/tiny",
                "--workers", "0")()
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
    ("object-store pipeline_root without a metadata location", run_on_root(
        "s3://team-bucket/pipelines/p", metadata=None),
     r"pipeline_root 's3://team-bucket/pipelines/p' is on an object store, where ML Metadata "
     r"cannot live.*Expected an explicit metadata location: a local SQLite file or mysql://"
     r"user@host:port/db; found no metadata location.*Fix: `tfxkit run \.\.\. --metadata "
     r"pipeline_output/metadata\.sqlite`, or Pipeline\(\.\.\., metadata="),
    ("object-store pipeline_root with the metadata on the store too", run_on_root(
        "gs://team-bucket/p", metadata="gs://team-bucket/p/metadata.sqlite"),
     r"found the metadata location 'gs://team-bucket/p/metadata\.sqlite', on an object store"),
    ("tfxkit run on an s3:// root without --metadata", cli_run_on_s3_root_without_metadata,
     r"'s3://team-bucket/pipelines/tiny' is on an object store.*`tfxkit run \.\.\. --metadata"),
    ("gs:// pipeline_root without Google credentials", gs_root_without_credentials,
     r"Could not reach gs://team-bucket: expected Google credentials, found no "
     r"GOOGLE_APPLICATION_CREDENTIALS, no gcloud application default credentials and no "
     r"GCE/GKE metadata server\. Fix: set GOOGLE_APPLICATION_CREDENTIALS .*"
     r"STORAGE_EMULATOR_HOST=http://host:port"),
    ("gs:// pipeline_root with GOOGLE_APPLICATION_CREDENTIALS naming no file",
     lambda r: gs_root_without_credentials(r, str(r / "missing-key.json")),
     r"found GOOGLE_APPLICATION_CREDENTIALS='\S*missing-key\.json', which is no file"),
    ("s3:// pipeline_root climbing out with ..", run_on_root("s3://team-bucket/../../../../escape"),
     r"pipeline_root 's3://team-bucket/\.\./\.\./\.\./\.\./escape': expected "
     r"s3://<bucket>/<prefix> .*its prefix has an empty, '\.' or '\.\.' part"),
    ("s3:// pipeline_root with an empty part", run_on_root("s3://team-bucket/a//b"),
     r"'s3://team-bucket/a//b'.*has an empty, '\.' or '\.\.' part"),
    ("s3:// pipeline_root with a '.' part", run_on_root("s3://team-bucket/./p"),
     r"'s3://team-bucket/\./p'.*has an empty, '\.' or '\.\.' part"),
    ("s3:// pipeline_root without a bucket", run_on_root("s3:///p"),
     r"bucket '' is not a bucket name.*Fix: e\.g\. pipeline_root=s3://my-bucket/"),
    ("s3:// pipeline_root with a bucket that is '..'", run_on_root("s3://../escape"),
     r"bucket '\.\.' is not a bucket name"),
    ("minio:// pipeline_root with a newline", run_on_root("minio://team-bucket/a\nb"),
     r"its prefix holds a control character or '\\'"),
    ("node id with ../ under an s3:// root", escaping_node_id,
     r"'\.\./\.\./escape' is not a valid id"),
    ("pipeline_root of an unsupported scheme", run_on_root("hdfs://cluster/pipelines"),
     r"pipeline_root 'hdfs://cluster/pipelines': unsupported scheme; expected a local folder, "
     r"gs://<bucket>/<prefix>, s3://<bucket>/<prefix> or minio://<bucket>/<prefix>"),
    ("compile with a password in a parameter", compile_with_a_secret,
     never_echoed(r"Not writing \S*leaky\.yaml: the compiled pipeline would contain .*"
                  r"\(at: constant: MYSQL://ml:\*\*\*@db\.example/meta\)")),
]
