"""Hostile-input cases: Metadata stores, secrets and signals (issue 12): passwords masked, read-only commands, lost, deleted or full stores, SIGTERM."""

from __future__ import annotations

from typing import Any

CASES: list[Any] = []
