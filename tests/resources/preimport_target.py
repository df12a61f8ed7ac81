"""A module a worker pre-imports in tests/runners/test_preimport.py: each import appends
`<pid> <time>` to the file named by TFXKIT_TEST_PREIMPORT_LOG."""

from __future__ import annotations

import os
import time

IMPORTED_AT = time.time()
if os.environ.get("TFXKIT_TEST_PREIMPORT_LOG"):
    with open(os.environ["TFXKIT_TEST_PREIMPORT_LOG"], "a") as _log:
        _log.write(f"{os.getpid()} {IMPORTED_AT:.6f}\n")
