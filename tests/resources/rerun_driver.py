"""Reruns the fast penguin pipeline in one long-lived process: `python -m
tests.resources.rerun_driver` reads a JSON object of `create_pipeline` arguments per line from
stdin, runs the pipeline with `LocalDagRunner(workers=0)` (TensorFlow stays imported between
runs, so a rerun costs only what is left to compute) and prints the outcomes as a line
`RESULT {json}` (executors print to stdout too)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "penguin" / "pipeline.py"


def main() -> None:
    """Serve rerun requests until stdin closes."""
    from tfxkit.runners import LocalDagRunner
    from tfxkit.runners.local import SilentReporter

    spec = importlib.util.spec_from_file_location("penguin_example_pipeline", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for line in sys.stdin:
        try:
            result = LocalDagRunner(workers=0, hooks=SilentReporter()).run(
                module.create_pipeline(**json.loads(line)))
            answer = {"ok": True, "outcomes": {n: r.outcome for n, r in result.nodes.items()}}
        except Exception as exc:
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.flush()
        print("RESULT " + json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
