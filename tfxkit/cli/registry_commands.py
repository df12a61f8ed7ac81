"""The model registry and experiment commands, added onto `tfxkit models`, `runs` and `report`.

    tfxkit models DESTINATION [PIPELINE_FILE | --metadata LOCATION] [--at TIME] [--history]
    tfxkit models promote DESTINATION VERSION --alias NAME [--note TEXT]
    tfxkit models promote DESTINATION [VERSION] --alias NAME --remove
    tfxkit runs --compare [RUN ...] [--sort METRIC] [--format table|csv|json]
    tfxkit runs --diff RUN_A RUN_B [--format table|json]
    tfxkit report --compare [RUN ...] [--sort METRIC] [-o FILE]

Aliases live at the destination (`tfxkit.components.pusher.registry`); a promote is also
recorded in the pipeline's ML Metadata when there is one (the pipeline file, `--metadata`, or
the project the working directory is in). Run questions go through `tfxkit.metadata.query`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import sys
from typing import Any

from tfxkit.cli.common import UsageError, open_store, report_path

PROMOTE = "promote"
MODELS_USAGE = (
    "tfxkit models DESTINATION [PIPELINE_FILE | --metadata LOCATION] [--at TIME] [--history]\n"
    "       tfxkit models promote DESTINATION VERSION --alias NAME [--note TEXT] "
    "[PIPELINE_FILE | --metadata LOCATION]\n"
    "       tfxkit models promote DESTINATION [VERSION] --alias NAME --remove")


def _when(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


# -- tfxkit models ----------------------------------------------------------------------------
def extend_models(parser: argparse.ArgumentParser) -> None:
    """Add `promote`, `--alias`, `--remove`, `--note`, `--at` and `--history` to the `models`
    parser (after its positionals) and route it through `cmd_models`."""
    parser.usage = MODELS_USAGE
    parser.add_argument("rest", nargs="*", default=[], metavar="VERSION",  # never required
                        help="with `promote`: the version to give the alias")
    parser.add_argument("--alias", help="with `promote`: the alias to set (e.g. production)")
    parser.add_argument("--remove", action="store_true",
                        help="with `promote`: remove the alias instead of setting it")
    parser.add_argument("--note", default="", help="with `promote`: why (kept in the history)")
    parser.add_argument("--at", metavar="TIME",
                        help="show the versions and aliases as they were at TIME, e.g. "
                             "2026-11-01T12:00 (local time) or 2026-11-01T12:00Z")
    parser.add_argument("--history", action="store_true",
                        help="print every alias change at the destination, oldest first")
    listing = parser.get_default("handler")
    parser.set_defaults(handler=lambda args: cmd_models(args, listing))


def cmd_models(args: argparse.Namespace, listing: Any) -> int:
    """`tfxkit models ...`: `promote`, `--history`, `--at`, else the listing (with aliases)."""
    if args.destination == PROMOTE and args.pipeline_file is not None:
        return cmd_promote(args)
    if args.alias or args.remove or args.note:
        raise UsageError("--alias, --remove and --note belong to `tfxkit models promote "
                         "DESTINATION VERSION --alias NAME`.")
    if args.rest:
        raise UsageError(f"unexpected argument(s) {' '.join(args.rest)}: `tfxkit models "
                         f"DESTINATION [PIPELINE_FILE]` lists versions; to set an alias use "
                         f"`tfxkit models promote DESTINATION VERSION --alias NAME`.")
    if not os.path.isdir(args.destination):
        from tfxkit.errors import DataError

        raise DataError(f"no push destination at {args.destination}: expected the Pusher's "
                        f"push_destination folder (e.g. serving/<model>), found "
                        f"{'a file' if os.path.exists(args.destination) else 'nothing'}.")
    if args.history:
        return _print_history(args.destination)
    if args.at:
        return _print_at(args.destination, args.at)
    return int(listing(args))


def _print_history(destination: str) -> int:
    from tfxkit.components.pusher.registry import alias_events

    events = alias_events(destination)
    if not events:
        print(f"No alias was ever set at {destination}.")
        return 0
    for event in events:
        change = (f"{event.alias} -> version {event.version}" if event.version is not None
                  else f"{event.alias} removed")
        before = f" (was {event.previous})" if event.previous is not None else ""
        who = "@".join(p for p in (event.user, event.host) if p)
        note = f"  \"{event.note}\"" if event.note else ""
        print(f"#{event.seq:<4} {_when(event.time)}  {change}{before}  by {who or '?'}{note}")
    return 0


def _print_at(destination: str, text: str) -> int:
    from tfxkit.components.pusher.registry import aliases, parse_time, versions_at

    moment = parse_time(text)
    shown = _when(moment)
    then = aliases(destination, at=moment)
    versions = versions_at(destination, moment)
    print(f"At {shown}:")
    if then:
        for alias, version in then.items():
            print(f"  {alias:<16} -> version {version}")
    else:
        print("  no aliases were set")
    listed = ", ".join(str(v["version"]) for v in versions) or "none"
    print(f"  versions pushed by then: {listed}")
    return 0


def alias_labels(destination: str) -> dict[int, list[str]]:
    """Version -> its aliases now at `destination` (for listings)."""
    from tfxkit.components.pusher.registry import aliases

    labels: dict[int, list[str]] = {}
    for alias, version in aliases(destination).items():
        labels.setdefault(version, []).append(alias)
    return labels


def cmd_promote(args: argparse.Namespace) -> int:
    """`tfxkit models promote DESTINATION VERSION --alias NAME [--remove]`."""
    from tfxkit.components.pusher.registry import promote, remove_alias

    destination = args.pipeline_file
    rest = list(args.rest)
    version: int | None = None
    if rest and rest[0].isdigit():
        version = int(rest.pop(0))
    elif rest and not args.remove and not rest[0].endswith(".py"):
        raise UsageError(f"VERSION: expected a pushed version number such as 3, found "
                         f"{rest[0]!r} (`tfxkit models {destination}` lists the versions).")
    if len(rest) > 1:
        raise UsageError(f"unexpected argument(s) {' '.join(rest[1:])}; usage:\n  "
                         f"{MODELS_USAGE}")
    args.pipeline_file = rest[0] if rest else None
    if not args.alias:
        raise UsageError(f"which alias? Add --alias NAME, e.g. `tfxkit models promote "
                         f"{destination} {version or 'VERSION'} --alias production`.")
    if args.remove:
        event = remove_alias(destination, args.alias, version, note=args.note)
        print(f"alias {event.alias!r} removed at {destination} (was version {event.previous})")
    else:
        if version is None:
            raise UsageError(f"which version? `tfxkit models promote {destination} VERSION "
                             f"--alias {args.alias}` (`tfxkit models {destination}` lists "
                             f"them).")
        event = promote(destination, version, args.alias, note=args.note)
        before = f" (was version {event.previous})" if event.previous is not None else ""
        print(f"alias {event.alias!r} -> version {event.version} at {destination}{before}")
    recorded = _record_in_store(args, destination, event)
    if recorded:
        print(f"recorded in ML Metadata ({recorded})")
    return 0


def _record_in_store(args: argparse.Namespace, destination: str, event: Any) -> str:
    """Record the change in the configured ML Metadata store, if any; return where ("" when
    none is configured or it does not exist yet: the destination's history is enough)."""
    from tfxkit.components.pusher.registry import record_alias_event
    from tfxkit.metadata import connect
    from tfxkit.metadata.store import parse
    from tfxkit.project.loading import find_project_root

    location = getattr(args, "metadata", None)
    if not location and (args.pipeline_file or find_project_root() is not None):
        from tfxkit.cli.common import load_from_args

        pipeline, _ = load_from_args(args)
        location = pipeline.metadata
    if not location:
        return ""
    from tfxkit.errors import StoreNotFoundError

    try:
        connect(location, read_only=True)  # never create a store for a promote
    except StoreNotFoundError:
        return ""
    record_alias_event(connect(location), destination, event)
    return parse(location).display()


# -- tfxkit runs --compare / --diff -----------------------------------------------------------
def extend_runs(parser: argparse.ArgumentParser) -> None:
    """Add `--compare`, `--diff`, `--sort` and `--format` to the `runs` parser."""
    parser.add_argument("--compare", nargs="*", metavar="RUN",
                        help="one row per run: changed parameters, metrics per slice, "
                             "blessing, pushed version (default: the recent runs that "
                             "evaluated a model)")
    parser.add_argument("--diff", nargs=2, metavar=("RUN_A", "RUN_B"),
                        help="which nodes, parameters, code hashes and input data differ")
    parser.add_argument("--sort", metavar="METRIC",
                        help="with --compare: best first by METRIC (or METRIC@SLICE)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="output format of --compare / --diff (default table)")
    listing = parser.get_default("handler")
    parser.set_defaults(handler=lambda args: cmd_runs(args, listing))


def _pipeline_name(args: argparse.Namespace) -> str | None:
    """`--pipeline`, else the name of the pipeline the store was found through (its file or
    the project's), else None (every pipeline in a `--metadata` store). Call after
    `open_store`."""
    return args.pipeline or getattr(args, "loaded_pipeline_name", None)


def _split_pipeline_file(args: argparse.Namespace, runs: list[str]) -> list[str]:
    """Run ids in `runs`, taking out a pipeline file given after them (`--compare a b p.py`)."""
    kept = []
    for item in runs:
        if item.endswith(".py") and os.path.isfile(item) and not args.pipeline_file:
            args.pipeline_file = item
        else:
            kept.append(item)
    return kept


def cmd_runs(args: argparse.Namespace, listing: Any) -> int:
    """`tfxkit runs`: `--diff`, `--compare`, else the listing."""
    if args.diff:
        if args.compare is not None:
            raise UsageError("--compare and --diff are two questions; ask one at a time.")
        return _diff(args)
    if args.compare is not None:
        return _compare(args)
    if args.sort or args.format != "table":
        raise UsageError("--sort and --format go with --compare (or --format with --diff), "
                         "e.g. `tfxkit runs --compare --sort accuracy --format csv`.")
    return int(listing(args))


def _compare(args: argparse.Namespace) -> int:
    from tfxkit.metadata.query import compare_runs

    runs = _split_pipeline_file(args, list(args.compare))
    store = open_store(args)
    table = compare_runs(store, runs or None, _pipeline_name(args), args.limit, args.sort)
    rows = table.rows()
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["run_id"])
        writer.writeheader()
        writer.writerows(rows)
        return 0
    if not rows:
        print("No runs with an evaluated model yet (runs are compared on their Evaluator's "
              "metrics).")
        return 0
    sliced = [name for name in table.metric_names if "@" in name]
    shown = [{k: v for k, v in row.items() if k not in sliced} for row in rows]
    print(format_table(shown))
    if sliced:
        slices = sorted({name.partition("@")[2] for name in sliced})
        print(f"\nmetrics above: Overall slice; per slice ({', '.join(slices)}) with "
              f"--format csv or json, or --sort METRIC@SLICE")
    if table.changed:
        print(f"\nchanged parameters: {', '.join(table.changed)}")
    else:
        print("\nno parameter differs between these runs")
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows: list[dict[str, Any]], limit: int = 40) -> str:
    """Rows of dicts as an aligned text table (cells shortened to `limit` characters)."""
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    cells = [[c if len(c) <= limit else c[:limit - 3] + "..." for c in line] for line in cells]
    widths = [max(len(columns[i]), *(len(line[i]) for line in cells)) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
              for line in cells]
    return "\n".join(lines)


def _diff(args: argparse.Namespace) -> int:
    import dataclasses

    from tfxkit.metadata.query import diff_runs

    if args.format == "csv":
        raise UsageError("--diff prints a table or --format json.")
    store = open_store(args)
    result = diff_runs(store, args.diff[0], args.diff[1], _pipeline_name(args))
    if args.format == "json":
        print(json.dumps({"run_a": result.a.run_id, "run_b": result.b.run_id,
                          "changed_nodes": result.changed_nodes,
                          "changes": [dataclasses.asdict(c) for c in result.changes]},
                         indent=2, default=str))
        return 0
    print(f"A: run {result.a.run_id}  started {_when(result.a.started_at)}")
    print(f"B: run {result.b.run_id}  started {_when(result.b.started_at)}")
    if not result.changes:
        print("No difference: same nodes, parameters, code, input data and outcomes.")
        return 0
    unchanged = [n for n in result.a.nodes if n in result.b.nodes
                 and n not in result.changed_nodes]
    print(f"nodes that differ: {', '.join(result.changed_nodes) or 'none'}")
    if unchanged:
        print(f"nodes alike: {', '.join(unchanged)}")
    current = None
    for change in result.changes:
        node = change.node_id or "outcome"
        if node != current:
            print(f"{node}:")
            current = node
        if change.kind == "node":
            where = "A only" if change.a else "B only"
            print(f"  node present in {where}")
            continue
        print(f"  {change.kind} {change.name}: {_short(change.a)} -> {_short(change.b)}")
    return 0


def _short(value: Any, limit: int = 60) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return ", ".join(f"artifact #{v}" for v in value)  # input artifacts by id
    text = json.dumps(value) if not isinstance(value, str) else value
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:12]  # a sha256: its first characters tell them apart
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -- tfxkit report --compare ------------------------------------------------------------------
def extend_report(parser: argparse.ArgumentParser) -> None:
    """Add `--compare [RUN ...]` and `--sort` to the `report` parser (RUN becomes optional)."""
    parser.add_argument("--compare", nargs="*", metavar="RUN",
                        help="an HTML comparison of runs (default: the recent runs that "
                             "evaluated a model) with metric-vs-parameter charts")
    parser.add_argument("--sort", metavar="METRIC", help="with --compare: best first by METRIC")
    report = parser.get_default("handler")
    parser.set_defaults(handler=lambda args: cmd_report(args, report))


def cmd_report(args: argparse.Namespace, report: Any) -> int:
    """`tfxkit report --compare ...` writes the comparison page; otherwise the run report."""
    if args.compare is None:
        if args.sort:
            raise UsageError("--sort goes with --compare.")
        if not args.run:
            raise UsageError("Which run? `tfxkit report RUN_ID` (or 'latest'), or "
                             "`tfxkit report --compare` for runs side by side.")
        return int(report(args))
    from tfxkit.metadata.query import compare_runs
    from tfxkit.reports import page
    from tfxkit.reports.experiments import experiments_fragment

    runs = _split_pipeline_file(args, list(args.compare))
    if args.run:  # `tfxkit report --compare a b` parses a as RUN when it comes first
        if args.run.endswith(".py") and os.path.isfile(args.run) and not args.pipeline_file:
            args.pipeline_file = args.run
        else:
            runs.insert(0, args.run)
    store = open_store(args)
    table = compare_runs(store, runs or None, _pipeline_name(args), 10, args.sort)
    output = report_path(args.output, "runs-compare.html")
    output.write_text(page("Runs compared", experiments_fragment(table)))
    print(output)
    return 0
