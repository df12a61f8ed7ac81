"""Every notebook in notebooks/ executes top to bottom with a real Jupyter kernel (nbclient), in
a temporary copy of the folder so the bundled data and module are all it needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.integration
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(
        "*_output", ".ipynb_checkpoints", "__pycache__"))
    notebook = nbformat.read(work / name, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors
    html = [output["data"]["text/html"] for cell in notebook.cells
            for output in cell.get("outputs", []) if "text/html" in output.get("data", {})]
    assert any("tfxkit-report" in h for h in html), "the notebook shows tfxkit views"
