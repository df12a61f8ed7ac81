"""Load user code (a module file path or a dotted path) and call it with errors that point at it.

A module file is imported under a name unique to its content hash, so two versions of
`model.py` in one process never shadow each other, and the module leaves `sys.modules` again
when the `user_function` context ends. Meanwhile cloudpickle pickles its functions by value,
so Beam run with `--pickle_library=cloudpickle` ships them to workers in other processes.
Exceptions from user code become `UserCodeError`s naming the user's file and line (taken from
the traceback, or from TensorFlow's autograph message when the function was traced into a
graph); a syntax error names the file, line, offending line and caret, as Python prints it.
What counts as user code is decided by `tfxkit.dsl.user_code`, shared with the cache and the
local runner's workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import linecache
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tfxkit import fs
from tfxkit.dsl.base_component import import_object
from tfxkit.dsl.user_code import (
    format_syntax_error,
    import_roots,
    local_imports,
    locate_user_code,
    user_frame,
)
from tfxkit.errors import ComponentArgumentError, UserCodeError


def _unique_module_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    stem = re.sub(r"\W", "_", path.stem)
    return f"_tfxkit_user_{stem}_{digest}"


@contextlib.contextmanager
def _module_from_file(path: Path, component: str) -> Iterator[Any]:
    """Import the module file at `path` for the duration of the context."""
    name = _unique_module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ComponentArgumentError(
            f"{component}: module_file {str(path)!r} is not a loadable Python file; expected a "
            f"'.py' file defining the user function."
        )
    module = importlib.util.module_from_spec(spec)
    # Registered while the user code runs: dataclasses and typing look the module up by name,
    # Beam's default pickler (dill) pickles the user's functions by reference to it (fine for
    # workers in this process), and cloudpickle is told to pickle them by value, for workers
    # in other processes. Removed when the context ends. Its folder, the folder holding its
    # top-level package and the project root join sys.path, so sibling and project imports
    # (`from features import LABEL`, `from steps.features import LABEL`) work as when the user
    # runs the file: the same folders the cache key follows (`tfxkit.dsl.user_code`).
    sys.modules[name] = module
    folders = [str(folder) for folder in import_roots(path)]
    added = [folder for folder in folders if folder not in sys.path]
    sys.path[0:0] = added
    by_value = _pickle_by_value(module)
    project: list[Any] = []
    with _fresh_project_modules(path):
        try:
            try:
                spec.loader.exec_module(module)
            except SyntaxError as exc:  # also IndentationError, TabError; in the file or imports
                raise UserCodeError(format_syntax_error(exc, component)) from None
            except Exception as exc:
                raise user_code_error(exc, f"importing module_file {path.name}", path.parent,
                                      component) from exc
            if by_value is not None:  # the project modules it imports travel with it
                project = _project_modules(path)
                for imported in project:
                    by_value.register_pickle_by_value(imported)
            yield module
        finally:
            if by_value is not None:
                by_value.unregister_pickle_by_value(module)
                for imported in project:
                    with contextlib.suppress(ValueError):
                        by_value.unregister_pickle_by_value(imported)
            sys.modules.pop(name, None)
            for folder in added:
                with contextlib.suppress(ValueError):
                    sys.path.remove(folder)


@contextlib.contextmanager
def _fresh_project_modules(path: Path) -> Iterator[None]:
    """Within the context, the project modules that `path` imports are imported afresh from
    their files (an earlier import in this process may hold an older version: the cache key saw
    the new one); afterwards the modules imported meanwhile are dropped and earlier ones
    restored. A module of the same name from elsewhere (another project's `steps` package,
    imported earlier in this process) is set aside the same way, so it cannot shadow them."""
    local = {os.path.abspath(p) for p in local_imports(path)}
    names = _project_module_names(local, [str(root) for root in import_roots(path)])

    def is_local(module: Any) -> bool:
        filename = getattr(module, "__file__", None)
        return isinstance(filename, str) and os.path.abspath(filename) in local

    saved = {key: module for key, module in list(sys.modules.items())
             if key in names or is_local(module)}
    for key in saved:
        del sys.modules[key]
    before = set(sys.modules)
    try:
        yield
    finally:
        for key in set(sys.modules) - before:
            if is_local(sys.modules.get(key)):
                sys.modules.pop(key, None)
        sys.modules.update(saved)


def _project_module_names(files: set[str], roots: list[str]) -> set[str]:
    """Dotted names (and their parent packages) under which `files` import from `roots`:
    `{root}/steps/features.py` gives `steps.features` and `steps`."""
    names: set[str] = set()
    for root in roots:
        for file in files:
            relative = os.path.relpath(file, os.path.abspath(root))
            if relative.startswith(os.pardir) or not relative.endswith(".py"):
                continue
            parts = relative[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return names


def _project_modules(path: Path) -> list[Any]:
    """The loaded modules of the project files that the module file `path` imports (its
    `local_imports`), e.g. `steps.features` for `from steps.features import LABEL`: Beam
    workers cannot import them either, so cloudpickle ships them by value too."""
    local = {os.path.abspath(p) for p in local_imports(path)}
    found = []
    for key, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str) and os.path.abspath(filename) in local \
                and key == getattr(module, "__name__", None):
            found.append(module)
    return found


def _pickle_by_value(module: Any) -> Any:
    """Have cloudpickle (Beam's `--pickle_library=cloudpickle`) ship the functions of
    `module` by value, so Beam workers in other processes, which cannot import the module,
    still run them. Returns the cloudpickle module, or None when it is not installed."""
    try:
        import cloudpickle
    except ImportError:
        return None
    cloudpickle.register_pickle_by_value(module)
    return cloudpickle


@contextlib.contextmanager
def user_function(
    *,
    component: str,
    fn_name: str,
    module_file: str | None = None,
    dotted_path: str | None = None,
) -> Iterator[Callable[..., Any]]:
    """Yield the user function named by `module_file` (+ `fn_name`) or `dotted_path`.

    Args:
        component: component name, for error messages ("Transform").
        fn_name: the function's conventional name ("preprocessing_fn", "run_fn"); looked up in
            `module_file`, and the parameter name of `dotted_path`.
        module_file: path of a Python file defining `fn_name`.
        dotted_path: `package.module.function`, importable from sys.path.

    Raises:
        ComponentArgumentError: neither or both given, file missing, or no such function.
        UserCodeError: importing the module raised; the message names its file and line.
    """
    check_one_source(component, fn_name, module_file, dotted_path)
    if dotted_path:
        try:
            fn = import_object(dotted_path)
        except SyntaxError as exc:
            raise UserCodeError(format_syntax_error(exc, component)) from None
        except ImportError as exc:
            raise ComponentArgumentError(
                f"{component}: {fn_name}={dotted_path!r} could not be imported: {exc}. Expected "
                f"a dotted path 'package.module.{fn_name}' importable from the directory the "
                f"pipeline runs in (sys.path: {sys.path[:3]}...)."
            ) from exc
        yield _check_callable(fn, f"{fn_name}={dotted_path!r}", component)
        return
    assert module_file is not None
    path = locate_user_code(module_file) if fs.is_object_store(module_file) else Path(
        module_file).absolute()  # a module file on a store is read from a local copy
    if not path.is_file():
        raise ComponentArgumentError(
            f"{component}: module_file {module_file!r} does not exist (resolved to {path}). "
            f"Pass the path of a .py file defining {fn_name}(...), relative to where the "
            f"pipeline runs or absolute."
        )
    with _module_from_file(path, component) as module:
        fn = getattr(module, fn_name, None)
        if fn is None:
            defined = sorted(n for n, v in vars(module).items()
                             if inspect.isfunction(v) and not n.startswith("_"))
            raise ComponentArgumentError(
                f"{component}: module_file {str(path)!r} defines no function {fn_name!r} "
                f"(functions found: {', '.join(defined) or 'none'}). Define `def {fn_name}(...)` "
                f"there, or pass {fn_name}='module.function' to name another function."
            )
        yield _check_callable(fn, f"{fn_name} in {path}", component)


def _check_callable(fn: Any, where: str, component: str) -> Callable[..., Any]:
    if not callable(fn):
        raise ComponentArgumentError(
            f"{component}: {where} must be a function, found {type(fn).__name__}."
        )
    return fn


def _user_dir(fn: Callable[..., Any]) -> Path | None:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return Path(code.co_filename).absolute().parent if code is not None else None


def locate_user_frame(exc: BaseException, user_dir: Path | None) -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost frame of `exc` in user code, if any; frames
    under `user_dir` (the folder of the user's module) first. See `tfxkit.dsl.user_code.user_frame`.
    """
    return user_frame(exc, user_dir)


# Where a UserCodeError's full traceback is: chained to the exception (`tfxkit run -v` prints
# it). LocalDagRunner replaces this text with the node's log file when the node logged to one.
TRACEBACK_NOTE = "the full traceback is chained to this error (printed with -v)"


def user_code_error(
    exc: BaseException, what: str, user_dir: Path | None, component: str
) -> UserCodeError:
    """Build a UserCodeError for `exc` raised by user code while doing `what`."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return UserCodeError(format_syntax_error(exc, component))
    location = locate_user_frame(exc, user_dir)
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if location is None:
        where = "(no frame of the user's code in the traceback)"
        source = ""
    else:
        filename, line, name = location
        where = f"at {filename}, line {line}, in {name}"
        text = linecache.getline(filename, line).strip()
        source = f"\n    {text}" if text else ""
    return UserCodeError(
        f"{component}: {what} raised {type(exc).__name__} {where}:{source}\n"
        f"  {type(exc).__name__}: {first_line}\n"
        f"Fix the user code at that line and rerun; {TRACEBACK_NOTE}."
    )


def call_user_function(
    fn: Callable[..., Any], *args: Any, component: str, what: str, **kwargs: Any
) -> Any:
    """Call user `fn(*args, **kwargs)`; re-raise its exceptions as UserCodeError with location."""
    try:
        return fn(*args, **kwargs)
    except UserCodeError:
        raise
    except Exception as exc:
        from tfxkit.recipes.failures import recipe_failure  # failed in tfxkit's recipe code?

        failure = recipe_failure(exc, component, what)
        if failure is not None:
            raise failure from exc
        raise user_code_error(exc, what, _user_dir(fn), component) from exc


@contextlib.contextmanager
def reraise_as_user_error(
    fn: Callable[..., Any], *, component: str, what: str
) -> Iterator[None]:
    """Context in which library code runs user `fn` (e.g. TFT tracing `preprocessing_fn`):
    exceptions whose traceback or message points into the user's code become UserCodeErrors;
    others propagate unchanged."""
    try:
        yield
    except UserCodeError:
        raise
    except Exception as exc:
        from tfxkit.recipes.failures import recipe_failure  # failed in tfxkit's recipe code?

        failure = recipe_failure(exc, component, what)
        if failure is not None:
            raise failure from exc
        user_dir = _user_dir(fn)
        location = locate_user_frame(exc, user_dir)
        if user_dir is not None and location and location[0].startswith(f"{user_dir}{os.sep}"):
            raise user_code_error(exc, what, user_dir, component) from exc
        raise


def check_one_source(component: str, fn_name: str, module_file: object, dotted_path: object) -> None:
    """At construction: exactly one of `module_file=` and `<fn_name>=` must be given."""
    if bool(module_file) == bool(dotted_path):
        found = "both" if module_file else "neither"
        raise ComponentArgumentError(
            f"{component}: expected exactly one of module_file= (a .py path defining "
            f"{fn_name}) or {fn_name}= (a dotted path like 'steps.model.{fn_name}'), found "
            f"{found}. Pass one of them."
        )


__all__ = [
    "TRACEBACK_NOTE",
    "call_user_function",
    "check_one_source",
    "locate_user_frame",
    "reraise_as_user_error",
    "user_code_error",
    "user_function",
]
