"""Screenshots of the statistics view and the run report, taken with headless Chromium from a real
run of the data steps on the penguin data (issue 14, item 5).

The pages come from the commands users type (`tfxkit run`, `tfxkit show`, `tfxkit report`);
Chromium (Debian's `chromium` package) renders them with no network. `scripts/screenshots` runs
this test with TFXKIT_SCREENSHOTS_DIR=docs/images to refresh the pictures in the docs; otherwise
they go to a temporary folder. Skips, saying how to install it, when Chromium is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "templates" / "tabular-classification" / "{{cookiecutter.project_slug}}" / "data"
PIPELINE = '''
from tfxkit import Pipeline
from tfxkit.components import CsvExampleGen, ExampleValidator, SchemaGen, StatisticsGen


def create_pipeline(data_root: str = "data") -> Pipeline:
    example_gen = CsvExampleGen(input_base=data_root)
    statistics_gen = StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = SchemaGen(statistics=statistics_gen.outputs["statistics"])
    validator = ExampleValidator(statistics=statistics_gen.outputs["statistics"],
                                 schema=schema_gen.outputs["schema"])
    return Pipeline(pipeline_name="penguin-data", pipeline_root="pipeline_output",
                    components=[example_gen, statistics_gen, schema_gen, validator])
'''
SHOTS = {"statistics-view.png": (1200, 1500), "run-report.png": (1200, 1100)}


def chromium() -> str | None:
    """The headless-capable Chromium on PATH (Debian: `apt-get install chromium`), or None."""
    return next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)


def screenshot(browser: str, page: Path, png: Path, size: tuple[int, int]) -> None:
    """Render the local HTML file `page` into `png` at `size` (width, height) pixels."""
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions", "--proxy-server=127.0.0.1:9",  # offline
         f"--user-data-dir={png.parent / '.chromium'}", f"--window-size={size[0]},{size[1]}",
         f"--screenshot={png}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]


def _png_size(png: Path) -> tuple[int, int]:
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _tfxkit(cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tfxkit", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.integration
def test_screenshots_of_statistics_view_and_run_report(tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium)")
    project = tmp_path / "project"
    shutil.copytree(DATA, project / "data")
    (project / "pipeline.py").write_text(PIPELINE)
    _tfxkit(project, "run", "pipeline.py")
    [statistics] = (project / "pipeline_output" / "StatisticsGen" / "statistics").iterdir()
    pages = {"statistics-view.png": Path(_tfxkit(project, "show", str(statistics), "-o",
                                                 "statistics.html").strip()),
             "run-report.png": Path(_tfxkit(project, "report", "latest", "pipeline.py", "-o",
                                            "run.html").strip())}
    stats_page = pages["statistics-view.png"].read_text()
    assert "<h2>train vs eval</h2>" in stats_page and "class='hist-bar'" in stats_page
    assert ">island<" not in stats_page or "Categorical features" in stats_page
    for page in pages.values():
        html = page.read_text()
        assert not re.search(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["']https?:""", html)
    target = Path(os.environ.get("TFXKIT_SCREENSHOTS_DIR") or tmp_path / "shots")
    target.mkdir(parents=True, exist_ok=True)
    for name, size in SHOTS.items():
        screenshot(browser, pages[name], target / name, size)
        assert _png_size(target / name) == size
        assert (target / name).stat().st_size > 20_000, "an empty page is a few kB"
    shutil.rmtree(target / ".chromium", ignore_errors=True)
