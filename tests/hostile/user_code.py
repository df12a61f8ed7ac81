"""Hostile-input cases: User code and its cache (issue 19): syntax errors and wrong return types point at user code, helper modules in the cache key, baselines."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
