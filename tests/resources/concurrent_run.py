"""One of several runs started at once on one store: `python -m tests.resources.concurrent_run
KIND ROOT METADATA START_FILE [SERVING]` waits for START_FILE, runs pipeline KIND ("tiny": the
diamond of tiny_pipelines; "push": a model pushed by the standard Pusher) and prints the run's
outcomes as JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.resources.tiny_pipelines import create_pipeline
from tfxkit import Output, Parameter, Pipeline, component
from tfxkit.types.standard_artifacts import Model


@component
def write_model(model: Output[Model], tag: Parameter[str]) -> None:
    """A 'model': a few files naming the run that wrote it."""
    for index in range(5):
        serving = Path(model.uri) / "Format-Serving"
        serving.mkdir(exist_ok=True)
        (serving / f"part-{index}.txt").write_text(f"{tag}\n" * 20000)


def push_pipeline(root: str, metadata: str, serving: str, tag: str) -> Pipeline:
    """write_model -> Pusher (no blessing: always pushes)."""
    from tfxkit.components import Pusher

    model = write_model(tag=tag)
    pusher = Pusher(model=model.outputs["model"], push_destination=serving)
    return Pipeline("pushes", root, [model, pusher], metadata=metadata, enable_cache=False)


def main() -> None:
    """Wait for the start signal, run, print outcomes."""
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    kind, root, metadata, start = sys.argv[1:5]
    if kind == "tiny":
        pipeline = create_pipeline(root, sleep=0.2)
        pipeline.metadata = metadata
    else:
        pipeline = push_pipeline(root, metadata, sys.argv[5], tag=f"{root}:{time.time()}")
    while not Path(start).exists():
        time.sleep(0.01)
    result = LocalDagRunner(workers=2, hooks=SilentReporter()).run(pipeline)
    outputs = {node: {key: [a.uri for a in group] for key, group in r.outputs.items()}
               for node, r in result.nodes.items()}
    pushed = result.outputs("Pusher", "pushed_model") if kind == "push" else []
    print(json.dumps({"outcomes": {n: r.outcome for n, r in result.nodes.items()},
                      "outputs": outputs, "run_id": result.run_id,
                      "pushed": [a.get_custom_property("pushed_destination") for a in pushed]}))


if __name__ == "__main__":
    main()
