"""The README's commands and quickstart stay true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_opens_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block and text.index("```bash") < 200
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["scripts/demo", "scripts/test"]
    for command in commands:
        assert (REPO / command).stat().st_mode & 0o111, f"{command} must be executable"


def test_quickstart_example_matches_the_readme_and_runs(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    example = (REPO / "examples" / "quickstart" / "pipeline.py").read_text()
    assert snippet in example
    done = subprocess.run([sys.executable, "-m", "tfxkit", "run",
                           str(REPO / "examples" / "quickstart" / "pipeline.py"), "-p", "rows=4"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [model] = (tmp_path / "pipeline_output" / "train" / "model").iterdir()
    assert (model / "mean.txt").read_text() == "1.5"
