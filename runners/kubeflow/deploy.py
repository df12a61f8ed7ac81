"""Submitting a compiled pipeline to a Kubeflow Pipelines endpoint with `kfp.Client`.

Credentials come from the environment, never from the compiled file: `kfp.Client`'s own
discovery (in-cluster service account, `KF_PIPELINES_SA_TOKEN_PATH`, kube config), or a bearer
token in `TFXKIT_KFP_TOKEN`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfxkit.dsl.pipeline import Pipeline
from tfxkit.errors import TfxkitError
from tfxkit.runners.kubeflow.compiler import KubeflowDagRunner, KubeflowDagRunnerConfig
from tfxkit.runners.kubeflow.parameters import PipelineParameter

TOKEN_ENV = "TFXKIT_KFP_TOKEN"


class DeployError(TfxkitError):
    """Submitting to Kubeflow failed; the message names the endpoint and the cause."""


@dataclasses.dataclass
class Deployment:
    """What `deploy` did: the run id and its URL, and the uploaded pipeline version if any."""

    run_id: str
    url: str
    pipeline_version_id: str | None = None


def deploy(pipeline: Pipeline, host: str, config: KubeflowDagRunnerConfig | None = None,
           experiment: str | None = None, run_name: str | None = None,
           params: dict[str, Any] | None = None, upload: bool = False,
           namespace: str | None = None,
           parameters: Sequence[PipelineParameter] = (),
           schedule: str | None = None) -> Deployment:
    """Compile `pipeline` and start a run of it at `host` (optionally registering it first).

    Args:
        pipeline: the pipeline.
        host: the KFP API endpoint, e.g. https://kubeflow.example.com/pipeline.
        config: compile settings (image, pipeline root).
        experiment: experiment name (created if missing; default: the backend's default).
        run_name: name of the run (default: pipeline name and time).
        params: values for the pipeline's runtime parameters.
        upload: also register the compiled file as a version of the pipeline named like it.
        namespace: Kubeflow profile namespace for multi-user installs.
        parameters: the pipeline's settings as pipeline parameters (see
            `parameters.trace`); `params` may set them too.
        schedule: a cron expression ("0 6 * * *", or KFP's 6 fields with seconds first):
            create a recurring run (in `experiment`, default "Default") instead of one run.

    Raises:
        DeployError: a bad schedule, or the endpoint refused or could not be reached.
    """
    cron = check_schedule(schedule) if schedule is not None else None
    import kfp

    runner = KubeflowDagRunner(config)
    token = os.environ.get(TOKEN_ENV) or None
    with tempfile.TemporaryDirectory() as tmp:
        package = str(Path(tmp) / f"{pipeline.pipeline_name}.yaml")
        runner.run(pipeline, output_file=package, parameters=parameters)
        try:
            client = kfp.Client(host=host, existing_token=token, namespace=namespace or "kubeflow")
            version_id = None
            if upload:
                version_id = _upload(client, package, pipeline.pipeline_name)
            if cron is not None:
                found = client.create_experiment(name=experiment or "Default",
                                                 namespace=namespace)
                job = client.create_recurring_run(
                    experiment_id=found.experiment_id,
                    job_name=run_name or f"{pipeline.pipeline_name} ({schedule})",
                    cron_expression=cron, params=params or {}, pipeline_package_path=package)
                job_id = str(job.recurring_run_id)
                return Deployment(run_id=job_id, pipeline_version_id=version_id,
                                  url=f"{host.rstrip('/')}/#/recurringrun/details/{job_id}")
            run = client.create_run_from_pipeline_package(
                package, arguments=params or {}, run_name=run_name,
                experiment_name=experiment, namespace=namespace)
        except Exception as exc:
            raise DeployError(
                f"Submitting {pipeline.pipeline_name!r} to {host} failed: "
                f"{type(exc).__name__}: {exc}. Check the host URL and credentials "
                f"({TOKEN_ENV} or the cluster's service account).") from exc
    run_id = str(run.run_id)
    return Deployment(run_id=run_id, url=f"{host.rstrip('/')}/#/runs/details/{run_id}",
                      pipeline_version_id=version_id)


_CRON_FIELD = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?"
                         r"(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*$")


def check_schedule(schedule: str) -> str:
    """KFP's cron form of `schedule`: 5 standard fields (minute hour day month weekday) get a
    leading seconds field "0"; 6 fields are taken as KFP's own. Raises DeployError otherwise."""
    fields = schedule.split() if isinstance(schedule, str) else []
    if len(fields) not in (5, 6) or not all(_CRON_FIELD.match(f) for f in fields):
        raise DeployError(
            f"--schedule: expected a cron expression of 5 fields (minute hour day-of-month "
            f"month day-of-week, e.g. '0 6 * * *' for 06:00 daily) or KFP's 6 (seconds first), "
            f"found {schedule!r}.")
    return " ".join(["0", *fields] if len(fields) == 5 else fields)


def _upload(client: Any, package: str, name: str) -> str:
    import datetime

    version = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    pipeline_id = client.get_pipeline_id(name)
    if pipeline_id is None:
        created = client.upload_pipeline(package, pipeline_name=name)
        pipeline_id = created.pipeline_id
    uploaded = client.upload_pipeline_version(package, pipeline_version_name=f"{name}-{version}",
                                              pipeline_id=pipeline_id)
    return str(uploaded.pipeline_version_id)
