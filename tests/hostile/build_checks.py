"""Hostile-input cases: Checks when a pipeline is built (issues 12, 19): component parameter types, eval configs, push destinations, names."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
