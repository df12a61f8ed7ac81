"""Package layout: components/ and runners/ sit at the repository root (DESIGN.md) and install
as tfxkit.components and tfxkit.runners; templates/ ships as package data of tfxkit.templates.
Everything else is declared in pyproject.toml."""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOTS = {"tfxkit": "tfxkit", "tfxkit.components": "components", "tfxkit.runners": "runners"}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in ROOTS.items():
        package_dir[name] = folder
        packages.append(name)
        for sub in find_packages(folder):
            packages.append(f"{name}.{sub}")
    return packages, package_dir


def _template_files() -> list[str]:
    root = Path("templates")
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
            and "__pycache__" not in p.parts]


class _BuildExt(build_ext):
    """setuptools' build_ext, whose outputs leave out an optional extension that did not build
    (no C compiler): setuptools lists it all the same, and a strict editable install then
    fails copying the missing file instead of going on without it."""

    def get_output_mapping(self) -> dict[str, str]:
        return {built: inplace for built, inplace in super().get_output_mapping().items()
                if os.path.exists(inplace)}


packages, package_dir = _packages()
packages.append("tfxkit.templates")
package_dir["tfxkit.templates"] = "templates"

setup(
    packages=packages,
    package_dir=package_dir,
    # py.typed (PEP 561): type checkers read tfxkit's own annotations, in tfxkit.components
    # and tfxkit.runners too (they are inside the tfxkit package once installed).
    package_data={"tfxkit": ["py.typed"], "tfxkit.templates": _template_files()},
    include_package_data=False,
    # `pip install -e .` builds a link tree (build/__editable__.*) named by a plain .pth path
    # instead of setuptools' default import hook, which type checkers cannot follow: mypy in a
    # project using an editable tfxkit would say "Cannot find implementation or library stub".
    # Edits to existing files show at once; after adding or removing a module, install again.
    options={"editable_wheel": {"mode": "strict"}},
    # StatisticsGen's native reading path (components/_shared/native.c, loaded by ctypes from
    # native.py): plain C, no Python API. Optional: without a C compiler the install goes on
    # and StatisticsGen reads with TensorFlow's parser instead, with the same statistics.
    cmdclass={"build_ext": _BuildExt},
    ext_modules=[Extension("tfxkit.components._shared._native",
                           sources=["components/_shared/native.c"],
                           extra_compile_args=["-O2", "-std=c99"], optional=True)],
)
