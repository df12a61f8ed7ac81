"""`tfxkit run`, `compile` and `deploy`: run a pipeline locally, or compile / submit it to
Kubeflow Pipelines."""

from __future__ import annotations

import argparse
import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tfxkit.cli.common import (
    UsageError,
    add_pipeline_options,
    add_verbose_option,
    load_from_args,
    quiet_heavy_imports,
)


class RunFailedError(Exception):
    """A node failed and the run's reporter has already shown it: the command exits 1 without
    printing the failure a second time."""


def cmd_run(args: argparse.Namespace) -> int:
    """`tfxkit run`: run the pipeline locally."""
    from tfxkit.errors import DataError

    verbose = bool(getattr(args, "verbose", False))
    try:
        pipeline, run_params = load_from_args(args)
        if getattr(args, "metadata", None):  # e.g. beside an s3:// or gs:// pipeline_root
            pipeline.metadata = args.metadata
        return _run(args, pipeline, run_params, verbose)
    except DataError as exc:  # e.g. a missing input_base: name the -p option it came from
        named = name_path_parameters(str(exc), args.param or [])
        if named == str(exc):
            raise
        raise DataError(named) from exc


def _run(args: argparse.Namespace, pipeline: Any, run_params: dict[str, Any],
         verbose: bool) -> int:
    from tfxkit.errors import ExecutionError

    if getattr(args, "dry_run", False):
        return _dry_run(args, pipeline, run_params)
    if getattr(args, "format", "text") != "text":
        raise UsageError("--format goes with --dry-run (e.g. `tfxkit run --dry-run --format "
                         "json`); a run itself reports on the terminal.")
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import ConsoleReporter

    resume = resume_command(args)
    report = shlex.join(["tfxkit", "report", "latest", args.pipeline_file, *(
        ["--metadata", args.metadata] if getattr(args, "metadata", None) else [])])
    reporter = ConsoleReporter(verbose=verbose, report_command=report)
    runner = LocalDagRunner(workers=args.workers, hooks=reporter, resume_command=resume,
                            capture_logs=not verbose)
    try:
        runner.run(pipeline, run_params=run_params, from_node=args.from_node,
                   to_node=args.to_node, only_node=args.only_node,
                   enable_cache=False if args.no_cache else None)
    except ExecutionError as exc:
        if reporter.failures:
            raise RunFailedError() from exc
        raise
    return 0


def _dry_run(args: argparse.Namespace, pipeline: Any, run_params: dict[str, Any]) -> int:
    """`tfxkit run --dry-run`: per node, "would run" or "cached" and why; touches nothing."""
    from tfxkit.runners.local.plan import plan_json, plan_run

    plan = plan_run(pipeline, run_params=run_params, from_node=args.from_node,
                    to_node=args.to_node, only_node=args.only_node,
                    enable_cache=False if args.no_cache else None)
    print(plan_json(plan) if args.format == "json" else plan.text())
    return 0


_QUOTED = re.compile(r"'([^'\n]+)'")


def name_path_parameters(message: str, pairs: list[str]) -> str:
    """`message` with `(-p KEY)` after the first quoted path that came from `-p KEY=VALUE` (the
    value itself, or an absolute path the pipeline made of it, e.g. `<project>/VALUE`); a
    "Pass input_base=" fix then names the option the user set instead ("Pass -p KEY=")."""
    for item in pairs:
        key, _, value = item.partition("=")
        tail = os.path.normpath(value).lstrip(os.sep) if value else ""
        if not tail or tail == ".":
            continue
        for match in _QUOTED.finditer(message):
            path = match[1]
            if path == value or (os.path.isabs(path) and os.path.normpath(path).endswith(
                    os.sep + tail)):
                message = f"{message[:match.end()]} (-p {key}){message[match.end():]}"
                message = message.replace("Pass input_base=", f"Pass -p {key}=", 1)
                break
    return message


def resume_command(args: argparse.Namespace) -> Callable[[str], str]:
    """The function giving the `tfxkit run` command that resumes this run at a node: the user's
    file and `-p` options, shell-quoted (pasteable, whatever braces or quotes they hold), with
    the same selection: `--only NODE` after `--only`, else `--from NODE` (and `--to` kept)."""
    base = ["tfxkit", "run", args.pipeline_file]
    base += [a for p in args.param or [] for a in ("-p", p)]
    if getattr(args, "metadata", None):
        base += ["--metadata", args.metadata]
    if getattr(args, "workers", None) is not None:
        base += ["--workers", str(args.workers)]

    def command(node: str) -> str:
        if args.only_node:
            return shlex.join([*base, "--only", node])
        until = ["--to", args.to_node] if args.to_node else []
        return shlex.join([*base, "--from", node, *until])

    return command


def _kubeflow_config(args: argparse.Namespace) -> Any:
    from tfxkit.project.loading import module_name_and_root
    from tfxkit.runners.kubeflow import KubeflowDagRunnerConfig

    _, project = module_name_and_root(Path(args.pipeline_file).absolute())
    return KubeflowDagRunnerConfig(image=args.image, pipeline_root=args.pipeline_root,
                                   project_root=str(project))


def cmd_compile(args: argparse.Namespace) -> int:
    """`tfxkit compile`: write the Kubeflow Pipelines YAML of the pipeline."""
    from tfxkit.runners.kubeflow import CompileError, KubeflowDagRunner

    pipeline, runtime_values = load_from_args(args)
    if runtime_values:
        raise UsageError(f"{', '.join(sorted(runtime_values))} are runtime parameters: they are "
                         f"set when a run starts. Pass them to `tfxkit deploy ... -p`.")
    output = args.output or f"{pipeline.pipeline_name}.yaml"
    try:
        runner = KubeflowDagRunner(_kubeflow_config(args))
        # the settings of create_pipeline() become pipeline parameters, changeable per run
        parameters, _ = traced_parameters(args.pipeline_file, args.param or [], runner.portable)
        runner.run(pipeline, output_file=output, parameters=parameters)
    except CompileError as exc:  # name the -p option a refused local path came from
        raise CompileError(name_path_parameters(str(exc), args.param or [])) from None
    print(output)
    return 0


def traced_parameters(path: str, pairs: list[str], portable: Any) -> tuple[list[Any],
                                                                           dict[str, str]]:
    """`tfxkit.runners.kubeflow.parameters.trace` for the pipeline file at `path` compiled with
    `-p key=value` `pairs`, typed as `tfxkit run` types them (the argument's annotation or
    default, or the PipelineConfig field's default)."""
    from tfxkit.project import loading
    from tfxkit.runners.kubeflow.parameters import settings, trace

    module = loading.import_pipeline_module(path)
    factory = getattr(module, loading.PIPELINE_FUNCTION)
    declared = loading._signature(factory).parameters
    defaults = settings(factory, module)
    given: dict[str, Any] = {}
    for key, text in loading.parse_param_pairs(pairs).items():
        if key in declared and declared[key].kind is not declared[key].VAR_KEYWORD:
            expected = loading._declared_type(declared[key])
        else:
            expected = type(defaults[key]) if key in defaults else None
        given[key] = loading._typed(text, expected, key, f"{loading.PIPELINE_FUNCTION}()")
    runtime = set(factory(**given).runtime_parameters())
    return trace(factory, module, {k: v for k, v in given.items() if k not in runtime}, portable)


def cmd_deploy(args: argparse.Namespace) -> int:
    """`tfxkit deploy`: compile and submit a run to Kubeflow Pipelines."""
    quiet_heavy_imports()  # the KFP client's version notices
    from tfxkit.runners.kubeflow import KubeflowDagRunner
    from tfxkit.runners.kubeflow.deploy import deploy

    pipeline, runtime_values = load_from_args(args)
    config = _kubeflow_config(args)
    parameters, _ = traced_parameters(args.pipeline_file, args.param or [],
                                      KubeflowDagRunner(config).portable)
    done = deploy(pipeline, args.host, config, experiment=args.experiment,
                  run_name=args.run_name, params=runtime_values, upload=args.upload,
                  namespace=args.namespace, parameters=parameters, schedule=args.schedule)
    if done.pipeline_version_id:
        print(f"registered pipeline version {done.pipeline_version_id}")
    if args.schedule:
        print(f"created recurring run {done.run_id} ({args.schedule}): {done.url}")
    else:
        print(f"started run {done.run_id}: {done.url}")
    return 0


def add_commands(sub: Any) -> None:
    """Add `run`, `compile` and `deploy` to the `tfxkit` subcommands."""
    run = sub.add_parser("run", help="run a pipeline locally (with caching and lineage)",
                         description="Run PIPELINE_FILE's create_pipeline() locally.")
    add_pipeline_options(run, store=True)  # --metadata: where ML Metadata lives
    run.add_argument("--from", dest="from_node", metavar="NODE",
                     help="run NODE and everything downstream of it")
    run.add_argument("--to", dest="to_node", metavar="NODE",
                     help="run NODE and everything upstream of it")
    run.add_argument("--only", dest="only_node", metavar="NODE",
                     help="run only NODE, on the latest upstream outputs")
    run.add_argument("--no-cache", action="store_true", help="run every node even if cached")
    run.add_argument("--dry-run", action="store_true",
                     help="print, per node, whether it would run or is cached and why (which "
                          "parameter, input, code file or library changed); runs and writes "
                          "nothing")
    run.add_argument("--format", choices=("text", "json"), default="text",
                     help="output of --dry-run: text (default) or json (for scripts)")
    add_verbose_option(run)
    run.add_argument("--workers", type=int, default=None,
                     help="nodes that may run at once (default: CPU count; 0 = in-process)")
    run.set_defaults(handler=cmd_run)

    comp = sub.add_parser("compile", help="compile a pipeline for Kubeflow Pipelines (KFP v2 YAML)")
    add_pipeline_options(comp)
    comp.add_argument("--target", choices=["kubeflow"], default="kubeflow",
                      help="what to compile for (kubeflow)")
    comp.add_argument("-o", "--output", help="output YAML file (default: <pipeline>.yaml)")
    _add_kubeflow_options(comp)
    comp.set_defaults(handler=cmd_compile)

    dep = sub.add_parser("deploy", help="compile and start a run on Kubeflow Pipelines")
    add_pipeline_options(dep)
    dep.add_argument("--host", required=True, help="KFP API endpoint URL")
    dep.add_argument("--experiment", help="experiment name")
    dep.add_argument("--run-name", help="name of the run")
    dep.add_argument("--namespace", help="Kubeflow profile namespace (multi-user installs)")
    dep.add_argument("--upload", action="store_true",
                     help="also register the compiled pipeline as a new pipeline version")
    dep.add_argument("--schedule", metavar="CRON",
                     help="create a recurring run on this cron schedule (e.g. '0 6 * * *') "
                          "instead of one run")
    _add_kubeflow_options(dep)
    dep.set_defaults(handler=cmd_deploy)


def _add_kubeflow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", default=None,
                        help="container image with tfxkit and the project's code (default: "
                             "the project's recorded kubeflow_image in .tfxkit/answers.json)")
    parser.add_argument("--pipeline-root", help="object-store root for artifacts (gs://, s3://, "
                                                "minio://); default: the backend's")
    add_verbose_option(parser)
