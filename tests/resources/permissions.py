"""Permission checks that also hold for root: root bypasses file permissions through the
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH capabilities, so a test that needs "permission denied"
runs its check in a child process whose capability bounding set lacks both (util-linux
`setpriv`). The child stays uid 0, so it still reaches the interpreter under /root."""

from __future__ import annotations

import os
import shutil

import pytest


def permission_checked(argv: list[str]) -> list[str]:
    """ARGV, prefixed so that file permissions apply to it even when the tests run as root.

    Raises pytest's skip only when running as root without `setpriv` (never on the CI image,
    which is Debian with util-linux)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux setpriv: permissions cannot apply")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *argv]
