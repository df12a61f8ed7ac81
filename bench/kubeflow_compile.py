"""Benchmark: compiling the 8-component penguin pipeline for Kubeflow, from a fresh process.

Prints the wall time of the whole command (`tfxkit compile`, median of 5) and of the compile
call alone, and whether TensorFlow was imported. Reference: TFX 1.16's KubeflowV2DagRunner
takes 7.2 s (it imports TensorFlow) for this pipeline.

    .venv/bin/python bench/kubeflow_compile.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "examples" / "penguin" / "pipeline.py"
INNER = f"""
import sys, time
sys.argv = ["x"]
started = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("p", {str(PIPELINE)!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
from tfxkit.runners import KubeflowDagRunner, KubeflowDagRunnerConfig
pipeline = module.create_pipeline(serving_model_dir="gs://bucket/serving")
built = time.perf_counter()
KubeflowDagRunner(KubeflowDagRunnerConfig(project_root={str(PIPELINE.parent)!r})).run(
    pipeline, output_file=sys.argv[0] + ".yaml")
done = time.perf_counter()
print(built - started, done - built, "tensorflow" in sys.modules)
"""


def main() -> None:
    whole, compile_only, import_define = [], [], []
    heavy = False
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tfxkit", "compile", str(PIPELINE), "-o",
                            str(Path(tmp) / "p.yaml"), "-p", "serving_model_dir=gs://b/s"],
                           check=True, capture_output=True)
            whole.append(time.perf_counter() - started)
            out = subprocess.run([sys.executable, "-c", INNER], check=True, capture_output=True,
                                 text=True, cwd=tmp).stdout.split()
            import_define.append(float(out[0]))
            compile_only.append(float(out[1]))
            heavy = heavy or out[2] == "True"
    print("penguin pipeline (8 components) -> KFP v2 YAML, median of 5")
    print(f"  `tfxkit compile` from process start: {statistics.median(whole):.2f} s "
          f"(TFX 1.16 KubeflowV2DagRunner: 7.2 s)")
    print(f"  import tfxkit + define pipeline:     {statistics.median(import_define):.3f} s")
    print(f"  compile call (incl. kfp protos):     {statistics.median(compile_only):.3f} s")
    print(f"  tensorflow imported: {heavy}")


if __name__ == "__main__":
    main()
