"""Hostile and bad input across the CLI, the DSL, the components and the templates: every case
gets a clear error (what was expected or found, where, how to fix) and leaves no trace in the
store: no LIVE artifact and no COMPLETE execution from the failed attempt; names from users never
escape their directory; template generation needs no network.

The table itself lives in tests/hostile/, one module per kind of fault; this file is the one
place that lists those modules and runs every case.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import basics, build_checks, cli, data, paths, store, templates, user_code
from tests.hostile.harness import REPO, store_trace
from tfxkit.errors import TfxkitError

CASES: list[Any] = [case for kind in (basics, data, templates, store, paths, cli, build_checks, user_code)
                    for case in kind.CASES]


@pytest.mark.integration
@pytest.mark.parametrize(("case", "make", "pattern"), CASES,
                         ids=[str(c.values[0]) if hasattr(c, "marks") else c[0] for c in CASES])
def test_bad_input_gets_a_clear_error_and_leaves_no_trace(
        case: str, make: Callable[[Path], Callable[[], None]], pattern: str, tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    with pytest.raises((TfxkitError, SystemExit, ValueError, TypeError)) as caught:
        make(root)()
    printed = capfd.readouterr()
    message = f"{caught.value}\n{printed.out}\n{printed.err}"
    assert re.search(pattern, message), f"{case}: unclear error: {message[-2000:]}"
    assert store_trace(root) == (0, 0), f"{case}: the failed attempt left records"
    outside = [p for p in tmp_path.parent.iterdir() if p.name == "escape"]
    assert not outside and not (tmp_path / "escape").exists(), f"{case}: a name escaped"
    projects = root / "projects"
    assert not projects.exists() or not any(projects.iterdir()), "a bad template left files"


def test_template_generation_needs_no_network(tmp_path: Path) -> None:
    blocker = tmp_path / "no_network"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(textwrap.dedent('''
        import socket
        def _refuse(*args, **kwargs):
            raise OSError("network access attempted during template generation")
        socket.socket.connect = _refuse
        socket.socket.connect_ex = _refuse
        socket.create_connection = _refuse
        socket.getaddrinfo = _refuse
    '''))
    script = textwrap.dedent(f'''
        import socket
        try:
            socket.create_connection(("127.0.0.1", 9))
            raise SystemExit("the socket blocker is not active")
        except OSError as exc:
            assert "network access attempted" in str(exc), exc
        from tfxkit.project import new_project
        print(new_project("tabular-classification", {str(tmp_path / "out")!r},
                          answers={{"project_name": "Offline Check"}}, init_git=True))
    ''')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    project = Path(done.stdout.strip().splitlines()[-1])
    assert (project / "pipeline" / "pipeline.py").exists() or any(project.rglob("pipeline.py"))
