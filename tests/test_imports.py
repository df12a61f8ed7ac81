"""Nothing heavy at import: tfxkit, its components and runners load no TensorFlow or Beam."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "tensorflow_data_validation", "tensorflow_transform",
         "tensorflow_model_analysis", "apache_beam", "tfx_bsl", "pyarrow", "ml_metadata")


def loaded_after(code: str) -> list[str]:
    script = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return done.stdout.split()


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
