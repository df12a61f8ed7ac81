"""What the `tfxkit` commands share: the usage error, the shared options (pipeline file, `-p`,
`--metadata`, `-v`), and finding the pipeline and its metadata store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.errors import StoreNotFoundError, TfxkitError

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


class UsageError(TfxkitError):
    """The command line asks for something impossible; the message says what to type."""


def add_verbose_option(parser: argparse.ArgumentParser) -> None:
    """`-v`: tracebacks and executor output on the terminal (every command has it)."""
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks and stream executor output to the terminal")


def add_pipeline_options(parser: argparse.ArgumentParser, store: bool = False) -> None:
    """The options of commands that load a pipeline: PIPELINE_FILE (optional: inside a
    project, its pipeline file is found), `-p KEY=VALUE`, and with `store` also `--metadata`.
    (Added after the command's own positionals, so that they keep their order.)"""
    parser.add_argument("pipeline_file", nargs="?",
                        help="Python file defining create_pipeline(**params) (default: the "
                             "pipeline file of the project the working directory is in)")
    parser.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                        help="argument for create_pipeline() or a runtime parameter (repeatable)")
    if store:
        parser.add_argument("--metadata", help="metadata location (SQLite path or URL)")


def load_from_args(args: argparse.Namespace) -> tuple[Pipeline, dict[str, Any]]:
    """The pipeline named by the command line (its file found when not given) and its typed
    runtime parameter values; records the file used in `args.pipeline_file`."""
    from tfxkit.project.loading import find_pipeline_file, load_pipeline, parse_param_pairs

    params = parse_param_pairs(args.param or [])
    args.pipeline_file = find_pipeline_file(args.pipeline_file)
    return load_pipeline(args.pipeline_file, params)


def open_store(args: argparse.Namespace) -> Any:
    """The metadata store the command line names: `--metadata`, else the pipeline's (its file
    given or found in the project the working directory is in)."""
    from tfxkit.metadata import connect
    from tfxkit.project.loading import find_project_root

    if getattr(args, "metadata", None):
        return connect(args.metadata, read_only=True)  # query commands never create a store
    if getattr(args, "pipeline_file", None) or find_project_root() is not None:
        pipeline, _ = load_from_args(args)
        args.loaded_pipeline_name = pipeline.pipeline_name  # e.g. `runs --compare`: its runs
        try:
            return connect(pipeline.metadata, read_only=True)
        except StoreNotFoundError as exc:  # the pipeline was named: it has not run yet
            raise StoreNotFoundError(
                f"no ML Metadata store at {exc.location}: pipeline {pipeline.pipeline_name!r} "
                f"has not run yet; run it first with `tfxkit run {args.pipeline_file}`",
                exc.location) from exc
    raise UsageError("Which pipeline? Pass the pipeline file (e.g. pipeline/pipeline.py) or "
                     "--metadata pipeline_output/metadata.sqlite, or run the command inside a "
                     "project made by `tfxkit new`.")


def find_store_for_uri(uri: str) -> str | None:
    """The SQLite store of the pipeline root above artifact folder `uri`, if there is one."""
    from tfxkit.dsl.pipeline import DEFAULT_METADATA_FILE

    for folder in Path(uri).absolute().parents:
        candidate = folder / DEFAULT_METADATA_FILE
        if candidate.is_file():
            return str(candidate)
    return None


def quiet_heavy_imports() -> None:
    """Keep TensorFlow's and Google client libraries' start-up chatter (CUDA probes, Python
    version notices) off the terminal of commands that load them in-process."""
    import logging
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for name in ("tensorflow", "absl", "apache_beam"):  # deprecation notices, Beam set-up
        logging.getLogger(name).setLevel(logging.ERROR)


REPORTS_DIR = "reports"


def report_path(chosen: str | None, name: str) -> Path:
    """Where an HTML page goes: `chosen` (`-o`) as given, else `reports/<name>` under the
    project root (the templates' .gitignore ignores `reports/`), or under the working directory
    outside a project. The folder is created; the absolute path is returned."""
    from tfxkit.project.loading import find_project_root

    if chosen:
        return Path(chosen).absolute()
    folder = (find_project_root() or Path.cwd()).absolute() / REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
