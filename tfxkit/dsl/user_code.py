"""Where user code lives: locate it, hash it with the project modules it imports, find its frames.

One module serves the cache (`tfxkit.metadata.cache`), the executors
(`tfxkit.components._shared.user_code`) and the local runner's workers, so they agree on what
"the user's code" is:

- *Locating*: a module file path, or a dotted path (`steps.model.run_fn`) looked up on
  `sys.path` without importing it (`locate_user_code`).
- *Hashing*: the module file plus every module it imports from the project, found statically
  with `ast` and followed transitively: a module counts when its file is under the module's
  folder, the folder holding its top-level package, or the project root (the nearest folder
  with `pyproject.toml`, `setup.py`, `setup.cfg`, `.git` or `.tfxkit`) and is not an installed
  library or tfxkit itself (`local_imports`, `user_code_hash`). Imports computed at run time
  (`importlib.import_module(name)`, `__import__`) cannot be seen; `dynamic_imports` names them.
- *Frames*: a traceback frame is user code unless it is Python's standard library, an installed
  package, generated code, or tfxkit itself (`tfxkit/`, including `tfxkit/recipes`, and
  tfxkit's `components/` and `runners/` folders, by their real location: a user folder that
  happens to be called `components/` is user code) (`is_user_file`, `user_frame`).

Pure Python (ast, hashlib, importlib.metadata): nothing here imports the user's code or
TensorFlow.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import sysconfig
import traceback
from pathlib import Path

from tfxkit import fs
from tfxkit.errors import ComponentArgumentError

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git", ".tfxkit")
# Installed libraries whose version is part of the cache key of every node: their executors'
# results depend on them (an upgrade can change a transform graph or a metric).
LIBRARY_DISTRIBUTIONS = ("tensorflow", "tensorflow-transform", "tensorflow-model-analysis",
                         "tensorflow-data-validation", "tfx-bsl")
_AUTOGRAPH_LOCATION = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
_GENERATED = ("__autograph_generated", "<frozen", "<string>", "<stdin>")
_DYNAMIC_IMPORTERS = ("import_module", "__import__")


# -- locating -------------------------------------------------------------------------------
def locate_user_code(value: str, search_path: list[str] | None = None) -> Path:
    """File holding user code named by `value`: a module file path, or a dotted path such as
    `steps.model.run_fn` looked up on `search_path` (default sys.path) without importing it.

    A module file on an object store (`gs://`, `s3://`: not baked into the image) is read
    through `fetch_user_code`.

    Raises:
        ComponentArgumentError: the file does not exist, or no module on the path matches.
    """
    if fs.is_object_store(value):
        return fetch_user_code(value)
    path = Path(value)
    if path.suffix == ".py" or os.sep in value or "/" in value:
        if path.is_file():
            return path.absolute()
        raise ComponentArgumentError(
            f"User code file {value!r} does not exist (looked in {Path.cwd()}). Pass an "
            f"existing module file path, relative to where the pipeline runs, or a dotted path."
        )
    parts = value.split(".")
    for base in search_path if search_path is not None else sys.path:
        found = _module_file(Path(base or "."), parts)
        if found is not None:
            return found.absolute()
    raise ComponentArgumentError(
        f"User code {value!r} was not found: no module for it on sys.path. Expected a dotted "
        f"path like 'steps.model.run_fn' importable from the project root, or a .py file path."
    )


def fetch_user_code(uri: str) -> Path:
    """A local copy of the module file at object-store `uri` (its launcher mount path inside a
    KFP container), fetched afresh on every call into a folder named by the URI, so the module
    keeps one path. Raises ComponentArgumentError when there is no such object."""
    import tempfile

    mounted = fs.local_path(uri)
    if mounted is not None and Path(mounted).is_file():
        return Path(mounted)
    if mounted is not None or not fs.is_file(uri):
        raise ComponentArgumentError(
            f"User code file {uri!r} does not exist on the store. Upload the module file "
            f"there, or pass a module file baked into the image (a path in the project).")
    folder = Path(tempfile.gettempdir()) / "tfxkit-user-code" / hashlib.sha256(
        uri.encode()).hexdigest()[:16]
    target = folder / uri.rstrip("/").rsplit("/", 1)[-1]
    fs.copy_file(uri, str(target))
    return target


def _module_file(root: Path, parts: list[str]) -> Path | None:
    """The file of the longest prefix of `parts` that is a module or package under `root`."""
    for end in range(len(parts), 0, -1):
        stem = root.joinpath(*parts[:end])
        for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def project_root(path: Path) -> Path | None:
    """The nearest folder at or above `path`'s folder holding a project marker
    (`pyproject.toml`, `setup.py`, `setup.cfg`, `.git`, `.tfxkit`), or None."""
    folder = path.absolute().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return None


def import_roots(path: Path) -> list[Path]:
    """Folders that absolute imports of the module file `path` are resolved against: its own
    folder (tfxkit puts it on sys.path), the folder holding its top-level package, and the
    project root."""
    path = path.absolute()
    package_parent = path.parent
    while (package_parent / "__init__.py").is_file() and package_parent.parent != package_parent:
        package_parent = package_parent.parent
    roots = [path.parent, package_parent]
    root = project_root(path)
    if root is not None:
        roots.append(root)
    return list(dict.fromkeys(roots))


# -- what counts as user code ---------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _excluded_prefixes() -> tuple[str, ...]:
    """Folder prefixes that are never user code: tfxkit's own folders, Python's standard library
    and installed packages (each as given and resolved)."""
    folders: list[str] = [str(Path(__file__).resolve().parents[1])]  # the tfxkit package
    for name in ("tfxkit.components", "tfxkit.runners"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        folders += list(spec.submodule_search_locations or [])
        if spec.origin:  # a strict editable install links files, not folders: the real folder
            folders.append(str(Path(spec.origin).resolve().parent))
    paths = sysconfig.get_paths()
    folders += [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    prefixes = set()
    for folder in folders:
        for form in (os.path.abspath(folder), os.path.realpath(folder)):
            prefixes.add(form.rstrip(os.sep) + os.sep)
    return tuple(sorted(prefixes))


def is_user_file(filename: str) -> bool:
    """Whether the source file `filename` (a traceback frame's) is the user's code rather than
    tfxkit (including `tfxkit/recipes`), Python's standard library, an installed library or
    generated code (autograph, `<frozen ...>`)."""
    if not filename or filename.startswith("<") or any(g in filename for g in _GENERATED):
        return False
    if f"{os.sep}site-packages{os.sep}" in filename or f"{os.sep}dist-packages{os.sep}" in filename:
        return False
    forms = {os.path.abspath(filename), os.path.realpath(filename)}
    return not any(form.startswith(prefix) for form in forms for prefix in _excluded_prefixes())


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from (`__cause__`, else `__context__`)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def user_frame(exc: BaseException, prefer: Path | None = None) -> tuple[str, int, str] | None:
    """(file, line, function) where user code failed in `exc`, or None.

    The innermost traceback frame under `prefer` (the folder of the user's module) wins; then a
    location in the message that TensorFlow's autograph writes for graph-traced functions
    (`File "...", line N, in f`); then the innermost frame of any user file (`is_user_file`).
    Exceptions that `exc` was raised from are searched too, newest first.
    """
    prefix = f"{prefer}{os.sep}" if prefer is not None else None
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, SyntaxError) and error.filename and is_user_file(error.filename):
            return error.filename, error.lineno or 0, "<module>"
    if prefix:
        for error in chain:
            for frame in reversed(traceback.extract_tb(error.__traceback__)):
                if frame.filename.startswith(prefix) and is_user_file(frame.filename):
                    return frame.filename, frame.lineno or 0, frame.name
    for error in chain:
        for filename, line, name in reversed(_AUTOGRAPH_LOCATION.findall(str(error))):
            if (prefix and filename.startswith(prefix)) or (not prefix and is_user_file(filename)):
                return filename, int(line), name
    for error in chain:
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if is_user_file(frame.filename):
                return frame.filename, frame.lineno or 0, frame.name
    return None


def format_syntax_error(exc: SyntaxError, component: str) -> str:
    """`<component>: <file>, line N: <message>`, the offending line with a caret under the
    error, the file's full path, and the fix: what Python prints, without tfxkit's frames."""
    filename = exc.filename or "<unknown file>"
    head = f"{component}: {Path(filename).name}, line {exc.lineno}: {exc.msg}"
    text = (exc.text or "").rstrip("\n")
    lines = [head]
    if text.strip():
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        column = max((exc.offset or 1) - 1 - indent, 0)
        end = getattr(exc, "end_offset", None)
        same_line = getattr(exc, "end_lineno", exc.lineno) == exc.lineno
        width = (end - (exc.offset or 1)) if end and same_line and end > (exc.offset or 1) else 1
        lines += [f"    {stripped}", "    " + " " * column + "^" * max(width, 1)]
    lines.append(f"  ({type(exc).__name__} in {filename})")
    lines.append("Fix the syntax there and rerun.")
    return "\n".join(lines)


# -- hashing --------------------------------------------------------------------------------
def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return None


def _imported_modules(tree: ast.Module, path: Path) -> list[tuple[Path | None, list[str]]]:
    """What `tree` (the source of `path`) imports, as (base folder or None for absolute,
    dotted parts), each `from a import b` also as the candidate submodule `a.b`."""
    found: list[tuple[Path | None, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(None, alias.name.split(".")) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base: Path | None = None
            if node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
            parts = node.module.split(".") if node.module else []
            if parts:
                found.append((base, parts))
            found += [(base, [*parts, alias.name]) for alias in node.names if alias.name != "*"]
    return found


def _resolve(parts: list[str], roots: list[Path]) -> list[Path]:
    """Files Python would run to import `parts` from the first root that has it: the module
    (or package `__init__.py`) and the `__init__.py` of each enclosing package."""
    for root in roots:
        target = root.joinpath(*parts)
        module = next((c for c in (target.with_suffix(".py"), target / "__init__.py")
                       if c.is_file()), None)
        if module is None:
            continue
        files = [module]
        for end in range(1, len(parts)):
            init = root.joinpath(*parts[:end]) / "__init__.py"
            if init.is_file():
                files.append(init)
        return files
    return []


def local_imports(path: Path | str) -> list[Path]:
    """Project modules that the module file `path` imports, directly or through each other,
    found statically (see the module docstring for what counts); sorted, without `path`."""
    start = Path(path).absolute()
    roots = import_roots(start)
    allowed = tuple(f"{root}{os.sep}" for root in roots)
    seen = {start}
    queue = [start]
    while queue:
        current = queue.pop()
        tree = _parse(current)
        if tree is None:
            continue
        for base, parts in _imported_modules(tree, current):
            candidates = _resolve(parts, [base] if base is not None else roots)
            for candidate in candidates:
                resolved = candidate.absolute()
                if resolved in seen or not str(resolved).startswith(allowed) \
                        or not is_user_file(str(resolved)):
                    continue
                seen.add(resolved)
                queue.append(resolved)
    return sorted(seen - {start})


def dynamic_imports(path: Path | str) -> list[str]:
    """Lines (`file:line`) of the module file `path` and its local imports that import a module
    by a computed name (`importlib.import_module(x)`, `__import__(x)`): not in the cache key."""
    found = []
    for file in [Path(path).absolute(), *local_imports(path)]:
        tree = _parse(file)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else (
                    node.func.id if isinstance(node.func, ast.Name) else "")
                literal = node.args and isinstance(node.args[0], ast.Constant)
                if name in _DYNAMIC_IMPORTERS and not literal:
                    found.append(f"{file}:{node.lineno}")
    return found


def user_code_files(value: str, search_path: list[str] | None = None) -> list[Path]:
    """The file holding the user code named by `value` (see `locate_user_code`) followed by
    the project modules it imports (see `local_imports`)."""
    main = locate_user_code(value, search_path)
    return [main, *local_imports(main)]


def user_code_file_hashes(value: str, search_path: list[str] | None = None) -> dict[str, str]:
    """SHA-256 of each file of the user code named by `value` (`user_code_files`), by its path
    relative to the module file's folder, the module file first (what `tfxkit run --dry-run`
    names when code changed)."""
    files = user_code_files(value, search_path)
    return {os.path.relpath(file, files[0].parent): hashlib.sha256(file.read_bytes()).hexdigest()
            for file in files}


def combine_file_hashes(file_hashes: dict[str, str]) -> str:
    """The user-code hash of `user_code_file_hashes`' result (see `user_code_hash`)."""
    digest = hashlib.sha256()
    for relative, file_digest in file_hashes.items():
        digest.update(relative.encode() + b"\0")
        digest.update(bytes.fromhex(file_digest))
    return digest.hexdigest()


def user_code_hash(value: str, search_path: list[str] | None = None) -> str:
    """SHA-256 over the user code named by `value`: its file and every project module it
    imports, each as (path relative to the file's folder, content)."""
    return combine_file_hashes(user_code_file_hashes(value, search_path))


@functools.lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    """Installed versions of the libraries executors run on (TensorFlow, TFT, TFMA, TFDV,
    tfx-bsl), read from package metadata without importing them; "" when not installed."""
    versions = {}
    for name in LIBRARY_DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


__all__ = [
    "combine_file_hashes",
    "dynamic_imports",
    "format_syntax_error",
    "import_roots",
    "is_user_file",
    "library_versions",
    "local_imports",
    "locate_user_code",
    "project_root",
    "user_code_file_hashes",
    "user_code_files",
    "user_code_hash",
    "user_frame",
]
