"""A component declaring `PREIMPORTS` (tests/runners/test_preimport.py): its executor records
whether `tests.resources.preimport_target` was already imported in its worker when it started."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tfxkit.dsl.base_component import BaseComponent
from tfxkit.dsl.base_executor import BaseExecutor
from tfxkit.dsl.component_spec import ChannelParameter, ComponentSpec
from tfxkit.types.standard_artifacts import Examples, Model

TARGET = "tests.resources.preimport_target"


class ProbeSpec(ComponentSpec):
    """Spec of Probe."""

    INPUTS = {"examples": ChannelParameter(type=Examples)}
    OUTPUTS = {"model": ChannelParameter(type=Model)}


class ProbeExecutor(BaseExecutor):
    """Writes {pid, started, preimported_at} to `{model.uri}/probe.json`."""

    def Do(self, input_dict: dict[str, Any], output_dict: dict[str, Any],
           exec_properties: dict[str, Any]) -> None:
        module = sys.modules.get(TARGET)
        facts = {"pid": os.getpid(), "started": time.time(),
                 "preimported_at": getattr(module, "IMPORTED_AT", None)}
        (Path(output_dict["model"][0].uri) / "probe.json").write_text(json.dumps(facts))


class Probe(BaseComponent):
    """A 'heavy' node: the runner may import TARGET for it in an idle worker beforehand."""

    SPEC_CLASS = ProbeSpec
    EXECUTOR = "tests.resources.preimport_probe.ProbeExecutor"
    PREIMPORTS = (TARGET,)

    def __init__(self, examples: Any) -> None:
        super().__init__(examples=examples)
