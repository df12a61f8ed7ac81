"""Which heavy libraries a piece of code loads, seen from a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "tensorflow_data_validation", "tensorflow_transform",
         "tensorflow_model_analysis", "apache_beam", "tfx_bsl", "pyarrow", "ml_metadata")


def loaded_after(code: str) -> list[str]:
    """The HEAVY top-level modules loaded once `code` has run in a new Python process (started
    in the repository); `code` must not print to stdout."""
    script = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return done.stdout.split()
