"""Loading a pipeline file: find it, import it, call its `create_pipeline(**params)`.

Used by the `tfxkit` command (`run`, `compile`, `deploy` and the query commands), and by
notebooks and tests that want the pipeline a project defines:

    from tfxkit.project.loading import load_pipeline
    pipeline, run_params = load_pipeline("pipeline/pipeline.py", {"rows": "100"})

Every way a file can fail to load — missing, a directory, not Python, unreadable, binary, a
syntax error, an exception while importing it or while `create_pipeline()` runs, parameter
text of the wrong type — raises `PipelineLoadError` whose message names the file and line and
says how to fix it; the original exception is chained as `__cause__` for `-v`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tfxkit.errors import TfxkitError

if TYPE_CHECKING:
    from tfxkit.dsl.pipeline import Pipeline

PIPELINE_FUNCTION = "create_pipeline"
DEFAULT_PIPELINE_FILE = "pipeline/pipeline.py"
# Written into every generated project (`tfxkit new` records the template's answers there).
PROJECT_MARKER = ".tfxkit/answers.json"


class PipelineLoadError(TfxkitError, ValueError):
    """A pipeline file could not be found, read, imported or built, or a `-p` value does not
    fit the declared type; the message says which file and line, and how to fix it."""


# -- where is the pipeline file ---------------------------------------------------------------
def find_project_root(start: str | Path | None = None) -> Path | None:
    """The nearest folder at or above `start` (default: the working directory) that is a
    tfxkit project: it holds `.tfxkit/answers.json` (every generated project does) or a
    `pyproject.toml` with a `[tool.tfxkit]` table. None outside any project."""
    folder = Path(start or Path.cwd()).absolute()
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_MARKER).is_file() or _tool_config(candidate) is not None:
            return candidate
    return None


def _tool_config(folder: Path) -> dict[str, Any] | None:
    """`[tool.tfxkit]` of `folder/pyproject.toml`, or None (no file, no table, unreadable)."""
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    import tomllib

    try:
        table = tomllib.loads(path.read_text(errors="replace")).get("tool", {}).get("tfxkit")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return table if isinstance(table, dict) else None


def project_pipeline_file(root: Path) -> Path:
    """The pipeline file of the project at `root`: `[tool.tfxkit] pipeline = "..."` in its
    pyproject.toml, else `pipeline/pipeline.py` (what the templates generate)."""
    configured = (_tool_config(root) or {}).get("pipeline")
    return root / (configured if isinstance(configured, str) else DEFAULT_PIPELINE_FILE)


def find_pipeline_file(given: str | None = None) -> str:
    """The pipeline file to load: `given` when set (a project folder stands for its pipeline
    file), else the pipeline file of the project the working directory is in.

    Raises:
        PipelineLoadError: nothing given and no project here, or the project's file is missing.
    """
    if given:
        path = Path(given)
        if path.is_dir():
            root = find_project_root(path)
            if root is not None and root == path.absolute():
                return _shown(project_pipeline_file(root))
        return given
    root = find_project_root()
    if root is None:
        raise PipelineLoadError(
            f"No pipeline file given, and {Path.cwd()} is not inside a tfxkit project (no "
            f"{PROJECT_MARKER} above it). Pass the pipeline file, e.g. "
            f"`tfxkit run {DEFAULT_PIPELINE_FILE}`, or run the command inside a project made by "
            f"`tfxkit new`.")
    file = project_pipeline_file(root)
    if not file.is_file():
        raise PipelineLoadError(
            f"The project at {root} has no pipeline file {file.relative_to(root)}. Pass the "
            f"pipeline file explicitly, or set `[tool.tfxkit] pipeline = \"path/to/file.py\"` in "
            f"{root / 'pyproject.toml'}.")
    return _shown(file)


def _shown(path: Path | str) -> str:
    """`path` relative to the working directory when it is below it, else absolute."""
    absolute = Path(path).absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


# -- importing it -----------------------------------------------------------------------------
def module_name_and_root(file: Path) -> tuple[str, Path]:
    """Dotted module name of `file` and the project root it is importable from: the folder
    above its top package (folders with `__init__.py`), or its own folder."""
    parts = [file.stem]
    folder = file.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts), folder


def check_pipeline_file(path: str) -> Path:
    """The absolute path of `path` after checking it is a readable Python source file.

    Raises:
        PipelineLoadError: missing, a directory, not `.py`, not a regular file (a FIFO,
            a device), unreadable, or binary.
    """
    expected = f"expected a .py file defining {PIPELINE_FUNCTION}()"
    file = Path(path).absolute()
    if not file.exists():
        raise PipelineLoadError(
            f"Pipeline file {path} does not exist ({expected}, e.g. {DEFAULT_PIPELINE_FILE}).")
    if file.is_dir():
        raise PipelineLoadError(f"{path} is a directory, not a pipeline file ({expected}).")
    if file.suffix != ".py":
        raise PipelineLoadError(f"{path} is not a Python file ({expected}).")
    if not file.is_file():  # a FIFO or device: reading it could block forever
        raise PipelineLoadError(f"{path} is not a regular file ({expected}).")
    try:
        head = file.open("rb").read(1 << 16)
    except OSError as exc:
        raise PipelineLoadError(f"Cannot read pipeline file {path}: {exc.strerror or exc}. "
                                f"Check its permissions.") from exc
    if b"\0" in head:
        raise PipelineLoadError(f"{path} is a binary file, not Python source ({expected}).")
    return file


def import_pipeline_module(path: str) -> types.ModuleType:
    """Import the pipeline file at `path` as a module, with its project on sys.path.

    If the file sits in a package (folders with `__init__.py`), the folder above the top package
    goes on sys.path and the module is imported by its dotted name, so function components get
    importable executor paths; otherwise its own folder goes on sys.path.

    Raises:
        PipelineLoadError: the file cannot be read or imported (syntax error with file, line and
            caret; any exception raised at module level with the user's file and line).
    """
    file = check_pipeline_file(path)
    name, folder = module_name_and_root(file)
    for entry in (str(Path.cwd()), str(folder)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    loaded, stale = sys.modules.get(name), name
    top = sys.modules.get(name.split(".")[0])
    if "." in name and top is not None and not hasattr(top, "__path__"):
        # a plain module named like the package (another pipeline.py) hides it
        loaded, stale = top, name.split(".")[0]
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").absolute() != file:
        # Another file of the same name was loaded earlier in this process (notebooks, tests).
        for key in [k for k in sys.modules if k == stale or k.startswith(stale + ".")]:
            del sys.modules[key]
        importlib.invalidate_caches()
    try:
        module = importlib.import_module(name)
    except SyntaxError as exc:
        raise PipelineLoadError(syntax_error_text(exc, path, file)) from exc
    except Exception as exc:
        where = _location(exc, folder, path, file)
        raise PipelineLoadError(f"Importing {path} failed: {_described(exc, where)}") from exc
    if Path(getattr(module, "__file__", "") or "").absolute() != file:
        raise PipelineLoadError(f"Importing {name!r} found {module.__file__}, not {file}: another "
                                f"module of that name shadows the pipeline file. Rename the file.")
    return module


def syntax_error_text(exc: SyntaxError, given: str = "", file: Path | None = None) -> str:
    """`file, line N: message` followed by the offending line and a caret under the error."""
    shown = _user_path(exc.filename or "<unknown>", given, file)
    text = f"{shown}, line {exc.lineno}: {exc.msg}"
    if exc.text:
        line = exc.text.rstrip("\n")
        stripped = line.lstrip()
        text += f"\n    {stripped}"
        if exc.offset:
            column = max(0, exc.offset - 1 - (len(line) - len(stripped)))
            width = 1
            if exc.end_offset and exc.end_lineno in (None, exc.lineno) and exc.end_offset > exc.offset:
                width = exc.end_offset - exc.offset
            text += "\n    " + " " * column + "^" * width
    return text


def _user_path(filename: str, given: str, file: Path | None) -> str:
    """The pipeline file as the user typed it; other files relative to the working folder."""
    if file is not None and Path(filename).absolute() == file:
        return given or _shown(file)
    return _shown(filename) if not filename.startswith("<") else filename


def _location(exc: BaseException, folder: Path | None, given: str, file: Path | None) -> str:
    """` (file, line N, in function)` of the user's frame of `exc` (tfxkit.dsl.user_code
    decides what is user code), or '' when no frame is the user's."""
    from tfxkit.dsl.user_code import user_frame

    found = user_frame(exc, folder)
    if found is None:
        return ""
    filename, line, name = found
    inside = f", in {name}" if name not in ("<module>", PIPELINE_FUNCTION) else ""
    return f" ({_user_path(filename, given, file)}, line {line}{inside})"


def _described(exc: BaseException, where: str) -> str:
    """`Type: message (file, line N)`; a message of several lines (tfxkit's own errors list
    every problem found) stays whole, with the location on the first line."""
    lines = str(exc).strip().splitlines() or ["(no message)"]
    if len(lines) == 1:
        return f"{type(exc).__name__}: {lines[0]}{where}"
    body = "\n".join(f"  {line}" for line in lines)
    return f"{type(exc).__name__}{where}:\n{body}"


def _own_error(exc: BaseException, where: str) -> str:
    """A tfxkit error raised while the pipeline was built (a component's argument check, a
    setting refused): its own message with the location on the first line, without "raised
    <Type>" framing, which would read as a crash in the user's code."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return "\n".join([lines[0] + where, *lines[1:]])


# -- building the pipeline --------------------------------------------------------------------
def parse_param_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`key=value` strings of `-p` as a dict of texts (typed later, by `load_pipeline`).

    Raises:
        PipelineLoadError: a pair without `=` or with a key that is not a Python identifier.
    """
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise PipelineLoadError(f"-p expects key=value with a Python identifier as key, "
                                    f"found {pair!r}. Example: -p train_steps=200")
        params[key.strip()] = text
    return params


def load_pipeline(path: str, params: Mapping[str, Any] | None = None
                  ) -> tuple[Pipeline, dict[str, Any]]:
    """Build the pipeline from `path`'s `create_pipeline(**params)`.

    Text values (from `-p key=value`) take the declared type: the annotation (or default's
    type) of `create_pipeline`'s argument, or the `ptype` of the pipeline's RuntimeParameter of
    that name. A `str` stays the text as given; other types are decoded as JSON (bools also as
    yes/no/1/0). Non-text values are passed as they are.

    Returns:
        The pipeline and the typed values of its runtime parameters set in `params` (to be
        resolved at run time).

    Raises:
        PipelineLoadError: the file cannot be loaded, has no `create_pipeline()`,
            `create_pipeline()` raised or returned something else than a Pipeline, a value does
            not fit its declared type, or a key names neither an argument nor a runtime
            parameter.
    """
    from tfxkit.dsl.pipeline import Pipeline

    params = dict(params or {})
    module = import_pipeline_module(path)
    file = Path(path).absolute()
    name = Path(path).name
    factory = getattr(module, PIPELINE_FUNCTION, None)
    if not callable(factory):
        raise PipelineLoadError(f"{path} has no {PIPELINE_FUNCTION}() function. Define "
                                f"`def {PIPELINE_FUNCTION}(**params) -> Pipeline` in it.")
    signature = _signature(factory)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    build_params: dict[str, Any] = {}
    for key, value in params.items():
        declared = signature.parameters.get(key)
        if declared is not None and declared.kind not in (declared.VAR_POSITIONAL,
                                                          declared.VAR_KEYWORD):
            build_params[key] = _typed(value, _declared_type(declared), key,
                                       f"{PIPELINE_FUNCTION}() in {name}")
        elif takes_any:
            build_params[key] = _typed(value, None, key, f"{PIPELINE_FUNCTION}() in {name}")
    try:
        pipeline = factory(**build_params)
    except Exception as exc:
        where = _location(exc, module_name_and_root(file)[1], name, file)
        if isinstance(exc, TfxkitError):  # a tfxkit check refused what the user wrote: its
            raise PipelineLoadError(_own_error(exc, where)) from exc  # message says it all
        raise PipelineLoadError(f"{PIPELINE_FUNCTION}() in {name} raised "
                                f"{_described(exc, where)}") from exc
    if not isinstance(pipeline, Pipeline):
        raise PipelineLoadError(f"{path}: {PIPELINE_FUNCTION}() returned "
                                f"{type(pipeline).__name__}, expected a tfxkit Pipeline. End it "
                                f"with `return Pipeline(...)`.")
    rest = {k: v for k, v in params.items() if k not in build_params}
    runtime = pipeline.runtime_parameters()
    unknown = sorted(set(rest) - set(runtime))
    if unknown:
        accepted = [p for p, d in signature.parameters.items()
                    if d.kind not in (d.VAR_POSITIONAL, d.VAR_KEYWORD)] + sorted(runtime)
        raise PipelineLoadError(f"Unknown parameter(s) {', '.join(unknown)} for {path}: "
                                f"{PIPELINE_FUNCTION}() and the pipeline's runtime parameters "
                                f"accept {', '.join(accepted) or 'none'}.")
    run_params = {key: _typed(value, runtime[key].ptype, key, f"runtime parameter {key!r}")
                  for key, value in rest.items()}
    for key, value in run_params.items():
        try:
            run_params[key] = runtime[key].coerce(value)
        except (TypeError, ValueError) as exc:
            raise PipelineLoadError(f"-p {key}: {exc}") from exc
    return pipeline, run_params


def _signature(factory: Any) -> inspect.Signature:
    try:
        return inspect.signature(factory, eval_str=True)
    except Exception:  # an annotation that does not evaluate: use the raw strings
        return inspect.signature(factory)


_NAMED_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool}


def _declared_type(parameter: inspect.Parameter) -> Any:
    """The type a `create_pipeline` argument declares: its annotation (unwrapping `X | None`),
    else its default's type; None when it declares nothing."""
    annotation = parameter.annotation
    if isinstance(annotation, str):
        names = [part.strip() for part in annotation.split("|") if part.strip() != "None"]
        annotation = _NAMED_TYPES.get(names[0]) if len(names) == 1 else None
    if annotation is inspect.Parameter.empty or annotation is None:
        default = parameter.default
        return type(default) if isinstance(default, (str, int, float, bool)) else None
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else None
    return annotation


def _typed(value: Any, expected: Any, key: str, owner: str) -> Any:
    """`value` as type `expected` when it is text: str verbatim, others JSON-decoded."""
    if not isinstance(value, str) or (isinstance(expected, type)
                                      and issubclass(expected, (str, os.PathLike))):
        return value  # text, and paths (Path(...) of the text is the caller's business)
    if expected is bool and value.strip().lower() in ("yes", "no", "1", "0", "true", "false"):
        return value.strip().lower() in ("yes", "1", "true")
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        if expected in (int, float, bool):
            raise _mismatch(key, expected, value, owner) from None
        return value  # undeclared or structured type: the text itself
    if expected is float and isinstance(decoded, int) and not isinstance(decoded, bool):
        return float(decoded)
    if expected in (int, float, bool) and (type(decoded) is not expected):
        raise _mismatch(key, expected, value, owner)
    return decoded


def _mismatch(key: str, expected: type, text: str, owner: str) -> PipelineLoadError:
    return PipelineLoadError(f"-p {key}: {owner} expects {expected.__name__}, given {text!r}.")
