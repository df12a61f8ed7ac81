"""How worker processes start: forked (fast, inheriting the pipeline) unless this process
loaded libraries that are not safe to fork; spawned workers must find what the pipeline uses
without running the user's script again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline


# Forking a process that runs these libraries' native threads can deadlock the child (a lock
# held by a thread that does not exist there). The CLI's runner process never imports them;
# a notebook or test process that already did gets fresh interpreters instead.
# (grpc is not listed: ml-metadata imports it but opens no channel, so no gRPC threads run.)
FORK_UNSAFE_MODULES = ("tensorflow", "pyarrow", "apache_beam", "tensorflow_transform",
                       "tfx_bsl", "torch", "jax")


def default_start_method() -> str:
    """"fork" (fast; workers inherit the pipeline and user modules) when this process has not
    loaded libraries with native threads, else "spawn"."""
    loaded = any(name in sys.modules for name in FORK_UNSAFE_MODULES)
    return "spawn" if loaded or sys.platform != "linux" else "fork"


def main_module_references(pipeline: Pipeline) -> list[str]:
    """Names of what the pipeline's nodes use from the script being run (`__main__`):
    components, `@component` functions or executors defined in it, which a spawned worker can
    only get by importing that script."""
    import io
    import pickle

    found: set[str] = set()

    class _Finder(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, type | types.FunctionType) and obj.__module__ == "__main__":
                found.add(obj.__qualname__)
            return NotImplemented

    with contextlib.suppress(Exception):  # unpicklable: multiprocessing reports that itself
        _Finder(io.BytesIO()).dump(pipeline)
    for node in pipeline.components:
        if str(getattr(type(node), "EXECUTOR", "")).startswith("__main__."):
            found.add(type(node).EXECUTOR.removeprefix("__main__."))
    return sorted(found)


def _main_file() -> str | None:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path if isinstance(path, str) and os.path.isfile(path) else None


def _has_main_guard(path: str) -> bool:
    """Whether the script at `path` has a top-level `if __name__ == "__main__":` block."""
    import ast

    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: do not refuse
    return any(isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)
               and "__main__" in ast.unparse(node.test) for node in tree.body)


def check_workers_can_start(pipeline: Pipeline, start_method: str) -> list[str]:
    """Before workers are spawned: return what the pipeline uses from `__main__` (see
    `main_module_references`); raise PipelineDefinitionError when that script has no
    `if __name__ == "__main__":` guard, since each worker would then run it (and its
    pipelines) again. Forked workers inherit everything: nothing to check."""
    if start_method == "fork":
        return []
    names = main_module_references(pipeline)
    path = _main_file()
    if not names or path is None or _has_main_guard(path):
        return names
    from tfxkit.errors import PipelineDefinitionError

    loaded = [m for m in FORK_UNSAFE_MODULES if m in sys.modules]
    why = (f"this process loaded {', '.join(loaded)}, which is not safe to fork" if loaded
           else f"start_method={start_method!r}")
    raise PipelineDefinitionError(
        f"Pipeline {pipeline.pipeline_name!r} uses {', '.join(names)}, defined in the script "
        f"you ran ({path}). Worker processes start as fresh interpreters ({why}) and must "
        f"import that script to use them; it has no `if __name__ == \"__main__\":` guard, so "
        f"every worker would run its top-level code (and your pipelines) again. Fix: put the "
        f"code that builds and runs pipelines under `if __name__ == \"__main__\":`, or move "
        f"{names[0]} into a module and import it, or run in this process with "
        f"LocalDagRunner(workers=0).")


@contextlib.contextmanager
def main_not_imported() -> Iterator[None]:
    """Start a spawned worker without importing the script being run.

    multiprocessing's spawn re-runs `__main__`'s file in the child (as `__mp_main__`) unless
    `__main__.__spec__` names the module `__main__` itself; for the duration of `start()` it
    does, so the worker imports only what unpickling the pipeline needs (tfxkit, the modules
    defining its components) and the user's script never runs twice."""
    import importlib.machinery

    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    had, saved = "__spec__" in main.__dict__, main.__dict__.get("__spec__")
    main.__spec__ = importlib.machinery.ModuleSpec("__main__", None)
    try:
        yield
    finally:
        if had:
            main.__spec__ = saved
        else:
            del main.__spec__


__all__ = ["FORK_UNSAFE_MODULES", "check_workers_can_start", "default_start_method",
           "main_module_references", "main_not_imported"]
