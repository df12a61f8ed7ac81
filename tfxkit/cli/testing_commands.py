"""`tfxkit snapshot NODE`: keep a small sample of a step's upstream artifacts as golden inputs
(`tests/fixtures/NODE/`), so the step's test runs without the pipeline (see docs/testing.md)."""

from __future__ import annotations

import argparse
from typing import Any

from tfxkit.cli.common import UsageError, add_pipeline_options, add_verbose_option


def cmd_snapshot(args: argparse.Namespace) -> int:
    """`tfxkit snapshot NODE`: golden inputs of NODE from the latest (or `--run`) run."""
    import json

    from tfxkit.errors import shown_path
    from tfxkit.project.loading import find_pipeline_file, parse_param_pairs
    from tfxkit.testing import read_manifest, snapshot_inputs

    if args.rows < 1:
        raise UsageError(f"--rows {args.rows}: expected a positive number of records per split.")
    if args.max_mb <= 0:
        raise UsageError(f"--max-mb {args.max_mb}: expected a positive size in MB.")
    params = parse_param_pairs(args.param or [])
    pipeline_file = find_pipeline_file(args.pipeline_file)
    folder = snapshot_inputs(args.node, rows=args.rows, to=args.to, pipeline=pipeline_file,
                             run=args.run, metadata=args.metadata, pipeline_params=params,
                             max_bytes=int(args.max_mb * 2**20))
    manifest = read_manifest(folder.parent, folder.name)
    shown = shown_path(folder)
    print(f"Golden inputs of {args.node} (run {manifest['source_run_id']}) in {shown}:")
    for key, entries in sorted(manifest["inputs"].items()):
        for entry in entries:
            rows = entry.get("sampled_rows")
            order = [s for s in entry.get("split_names", []) if s in (rows or {})]
            detail = (", ".join(f"{split}: {rows[split]} rows" for split in order)
                      if rows is not None else "copied whole")
            print(f"  {key:<20} {entry['type']:<20} {detail}")
    print(f"Commit them (git add {shown}); tests use them with "
          f"run_step({args.node!r}, inputs='fixtures').")
    if args.verbose_manifest:
        print(json.dumps(manifest, indent=2, sort_keys=True))
    return 0


def add_commands(sub: Any) -> None:
    """Add `snapshot` to the `tfxkit` subcommands."""
    snap = sub.add_parser(
        "snapshot", help="keep a sample of a step's upstream artifacts as golden test inputs",
        description="Copy a small sample of NODE's upstream artifacts from the latest (or "
                    "--run) run into tests/fixtures/NODE/: Examples sampled to --rows records "
                    "per split, other artifacts (schema, transform graph, statistics) whole, "
                    "and manifest.json. run_step(NODE, inputs='fixtures') runs the step on "
                    "them. The ML Metadata store is only read.")
    snap.add_argument("node", help="the step whose inputs to keep, e.g. Trainer")
    add_pipeline_options(snap, store=True)
    snap.add_argument("--rows", type=int, default=64,
                      help="records kept per split of each Examples artifact (default 64)")
    snap.add_argument("--to", help="golden inputs folder (default: <project>/tests/fixtures)")
    snap.add_argument("--run", default="latest",
                      help="run whose artifacts to take: a run id, latest (default) or latest~N")
    snap.add_argument("--max-mb", type=float, default=50.0,
                      help="largest artifact copied whole, in MB (default 50)")
    snap.add_argument("--manifest", dest="verbose_manifest", action="store_true",
                      help="also print the manifest written")
    add_verbose_option(snap)
    snap.set_defaults(handler=cmd_snapshot)
