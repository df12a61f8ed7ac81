"""Nothing heavy at import: tfxkit, its components and runners load no TensorFlow or Beam."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.resources.heavy_imports import REPO, loaded_after


def test_import_tfxkit_and_its_namespaces_loads_nothing_heavy() -> None:
    assert loaded_after("import tfxkit, tfxkit.components, tfxkit.runners, tfxkit.cli.main") == []


def test_defining_a_pipeline_loads_nothing_heavy() -> None:
    code = ("from tests.resources.tiny_pipelines import create_pipeline\n"
            "create_pipeline('/tmp/unused')")
    assert loaded_after(code) == []


def test_no_top_level_components_runners_or_templates_package_is_installed() -> None:
    code = ("import importlib.util, os\n"
            "os.chdir('/')\n"
            "sys.path = [p for p in sys.path if p not in ('', '.', " + repr(str(REPO)) + ")]\n"
            "for name in ('components', 'runners', 'templates'):\n"
            "    assert importlib.util.find_spec(name) is None, name\n")
    assert loaded_after(code) == []


CSV_PIPELINE_RUN = """
import sys
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen
from tfxkit.runners import LocalDagRunner
from tfxkit.runners.local import SilentReporter
pipeline = Pipeline(pipeline_name='tiny_csv', pipeline_root=sys.argv[1],
                    components=[CsvExampleGen(input_base=sys.argv[2])])
outcome = LocalDagRunner(workers=1, hooks=SilentReporter()).run(pipeline).outcome('CsvExampleGen')
assert outcome == sys.argv[3], outcome
"""


def test_fully_cached_local_run_with_a_csv_example_gen_loads_nothing_heavy(
        tmp_path: Path) -> None:
    """The runner fingerprints ExampleGen's local input (tfxkit.fs, standard library only):
    a cached run reads the ML Metadata store and nothing heavier, not even pyarrow."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n" + "".join(f"{i},x{i}\n" for i in range(30)))
    root = str(tmp_path / "root")
    subprocess.run([sys.executable, "-c", CSV_PIPELINE_RUN, root, str(data), "ran"],
                   capture_output=True, text=True, check=True, cwd=REPO, timeout=300)
    code = (f"sys.argv = ['run', {root!r}, {str(data)!r}, 'cached']\n"
            f"exec({CSV_PIPELINE_RUN!r})")
    assert [m for m in loaded_after(code) if m != "ml_metadata"] == []
