"""The `tfxkit` command.

    tfxkit run PIPELINE_FILE [-p key=value ...] [--from N] [--to N] [--only N] [--no-cache]
    tfxkit runs [PIPELINE_FILE | --metadata LOCATION] [-n 10]
    tfxkit lineage ARTIFACT_URI_OR_ID [PIPELINE_FILE | --metadata LOCATION]
    tfxkit show ARTIFACT_URI_OR_ID [--metadata LOCATION] [-o FILE]
    tfxkit report RUN_ID|latest [PIPELINE_FILE | --metadata LOCATION] [-o FILE]

A pipeline file exposes `create_pipeline(**params) -> Pipeline`. Imports of the runner, ML
Metadata and user code happen inside the commands, so `tfxkit --help` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit._version import __version__
from tfxkit.errors import TfxkitError

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


class UsageError(TfxkitError):
    """The command line asks for something impossible; the message says what to type."""


# -- loading pipelines ---------------------------------------------------------------------------
def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn `key=value` strings into a dict; values are JSON when they parse, else text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"-p expects key=value with a Python identifier as key, found "
                             f"{pair!r}. Example: -p train_steps=200")
        try:
            params[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            params[key.strip()] = text
    return params


def module_name_and_root(file: Path) -> tuple[str, Path]:
    """Dotted module name of `file` and the project root it is importable from: the folder
    above its top package (folders with `__init__.py`), or its own folder."""
    parts = [file.stem]
    folder = file.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def import_pipeline_module(path: str) -> Any:
    """Import the pipeline file at `path` as a module, with its project on sys.path.

    If the file sits in a package (folders with `__init__.py`), the folder above the top package
    goes on sys.path and the module is imported by its dotted name, so function components get
    importable executor paths; otherwise its own folder goes on sys.path.
    """
    file = Path(path).absolute()
    if not file.is_file():
        raise UsageError(f"Pipeline file {path!r} does not exist. Pass the path of a Python file "
                         f"that defines create_pipeline(), e.g. pipeline/pipeline.py.")
    name, folder = module_name_and_root(file)
    for entry in (str(Path.cwd()), str(folder)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").absolute() != file:
        # Another file of the same name was loaded earlier in this process (notebooks, tests).
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        importlib.invalidate_caches()
    module = importlib.import_module(name)
    if Path(getattr(module, "__file__", "") or "").absolute() != file:
        raise UsageError(f"Importing {name!r} found {module.__file__}, not {file}: another module "
                         f"of that name shadows the pipeline file. Rename the file.")
    return module


def load_pipeline(path: str, params: dict[str, Any]) -> tuple[Pipeline, dict[str, Any]]:
    """Build the pipeline from `path`'s `create_pipeline(**params)`.

    Returns the pipeline and the params that were not for `create_pipeline` but name runtime
    parameters of the pipeline (to be resolved at run time).
    """
    from tfxkit.dsl.pipeline import Pipeline

    module = import_pipeline_module(path)
    factory = getattr(module, "create_pipeline", None)
    if not callable(factory):
        raise UsageError(f"{path} has no create_pipeline() function. Define "
                         f"`def create_pipeline(**params) -> Pipeline` in it.")
    signature = inspect.signature(factory)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    build_params = {k: v for k, v in params.items() if takes_any or k in signature.parameters}
    pipeline = factory(**build_params)
    if not isinstance(pipeline, Pipeline):
        raise UsageError(f"{path}: create_pipeline() returned {type(pipeline).__name__}, "
                         f"expected a tfxkit Pipeline.")
    rest = {k: v for k, v in params.items() if k not in build_params}
    runtime = pipeline.runtime_parameters()
    unknown = sorted(set(rest) - set(runtime))
    if unknown:
        accepted = [p for p in signature.parameters if p != "kwargs"] + sorted(runtime)
        raise UsageError(f"Unknown parameter(s) {', '.join(unknown)} for {path}: "
                         f"create_pipeline() and the pipeline's runtime parameters accept "
                         f"{', '.join(accepted) or 'none'}.")
    return pipeline, rest


def _open_store(args: argparse.Namespace) -> Any:
    from tfxkit.metadata import connect

    if getattr(args, "metadata", None):
        return connect(args.metadata)
    pipeline_file = getattr(args, "pipeline_file", None)
    if pipeline_file:
        pipeline, _ = load_pipeline(pipeline_file, parse_params(args.param or []))
        return connect(pipeline.metadata)
    raise UsageError("Which pipeline? Pass the pipeline file (e.g. pipeline/pipeline.py) or "
                     "--metadata pipeline_output/metadata.sqlite.")


# -- commands ------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    """`tfxkit run`: run the pipeline locally."""
    from tfxkit.runners import LocalDagRunner

    params = parse_params(args.param or [])
    pipeline, run_params = load_pipeline(args.pipeline_file, params)
    base = ["tfxkit", "run", args.pipeline_file] + [a for p in args.param or [] for a in ("-p", p)]
    resume = shlex.join(base) + " --from {node}"
    runner = LocalDagRunner(workers=args.workers, resume_command=resume,
                            capture_logs=not args.verbose)
    runner.run(pipeline, run_params=run_params, from_node=args.from_node, to_node=args.to_node,
               only_node=args.only_node, enable_cache=False if args.no_cache else None)
    return 0


def _kubeflow_config(args: argparse.Namespace) -> Any:
    from tfxkit.runners.kubeflow import KubeflowDagRunnerConfig

    _, project = module_name_and_root(Path(args.pipeline_file).absolute())
    return KubeflowDagRunnerConfig(image=args.image, pipeline_root=args.pipeline_root,
                                   project_root=str(project))


def cmd_compile(args: argparse.Namespace) -> int:
    """`tfxkit compile`: write the Kubeflow Pipelines YAML of the pipeline."""
    from tfxkit.runners.kubeflow import KubeflowDagRunner

    pipeline, runtime_values = load_pipeline(args.pipeline_file, parse_params(args.param or []))
    if runtime_values:
        raise UsageError(f"{', '.join(sorted(runtime_values))} are runtime parameters: they are "
                         f"set when a run starts. Pass them to `tfxkit deploy ... -p`.")
    output = args.output or f"{pipeline.pipeline_name}.yaml"
    KubeflowDagRunner(_kubeflow_config(args)).run(pipeline, output_file=output)
    print(output)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    """`tfxkit deploy`: compile and submit a run to Kubeflow Pipelines."""
    from tfxkit.runners.kubeflow.deploy import deploy

    pipeline, runtime_values = load_pipeline(args.pipeline_file, parse_params(args.param or []))
    done = deploy(pipeline, args.host, _kubeflow_config(args), experiment=args.experiment,
                  run_name=args.run_name, params=runtime_values, upload=args.upload,
                  namespace=args.namespace)
    if done.pipeline_version_id:
        print(f"registered pipeline version {done.pipeline_version_id}")
    print(f"started run {done.run_id}: {done.url}")
    return 0


def quiet_heavy_imports() -> None:
    """Keep TensorFlow's and Google client libraries' start-up chatter (CUDA probes, Python
    version notices) off the terminal of commands that render artifacts in-process."""
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=FutureWarning)


def cmd_show(args: argparse.Namespace) -> int:
    """`tfxkit show`: write a self-contained HTML view of an artifact (with its lineage graph
    when a metadata store knows it) and print its path."""
    quiet_heavy_imports()
    from tfxkit.metadata.lineage import find_artifact, lineage
    from tfxkit.reports import guess_type, render_html

    type_name, uri = None, args.artifact
    facts, tree = None, None
    store_location = args.metadata or (None if args.artifact.isdigit() else
                                       _find_store_for_uri(args.artifact))
    if store_location:
        from tfxkit.metadata import connect

        store = connect(store_location)
        artifact = find_artifact(store, args.artifact)
        if artifact is not None:
            type_name, uri, facts = artifact.TYPE_NAME, artifact.uri, artifact.to_dict()
            if artifact.id is not None:
                tree = lineage(store, artifact.id)
    if type_name is None:
        if not Path(uri).is_dir():
            raise UsageError(f"{args.artifact!r} is neither an artifact folder nor an artifact id "
                             f"in a metadata store (pass --metadata for ids).")
        type_name = guess_type(uri)
    if type_name is None:
        raise UsageError(f"Cannot tell what kind of artifact {uri} is from its files; pass its "
                         f"id with --metadata LOCATION so the store says its type.")
    page = render_html(type_name, str(uri), facts, tree)
    output = Path(args.output or f"{type_name}-{Path(uri).name}.html").absolute()
    output.write_text(page)
    print(output)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`tfxkit report`: write the HTML report of a run (DAG, outcomes, timings) and print its
    path."""
    from tfxkit.reports import load_run, run_report_page

    report = load_run(_open_store(args), args.run, args.pipeline)
    output = Path(args.output or f"run-{report.run_id}.html").absolute()
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
    history: dict[str, Any] = {}
    if args.metadata or args.pipeline_file:
        history = pushed_model_history(_open_store(args), [v["path"] for v in versions])
    for item in versions:
        when = datetime.datetime.fromtimestamp(item["time"]).strftime("%Y-%m-%d %H:%M:%S")
        print(f"version {item['version']:<4} pushed {when}  {item['path']}")
        facts = history.get(item["path"])
        if facts is None:
            if history or args.metadata or args.pipeline_file:
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


def cmd_templates(args: argparse.Namespace) -> int:
    """`tfxkit templates`: the shipped templates, one line each."""
    from tfxkit.project import DEFAULT_TEMPLATE, list_templates

    for info in list_templates():
        default = " (default)" if info.name == DEFAULT_TEMPLATE else ""
        print(f"{info.name:<26} {info.description}{default}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """`tfxkit new`: generate a project from a template."""
    from tfxkit.project import DEFAULT_TEMPLATE, new_project

    template, answers = args.template, list(args.answers or [])
    if template and "=" in template:  # `tfxkit new key=value` with the default template
        answers.insert(0, template)
        template = None
    values: dict[str, Any] = {}
    for pair in answers:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"Template answers are key=value, found {pair!r}. Example: "
                             f"tfxkit new {DEFAULT_TEMPLATE} project_name='Churn Model'")
        values[key] = value
    project = new_project(template or DEFAULT_TEMPLATE, args.output_dir, values,
                          no_input=args.no_input or bool(values) or not sys.stdin.isatty())
    print(f"Created {project}")
    print(f"Next: cd {project} && tfxkit run pipeline/pipeline.py")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    """`tfxkit update`: merge template changes into this project (or --check)."""
    from tfxkit.project import is_up_to_date, update_project

    if args.check:
        if is_up_to_date(args.project_dir, args.template):
            print("The project is up to date with its template.")
            return 0
        print("The project is behind its template: run `tfxkit update`.", file=sys.stderr)
        return 1
    report = update_project(args.project_dir, args.template)
    if report.up_to_date:
        print("Nothing to do: the project is up to date with its template.")
        return 0
    for name in report.changed_files:
        print(f"  updated  {name}")
    if report.conflicts:
        print("Conflicts (resolve the marked hunks, then commit):", file=sys.stderr)
        for name in report.conflicts:
            print(f"  CONFLICT {name}", file=sys.stderr)
        return 1
    print("Template changes merged; review with `git diff` and commit.")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """`tfxkit runs`: recent runs with each node's outcome and time."""
    import datetime

    from tfxkit.metadata.lineage import list_runs

    store = _open_store(args)
    runs = list_runs(store, args.pipeline, args.limit)
    if not runs:
        print("No runs recorded yet.")
        return 0
    for run in runs:
        when = datetime.datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
        print(f"run {run.run_id}  pipeline {run.pipeline_name}  started {when}")
        for node in run.nodes:
            line = f"  {node.node_id:<24} {node.state:<10} {node.seconds:8.2f} s"
            if node.error:
                line += f"  {node.error.splitlines()[0][:120]}"
            print(line)
    return 0


def _find_store_for_uri(uri: str) -> str | None:
    from tfxkit.dsl.pipeline import DEFAULT_METADATA_FILE

    for folder in Path(uri).absolute().parents:
        candidate = folder / DEFAULT_METADATA_FILE
        if candidate.is_file():
            return str(candidate)
    return None


def cmd_lineage(args: argparse.Namespace) -> int:
    """`tfxkit lineage`: what produced an artifact, from which inputs, parameters and code."""
    from tfxkit.metadata.lineage import find_artifact, lineage

    if not args.metadata and not args.pipeline_file and not args.artifact.isdigit():
        args.metadata = _find_store_for_uri(args.artifact)
    store = _open_store(args)
    artifact = find_artifact(store, args.artifact)
    if artifact is None or artifact.id is None:
        raise UsageError(f"No artifact with id or uri {args.artifact!r} in this store. Use an id "
                         f"or uri that `tfxkit runs` / a run's output shows.")
    tree = lineage(store, artifact.id)
    if args.json:
        print(json.dumps(tree, indent=2, default=str))
    else:
        _print_lineage(tree, 0)
    return 0


def _print_lineage(tree: dict[str, Any], depth: int) -> None:
    pad = "    " * depth
    art = tree["artifact"]
    print(f"{pad}{art['type']} #{art['id']}  {art['uri']}")
    producer = tree["produced_by"]
    if producer is None:
        return
    print(f"{pad}  produced by {producer['node_id']} (execution {producer['execution_id']}, "
          f"run {producer['run_id']}, {producer['state']})")
    if producer["parameters"]:
        params = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(producer["parameters"].items()))
        print(f"{pad}  parameters: {params}")
    for name, digest in sorted(producer["user_code"].items()):
        print(f"{pad}  code {name}: sha256 {digest[:16]}")
    for key, subtrees in sorted(producer["inputs"].items()):
        print(f"{pad}  input {key}:")
        for subtree in subtrees:
            _print_lineage(subtree, depth + 1)


# -- parser --------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the `tfxkit` command."""
    parser = argparse.ArgumentParser(
        prog="tfxkit",
        description="Run, inspect and deploy tfxkit ML pipelines.",
    )
    parser.add_argument("--version", action="version", version=f"tfxkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run a pipeline locally (with caching and lineage)",
                         description="Run PIPELINE_FILE's create_pipeline() locally.")
    run.add_argument("pipeline_file", help="Python file defining create_pipeline(**params)")
    run.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="argument for create_pipeline() or a runtime parameter (repeatable)")
    run.add_argument("--from", dest="from_node", metavar="NODE",
                     help="run NODE and everything downstream of it")
    run.add_argument("--to", dest="to_node", metavar="NODE",
                     help="run NODE and everything upstream of it")
    run.add_argument("--only", dest="only_node", metavar="NODE",
                     help="run only NODE, on the latest upstream outputs")
    run.add_argument("--no-cache", action="store_true", help="run every node even if cached")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="stream executor output instead of writing it to per-node log files")
    run.add_argument("--workers", type=int, default=None,
                     help="nodes that may run at once (default: CPU count; 0 = in-process)")
    run.set_defaults(handler=cmd_run)

    comp = sub.add_parser("compile", help="compile a pipeline for Kubeflow Pipelines (KFP v2 YAML)")
    comp.add_argument("pipeline_file", help="Python file defining create_pipeline(**params)")
    comp.add_argument("--target", choices=["kubeflow"], default="kubeflow",
                      help="what to compile for (kubeflow)")
    comp.add_argument("-o", "--output", help="output YAML file (default: <pipeline>.yaml)")
    _add_kubeflow_options(comp)
    comp.set_defaults(handler=cmd_compile)

    dep = sub.add_parser("deploy", help="compile and start a run on Kubeflow Pipelines")
    dep.add_argument("pipeline_file", help="Python file defining create_pipeline(**params)")
    dep.add_argument("--host", required=True, help="KFP API endpoint URL")
    dep.add_argument("--experiment", help="experiment name")
    dep.add_argument("--run-name", help="name of the run")
    dep.add_argument("--namespace", help="Kubeflow profile namespace (multi-user installs)")
    dep.add_argument("--upload", action="store_true",
                     help="also register the compiled pipeline as a new pipeline version")
    _add_kubeflow_options(dep)
    dep.set_defaults(handler=cmd_deploy)

    show = sub.add_parser("show", help="write an HTML view of an artifact and print its path")
    show.add_argument("artifact", help="artifact folder (uri) or id")
    show.add_argument("--metadata", help="metadata location, to look artifacts up by id")
    show.add_argument("-o", "--output", help="HTML file to write (default: <type>-<id>.html)")
    show.set_defaults(handler=cmd_show)

    rep = sub.add_parser("report", help="write an HTML report of a run and print its path",
                         description="HTML report of run RUN (an id from `tfxkit runs`, or "
                                     "'latest'): the DAG coloured by outcome, timings, outputs.")
    rep.add_argument("run", help="run id, or 'latest'")
    rep.add_argument("pipeline_file", nargs="?", help="pipeline file (to find its metadata)")
    rep.add_argument("--metadata", help="metadata location (SQLite path or URL)")
    rep.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="argument for create_pipeline()")
    rep.add_argument("--pipeline", help="pipeline name, when run ids repeat across pipelines")
    rep.add_argument("-o", "--output", help="HTML file to write (default: run-<id>.html)")
    rep.set_defaults(handler=cmd_report)

    models = sub.add_parser("models", help="list pushed model versions and what produced them")
    models.add_argument("destination", help="the Pusher's base directory")
    models.add_argument("pipeline_file", nargs="?", help="pipeline file (to find its metadata)")
    models.add_argument("--metadata", help="metadata location (SQLite path or URL)")
    models.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                        help="argument for create_pipeline()")
    models.set_defaults(handler=cmd_models)

    tpl = sub.add_parser("templates", help="list the project templates")
    tpl.set_defaults(handler=cmd_templates)

    new = sub.add_parser("new", help="generate a project from a template",
                         description="Generate a project from TEMPLATE (default "
                                     "tabular-classification) with key=value answers.")
    new.add_argument("template", nargs="?", help="template name (see `tfxkit templates`) or path")
    new.add_argument("answers", nargs="*", metavar="KEY=VALUE", help="template answers")
    new.add_argument("-o", "--output-dir", default=".", help="where to create the project")
    new.add_argument("--no-input", action="store_true", help="do not prompt; use defaults")
    new.set_defaults(handler=cmd_new)

    upd = sub.add_parser("update", help="merge template changes into this project")
    upd.add_argument("project_dir", nargs="?", default=".", help="project folder (default .)")
    upd.add_argument("--check", action="store_true",
                     help="only check; exit 1 when the project is behind its template")
    upd.add_argument("--template", help="template repository to update from (default: recorded)")
    upd.set_defaults(handler=cmd_update)

    runs = sub.add_parser("runs", help="list recent runs and node outcomes")
    runs.add_argument("pipeline_file", nargs="?", help="pipeline file (to find its metadata)")
    runs.add_argument("--metadata", help="metadata location (SQLite path or URL)")
    runs.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                      help="argument for create_pipeline()")
    runs.add_argument("--pipeline", help="only runs of this pipeline name")
    runs.add_argument("-n", "--limit", type=int, default=10, help="how many runs (default 10)")
    runs.set_defaults(handler=cmd_runs)

    lin = sub.add_parser("lineage", help="show what produced an artifact")
    lin.add_argument("artifact", help="artifact id or uri")
    lin.add_argument("pipeline_file", nargs="?", help="pipeline file (to find its metadata)")
    lin.add_argument("--metadata", help="metadata location (SQLite path or URL)")
    lin.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                     help="argument for create_pipeline()")
    lin.add_argument("--json", action="store_true", help="print the lineage as JSON")
    lin.set_defaults(handler=cmd_lineage)
    return parser


def _add_kubeflow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                        help="argument for create_pipeline() (deploy: or a runtime parameter)")
    parser.add_argument("--image", default="tfxkit-pipeline:latest",
                        help="container image with tfxkit and the project's code")
    parser.add_argument("--pipeline-root", help="object-store root for artifacts (gs://, s3://, "
                                                "minio://); default: the backend's")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tfxkit` command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except TfxkitError as exc:
        print(f"tfxkit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tfxkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
