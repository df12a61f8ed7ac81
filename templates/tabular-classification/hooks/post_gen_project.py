"""Thin clean-up after generation: drop the CI workflow when it was not wanted."""

import shutil
from pathlib import Path

if "{{ cookiecutter.include_ci }}" != "yes":
    shutil.rmtree(Path(".github"), ignore_errors=True)
