"""Hostile-input cases: CSV and data inputs read or typed wrongly (issue 11): delimiters, whitespace, mixed types, empty splits, wide tables, dates, labels."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
