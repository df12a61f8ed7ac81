"""`tfxkit runs`, `lineage`, `show`, `report` and `models`: read what runs recorded."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tfxkit.cli import registry_commands
from tfxkit.cli.common import (
    UsageError,
    add_pipeline_options,
    add_verbose_option,
    find_store_for_uri,
    open_store,
    quiet_heavy_imports,
    report_path,
)


def cmd_runs(args: argparse.Namespace) -> int:
    """`tfxkit runs`: recent runs with each node's outcome and time."""
    import datetime

    from tfxkit.metadata.lineage import list_runs
    from tfxkit.reports.run import outcome_word

    store = open_store(args)
    runs = list_runs(store, args.pipeline, args.limit)
    if not runs:
        print("No runs recorded yet.")
        return 0
    for run in runs:
        when = datetime.datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
        print(f"run {run.run_id}  pipeline {run.pipeline_name}  started {when}")
        for node in run.nodes:  # outcomes in the words of `tfxkit run` and `tfxkit report`
            line = f"  {node.node_id:<24} {outcome_word(node.state):<9} {node.seconds:8.2f} s"
            if node.error:
                line += f"  {node.error.splitlines()[0][:120]}"
            print(line)
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    """`tfxkit runs --why NODE [RUN]`: why NODE ran or was cached in RUN (default latest),
    compared with the execution it could have reused (`tfxkit.metadata.explain`)."""
    from tfxkit.metadata.explain import explain_execution, explanation_lines

    why = list(args.why)
    if why and why[-1].endswith(".py") and not args.pipeline_file:  # `--why NODE RUN p.py`
        args.pipeline_file = why.pop()
    if len(why) > 2 or args.compare is not None or args.diff:
        raise UsageError("--why takes a node and optionally a run: `tfxkit runs --why Trainer` "
                         "or `tfxkit runs --why Trainer 20260101T120000000000Z` (one question "
                         "at a time: not with --compare or --diff).")
    if args.format not in ("table", "json"):
        raise UsageError("--why prints text, or JSON with --format json.")
    node, run = why[0], why[1] if len(why) > 1 else "latest"
    store = open_store(args)
    pipeline = args.pipeline or getattr(args, "loaded_pipeline_name", None)
    explanation = explain_execution(store, pipeline, node, run)
    if args.format == "json":
        print(json.dumps(explanation.to_dict(), indent=2, default=str))
    else:
        print("\n".join(explanation_lines(explanation)))
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    """`tfxkit lineage`: what produced an artifact, from which inputs, parameters and code.

    The artifact is an id, an artifact folder, or a pushed model version folder (the path the
    Pusher prints, relative or absolute), which stands for the PushedModel of that push."""
    from tfxkit.metadata.lineage import find_artifact, lineage

    if not args.metadata and not args.pipeline_file and not args.artifact.isdigit():
        args.metadata = find_store_for_uri(args.artifact)
    store = open_store(args)
    artifact = find_artifact(store, args.artifact)
    if artifact is None or artifact.id is None:
        raise UsageError(f"No artifact with id or uri {args.artifact!r} in this store, and no "
                         f"push recorded to that folder. Use an artifact id or folder from the "
                         f"run's output, or a version folder that `tfxkit models DESTINATION` "
                         f"lists.")
    tree = lineage(store, artifact.id)
    if args.json:
        print(json.dumps(tree, indent=2, default=str))
        return 0
    version = artifact.get_custom_property("pushed_version")
    if version is not None and artifact.get_custom_property("pushed_destination"):
        print(f"pushed version {version} at {artifact.get_custom_property('pushed_destination')}")
    print_lineage(tree)
    return 0


def print_lineage(tree: dict[str, Any], depth: int = 0,
                  shown: set[tuple[str, int]] | None = None) -> None:
    """Print a lineage tree (from `tfxkit.metadata.lineage.lineage`) as an indented outline;
    an artifact or execution reached again (an input shared by several nodes, two outputs of
    one node) is named, not repeated, and long parameter values are shortened (`--json` has
    them whole)."""
    shown = set() if shown is None else shown
    pad = "    " * depth
    art = tree["artifact"]
    producer = tree["produced_by"]
    if ("artifact", art["id"]) in shown and producer is not None:
        print(f"{pad}{art['type']} #{art['id']}  (its lineage is shown above)")
        return
    shown.add(("artifact", art["id"]))
    print(f"{pad}{art['type']} #{art['id']}  {art['uri']}")
    custom = art.get("custom_properties") or {}
    real_paths = dict(json.loads(custom.get("followed_symlinks") or "{}"))
    if custom.get("schema_file_real_path"):
        real_paths["schema_file"] = custom["schema_file_real_path"]
    for given, real in sorted(real_paths.items()):  # opted in with follow_symlinks=True
        print(f"{pad}  read through a symlink: {given} -> {real}")
    if producer is None:
        return
    if ("execution", producer["execution_id"]) in shown:
        print(f"{pad}  produced by {producer['node_id']} (execution "
              f"{producer['execution_id']}, shown above)")
        return
    shown.add(("execution", producer["execution_id"]))
    print(f"{pad}  produced by {producer['node_id']} (execution {producer['execution_id']}, "
          f"run {producer['run_id']}, {producer['state']})")
    if producer["parameters"]:
        params = ", ".join(f"{k}={_short(json.dumps(v))}"
                           for k, v in sorted(producer["parameters"].items()))
        print(f"{pad}  parameters: {params}")
    for name, digest in sorted(producer["user_code"].items()):
        print(f"{pad}  code {name}: sha256 {digest[:16]}")
    for key, subtrees in sorted(producer["inputs"].items()):
        print(f"{pad}  input {key}:")
        for subtree in subtrees:
            print_lineage(subtree, depth + 1, shown)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def cmd_show(args: argparse.Namespace) -> int:
    """`tfxkit show`: write a self-contained HTML view of an artifact (with its lineage graph
    when a metadata store knows it) and print its path."""
    quiet_heavy_imports()
    from tfxkit.metadata.lineage import find_artifact, lineage
    from tfxkit.reports import anomalies_of, guess_type, render_html

    type_name, uri = None, args.artifact
    facts, tree, anomalies_uri = None, None, None
    store_location = args.metadata or (None if args.artifact.isdigit() else
                                       find_store_for_uri(args.artifact))
    store, where = None, "a metadata store (pass --metadata LOCATION for ids)"
    if store_location:
        from tfxkit.metadata import connect

        store = connect(store_location, read_only=True)
        where = f"the metadata store {store_location}"
    else:
        store = _project_store(args)
        if store is not None:
            where = "this project's metadata store"
    if store is not None:
        artifact = find_artifact(store, args.artifact)
        if artifact is not None:
            type_name, uri, facts = artifact.TYPE_NAME, artifact.uri, artifact.to_dict()
            if artifact.id is not None:
                tree = lineage(store, artifact.id)
                if type_name == "ExampleStatistics":  # flag the features its anomalies name
                    anomalies_uri = anomalies_of(store, artifact.id)
    if type_name is None:
        if not Path(uri).is_dir():
            raise UsageError(f"{args.artifact!r} is neither an artifact folder nor an artifact id "
                             f"in {where}; expected an artifact id such as 3 (`tfxkit lineage "
                             f"ID` and the run report show them) or an artifact's folder.")
        type_name = guess_type(uri)
    if type_name is None:
        raise UsageError(f"Cannot tell what kind of artifact {uri} is from its files; pass its "
                         f"id with --metadata LOCATION so the store says its type.")
    page = render_html(type_name, str(uri), facts, tree, anomalies_uri=anomalies_uri,
                       sort_by=args.sort)
    output = report_path(args.output, f"{type_name}-{Path(uri).name}.html")
    output.write_text(page)
    print(output)
    return 0




def _project_store(args: argparse.Namespace) -> Any:
    """The store of the project the working directory is in, or None (no project, or its
    pipeline has not run yet)."""
    from tfxkit.errors import TfxkitError
    from tfxkit.project.loading import find_project_root

    if find_project_root() is None:
        return None
    try:
        return open_store(argparse.Namespace(**{**vars(args), "pipeline_file": None,
                                                "param": None, "metadata": None}))
    except TfxkitError:
        return None


def cmd_report(args: argparse.Namespace) -> int:
    """`tfxkit report`: write the HTML report of a run (DAG, outcomes, timings) and print its
    path."""
    from tfxkit.reports import load_run, run_report_page

    report = load_run(open_store(args), args.run, args.pipeline)
    output = report_path(args.output, f"run-{report.run_id}.html")
    output.write_text(run_report_page(report))
    print(output)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """`tfxkit models`: pushed versions at a destination with the run, metrics and data behind
    each."""
    import datetime

    from tfxkit.components.pusher.registry import list_pushed_versions
    from tfxkit.metadata.lineage import pushed_model_history

    versions = list_pushed_versions(args.destination)
    if not versions:
        print(f"No model versions under {args.destination}.")
        return 0
    from tfxkit.project.loading import find_project_root

    history: dict[str, Any] = {}
    with_store = bool(args.metadata or args.pipeline_file or find_project_root())
    if with_store:
        history = pushed_model_history(open_store(args), [v["path"] for v in versions])
    labels = registry_commands.alias_labels(args.destination)
    for item in versions:
        when = datetime.datetime.fromtimestamp(item["time"]).strftime("%Y-%m-%d %H:%M:%S")
        named = labels.get(item["version"])
        print(f"version {item['version']:<4} pushed {when}  {item['path']}"
              + (f"  [{', '.join(named)}]" if named else ""))
        facts = history.get(item["path"])
        if facts is None:
            if with_store:
                print("    (not recorded in this metadata store)")
            continue
        print(f"    run {facts['run_id']}  model {facts['model_uri']}")
        if facts["metrics"]:
            shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in sorted(facts["metrics"].items()))
            print(f"    metrics: {shown}")
        if facts["data"]:
            print(f"    data: {', '.join(facts['data'])}")
    return 0


def add_commands(sub: Any) -> None:
    """Add `runs`, `lineage`, `show`, `report` and `models` to the `tfxkit` subcommands."""
    runs = sub.add_parser("runs", help="list recent runs and node outcomes")
    add_pipeline_options(runs, store=True)
    runs.add_argument("--pipeline", help="only runs of this pipeline name")
    runs.add_argument("-n", "--limit", type=int, default=10, help="how many runs (default 10)")
    add_verbose_option(runs)
    runs.set_defaults(handler=cmd_runs)
    registry_commands.extend_runs(runs)  # --compare, --diff
    runs.add_argument("--why", nargs="+", metavar=("NODE", "RUN"),
                      help="why NODE ran or was cached in RUN (default: latest): the "
                           "parameter, input, code file or library that changed since the "
                           "execution it could have reused")
    listing = runs.get_default("handler")
    runs.set_defaults(handler=lambda args: cmd_why(args) if args.why else listing(args))

    lin = sub.add_parser("lineage", help="show what produced an artifact")
    lin.add_argument("artifact", help="artifact id or uri, or a pushed model version folder")
    add_pipeline_options(lin, store=True)
    lin.add_argument("--json", action="store_true", help="print the lineage as JSON")
    add_verbose_option(lin)
    lin.set_defaults(handler=cmd_lineage)

    show = sub.add_parser("show", help="write an HTML view of an artifact and print its path")
    show.add_argument("artifact", help="artifact folder (uri) or id")
    show.add_argument("--metadata", help="metadata location, to look artifacts up by id")
    show.add_argument("-o", "--output", help="HTML file to write (default: reports/<type>-<id>.html under "
                           "the project root, or the working directory)")
    show.add_argument("--sort", choices=["name", "missing", "drift", "anomalies"], default="name",
                      help="order of the statistics view's features (the page can re-sort)")
    add_verbose_option(show)
    show.set_defaults(handler=cmd_show)

    rep = sub.add_parser("report", help="write an HTML report of a run and print its path",
                         description="HTML report of run RUN (an id from `tfxkit runs`, or "
                                     "'latest'): the DAG coloured by outcome, timings, outputs.")
    rep.add_argument("run", nargs="?", help="run id, or 'latest'")
    add_pipeline_options(rep, store=True)
    rep.add_argument("--pipeline", help="pipeline name, when run ids repeat across pipelines")
    rep.add_argument("-o", "--output", help="HTML file to write (default: reports/run-<id>.html under the "
                          "project root, or the working directory)")
    add_verbose_option(rep)
    rep.set_defaults(handler=cmd_report)
    registry_commands.extend_report(rep)  # --compare

    models = sub.add_parser("models", help="list pushed model versions and what produced them")
    models.add_argument("destination", metavar="DESTINATION",
                        help="the Pusher's base directory")
    add_pipeline_options(models, store=True)
    add_verbose_option(models)
    models.set_defaults(handler=cmd_models)
    registry_commands.extend_models(models)  # promote, aliases, --at, --history
