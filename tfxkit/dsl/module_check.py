"""Static checks of user code (a module file or a dotted path) when a component is built.

Transform's `preprocessing_fn` and the Trainer's `run_fn` live in user files that import
TensorFlow, so they cannot be imported while a pipeline is defined. They are read instead:
the file exists and is a `.py` file, it compiles (a syntax error names the user's file, line and
column, never tfxkit's), it defines the required function at module level, and the function's
parameters accept the call the executor makes (checked with `inspect.Signature.bind` on a
signature rebuilt from the syntax tree). Nothing is executed and nothing is imported.
Runtime loading (`components/_shared/user_code.py`) can call `check_module_source` too.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import os
import re
import sys
from pathlib import Path

from tfxkit.dsl.user_code import format_syntax_error, locate_user_code
from tfxkit.errors import ComponentArgumentError

_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
_GIVEN = object()  # stands for a default value in rebuilt signatures


@dataclasses.dataclass(frozen=True)
class UserFunctionContract:
    """How an executor calls a user function.

    Attributes:
        name: the conventional name looked up in a module file ("preprocessing_fn").
        positional: how many positional arguments the call passes.
        optional_keywords: keyword arguments passed only when the function names them
            (Transform passes `custom_config=` when `preprocessing_fn` takes it, as TFX does).
        example: the definition to suggest, e.g. "def preprocessing_fn(inputs):".
    """

    name: str
    positional: int = 1
    optional_keywords: tuple[str, ...] = ()
    example: str = ""


PREPROCESSING_FN = UserFunctionContract(
    "preprocessing_fn", 1, ("custom_config",),
    "def preprocessing_fn(inputs):  # or (inputs, custom_config)")
RUN_FN = UserFunctionContract("run_fn", 1, (), "def run_fn(fn_args):")


def _signature(node: ast.FunctionDef) -> inspect.Signature:
    """The signature `node` defines (defaults stand in as a placeholder)."""
    arguments = node.args
    positional = [*arguments.posonlyargs, *arguments.args]
    first_default = len(positional) - len(arguments.defaults)
    params = []
    for index, arg in enumerate(positional):
        kind = (inspect.Parameter.POSITIONAL_ONLY if index < len(arguments.posonlyargs)
                else inspect.Parameter.POSITIONAL_OR_KEYWORD)
        default = _GIVEN if index >= first_default else inspect.Parameter.empty
        params.append(inspect.Parameter(arg.arg, kind, default=default))
    if arguments.vararg:
        params.append(inspect.Parameter(arguments.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    for arg, default_node in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        default = inspect.Parameter.empty if default_node is None else _GIVEN
        params.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY,
                                        default=default))
    if arguments.kwarg:
        params.append(inspect.Parameter(arguments.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return inspect.Signature(params)


def _top_level(statements: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, including those inside if / try / with blocks."""
    found: list[ast.stmt] = []
    for statement in statements:
        found.append(statement)
        for field in ("body", "orelse", "finalbody"):
            if isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
                found.extend(_top_level(getattr(statement, field, []) or []))
        if isinstance(statement, ast.Try):
            for handler in statement.handlers:
                found.extend(_top_level(handler.body))
    return found


def check_module_source(source: str | bytes, filename: str, contract: UserFunctionContract,
                        component: str) -> None:
    """Compile `source` (the text of `filename`) and check it defines `contract.name` with a
    signature that accepts the executor's call. Raises ComponentArgumentError naming the
    user's file and line; executes nothing."""
    try:
        tree = ast.parse(source, filename)
        compile(tree, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        if exc.lineno is None:  # e.g. NUL bytes: no line to show
            raise ComponentArgumentError(
                f"{component}: {filename} cannot be compiled: {exc.msg}. Expected Python "
                f"source text; nothing has run.") from None
        exc.filename = exc.filename if exc.filename not in (None, "<unknown>") else filename
        raise ComponentArgumentError(
            format_syntax_error(exc, component) + " (Checked when the pipeline was built; "
            "nothing has run.)") from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise ComponentArgumentError(
            f"{component}: {filename} cannot be compiled: {exc}. Expected Python "
            f"source text; nothing has run.") from None
    definition: ast.stmt | None = None
    other_binding = False
    functions = []
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append(statement.name)
            if statement.name == contract.name:
                definition, other_binding = statement, False
        elif isinstance(statement, ast.ClassDef) and statement.name == contract.name:
            definition, other_binding = None, True
        elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if any(isinstance(t, ast.Name) and t.id == contract.name for t in targets):
                definition, other_binding = None, True
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            for alias in statement.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound == contract.name or alias.name == "*":
                    definition, other_binding = None, True
    if other_binding:
        return  # defined by assignment or import: its signature is known only at run time
    if definition is None:
        public = sorted({f for f in functions if not f.startswith("_")})
        raise ComponentArgumentError(
            f"{component}: {filename} defines no function {contract.name!r} at module "
            f"level (functions found: {', '.join(public) or 'none'}). Define `{contract.example}` "
            f"there, or pass {contract.name}='module.function' to name another function."
        )
    where = f"{filename}:{definition.lineno}"
    if isinstance(definition, ast.AsyncFunctionDef):
        raise ComponentArgumentError(
            f"{component}: {contract.name} at {where} is `async def`; the executor calls it as a "
            f"plain function. Define `{contract.example}`.")
    assert isinstance(definition, ast.FunctionDef)
    signature = _signature(definition)
    keywords: dict[str, object] = {k: {} for k in contract.optional_keywords if k in signature.parameters}
    try:
        signature.bind(*([None] * contract.positional), **keywords)
    except TypeError as exc:
        shown = str(signature).replace(repr(_GIVEN), "...")
        raise ComponentArgumentError(
            f"{component}: {contract.name} at {where} is defined as {contract.name}{shown}, "
            f"which cannot be called with {contract.positional} argument"
            f"{'s' if contract.positional != 1 else ''} as the executor does ({exc}). Define "
            f"`{contract.example}`; nothing has run.") from None


def locate_module(dotted_module: str) -> Path | None:
    """The source file of module `dotted_module` on sys.path, found by looking at the filesystem
    only (no package `__init__` runs; `tfxkit.dsl.user_code.locate_user_code`), or None when it
    is not a plain source file there."""
    try:
        found = locate_user_code(dotted_module)
    except ComponentArgumentError:
        return None
    last = dotted_module.split(".")[-1]
    if found.stem == last or (found.name == "__init__.py" and found.parent.name == last):
        return found
    return None


def check_user_code(component: str, contract: UserFunctionContract, *,
                    module_file: object = None, dotted_path: object = None) -> None:
    """At construction: the user code named by `module_file` (a .py path) or `dotted_path`
    (`package.module.function`) exists, compiles and defines `contract.name` (or the named
    function) with a fitting signature. Object-store module files are left to the executor.
    Raises ComponentArgumentError; imports and executes nothing."""
    if isinstance(module_file, str) and module_file:
        if "://" in module_file:
            return
        path = Path(module_file).expanduser().absolute()
        if not path.exists():
            raise ComponentArgumentError(
                f"{component}: module_file {module_file!r} does not exist (resolved against "
                f"the working directory {os.getcwd()} to {path}). Pass the path of a .py file "
                f"defining {contract.name}; nothing has run.")
        if not path.is_file() or path.suffix != ".py":
            raise ComponentArgumentError(
                f"{component}: module_file {str(path)!r} is "
                f"{'a folder' if path.is_dir() else 'not a .py file'}; expected a Python source "
                f"file (.py) defining `{contract.example}`.")
        check_module_source(path.read_bytes(), str(path), contract, component)
        return
    if isinstance(dotted_path, str) and dotted_path:
        if not _DOTTED.fullmatch(dotted_path):
            raise ComponentArgumentError(
                f"{component}: {contract.name}={dotted_path!r} is not a dotted path; expected "
                f"'package.module.function', e.g. 'steps.model.{contract.name}'.")
        module, _, function = dotted_path.rpartition(".")
        top = module.split(".")[0]
        if importlib.util.find_spec(top) is None:
            raise ComponentArgumentError(
                f"{component}: {contract.name}={dotted_path!r}: no package or module {top!r} is "
                f"importable from here (sys.path starts {sys.path[:3]}). Run from the project "
                f"folder that contains {top}/, or install it; nothing has run.")
        source = locate_module(module)
        if source is None:
            return  # importable some other way (zip, extension): checked when it runs
        renamed = dataclasses.replace(contract, name=function,
                                      example=contract.example.replace(contract.name, function))
        check_module_source(source.read_bytes(), str(source), renamed, component)


__all__ = [
    "PREPROCESSING_FN",
    "RUN_FN",
    "UserFunctionContract",
    "check_module_source",
    "check_user_code",
    "locate_module",
]
