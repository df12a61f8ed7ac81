"""The documentation site builds with warnings as errors (`mkdocs build --strict`: broken links
between pages, missing pages in the nav and unresolvable API references fail), and every
relative link in the built site points at a file that exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site_dir)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return site_dir


def test_every_page_is_built_and_in_the_nav(site: Path) -> None:
    pages = {p.relative_to(REPO / "docs").with_suffix("") for p in (REPO / "docs").rglob("*.md")}
    for page in pages:
        folder = site / page.parent if page.name == "index" else site / page
        assert (folder / "index.html").is_file(), page
    nav = (REPO / "mkdocs.yml").read_text()
    for page in pages:
        assert f"{page}.md" in nav, f"docs/{page}.md is not in the mkdocs.yml nav"


def test_links_between_pages_resolve(site: Path) -> None:
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":  # served from any path, so its links are site-absolute
            continue
        for target in re.findall(r'href="([^"]+)"', page.read_text()):
            url = urlparse(target)
            if url.scheme or url.netloc or not url.path or target.startswith("#"):
                continue
            resolved = (page.parent / url.path).resolve()
            if resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.exists():
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    components = (site / "reference" / "components" / "index.html").read_text()
    assert "Train a model with user code" in components  # Trainer's docstring
    reports = (site / "reference" / "reports" / "index.html").read_text()
    assert "InteractiveContext" in reports and "Run components one at a time" in reports


def test_component_pages_cover_inputs_outputs_parameters_and_layout() -> None:
    for page in (REPO / "docs" / "components").glob("*.md"):
        if page.name in ("index.md", "other-example-gens.md"):
            continue
        text = page.read_text()
        for section in ("**Outputs**", "```python", "on disk"):
            assert section in text, (page.name, section)


def test_site_works_offline_with_local_code_highlighting(site: Path) -> None:
    """No page loads a script or style sheet from the network (the default theme's highlight.js
    came from a CDN); code is coloured by Pygments at build time with a local style sheet."""
    remote = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""")
    offenders = [str(p.relative_to(site)) for p in site.rglob("*.html")
                 if remote.search(p.read_text())]
    assert offenders == []
    page = (site / "getting-started" / "index.html").read_text()
    assert '<link href="../css/pygments.css" rel="stylesheet">' in page
    assert re.search(r'<div class="highlight"><pre>.*<span class="k">', page, re.S)
    css = (site / "css" / "pygments.css").read_text()
    assert ".highlight .k " in css and "hljs" not in page
