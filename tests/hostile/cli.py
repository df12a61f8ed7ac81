"""Hostile-input cases: The command line (issue 19): parameter types, argument order, pipeline files that fail to load, failure output."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
