"""Hostile-input cases: Template answers and project updates (issues 12, 19): answers are data never code, quotes and newlines, update conflicts."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
