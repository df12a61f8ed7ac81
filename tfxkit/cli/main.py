"""The `tfxkit` command.

    tfxkit run [PIPELINE_FILE] [-p key=value ...] [--from N] [--to N] [--only N] [--no-cache]
    tfxkit compile | deploy [PIPELINE_FILE] ...
    tfxkit runs [PIPELINE_FILE | --metadata LOCATION] [-n 10]
    tfxkit runs --compare [RUN ...] [--sort METRIC] [--format table|csv|json]
    tfxkit runs --diff RUN_A RUN_B
    tfxkit lineage ARTIFACT_URI_OR_ID_OR_PUSHED_VERSION [PIPELINE_FILE | --metadata LOCATION]
    tfxkit show ARTIFACT_URI_OR_ID [--metadata LOCATION] [-o FILE]
    tfxkit report RUN_ID|latest [PIPELINE_FILE | --metadata LOCATION] [-o FILE]
    tfxkit report --compare [RUN ...] [--sort METRIC] [-o FILE]
    tfxkit models DESTINATION [PIPELINE_FILE | --metadata LOCATION] [--at TIME] [--history]
    tfxkit models promote DESTINATION VERSION --alias NAME [--remove]
    tfxkit templates | new [TEMPLATE] [KEY=VALUE ...] | update
    tfxkit serve DESTINATION [--port N] [--model-name NAME]
    tfxkit predict DESTINATION [--version N | --alias A] --input CSV... --output DIR
    tfxkit snapshot NODE [PIPELINE_FILE] [--rows N] [--to tests/fixtures] [--run RUN]

A pipeline file exposes `create_pipeline(**params) -> Pipeline`; inside a project made by
`tfxkit new` it is found without being named. Imports of the runner, ML Metadata and user code
happen inside the commands, so `tfxkit --help` answers at once. An error is one short block on
stderr and exit code 1; `-v` adds the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from tfxkit._version import __version__
from tfxkit.cli import (
    pipeline_commands,
    project_commands,
    query_commands,
    serving_commands,
    testing_commands,
)
from tfxkit.cli.common import UsageError
from tfxkit.errors import TfxkitError
from tfxkit.secrets import mask_secrets

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the `tfxkit` command."""
    parser = argparse.ArgumentParser(
        prog="tfxkit",
        description="Run, inspect and deploy tfxkit ML pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"tfxkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show tracebacks and stream executor output to the terminal")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    pipeline_commands.add_commands(sub)
    query_commands.add_commands(sub)
    project_commands.add_commands(sub)
    serving_commands.add_commands(sub)
    testing_commands.add_commands(sub)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse `argv`; positionals of `tfxkit new` (template, answers) may follow its options."""
    args, extras = parser.parse_known_args(argv)
    if extras and args.command == "new":
        extras = project_commands.take_late_positionals(args, extras)
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def error_block(exc: BaseException, verbose: bool) -> str:
    """What the command prints for `exc`: `tfxkit: error: ...` (with the traceback first when
    `verbose`); errors that are not tfxkit's own also say how to see the traceback."""
    lines = []
    if verbose:
        lines.append("".join(traceback.format_exception(exc)).rstrip())
    if isinstance(exc, TfxkitError):
        lines.append(f"tfxkit: error: {exc}")
    elif isinstance(exc, OSError) and exc.filename:  # a file the command line named
        lines.append(f"tfxkit: error: {exc.strerror or type(exc).__name__}: {exc.filename}")
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
        lines.append(f"tfxkit: error: {type(exc).__name__}: {exc}{where}")
        if not verbose:
            lines.append("  This looks like a bug in tfxkit: run the command again with -v for "
                         "the traceback, and report it.")
    return mask_secrets("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tfxkit` command; returns the process exit code."""
    args = parse_args(build_parser(), argv)
    verbose = bool(getattr(args, "verbose", False))
    try:
        return int(args.handler(args))
    except pipeline_commands.RunFailedError:
        return 1
    except KeyboardInterrupt as exc:  # RunInterrupted says what was stopped and how to resume
        print(f"tfxkit: {str(exc) or 'interrupted'}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 130))
    except Exception as exc:
        print(error_block(exc, verbose), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
