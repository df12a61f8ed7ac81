"""Hostile-input cases: User-given paths (issue 12): symlinks and patterns leaving their root, compile-time data paths; node settings the local runner cannot apply."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
