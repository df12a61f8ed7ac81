"""`RuntimeParameter`: a parameter value chosen when a run starts, not when the pipeline is built.

Locally its value comes from `LocalDagRunner.run(..., run_params=...)` or `tfxkit run -p`; on
Kubeflow it becomes a pipeline parameter.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfxkit.dsl.names import check_identifier
from tfxkit.errors import PipelineDefinitionError

_PTYPES = (int, float, str, bool)
_EXAMPLES: dict[type, Any] = {int: 10, float: 0.5, str: "text", bool: True}


@dataclasses.dataclass(frozen=True)
class RuntimeParameter:
    """A named parameter resolved at run time.

    Args:
        name: the parameter's name (a Python identifier; also the Kubeflow parameter name).
        ptype: int, float, str or bool.
        default: value used when the run does not set one; None makes the parameter required.
        description: shown in compiled specs and errors.
    """

    name: str
    ptype: type = str
    default: Any = None
    description: str = ""

    def __post_init__(self) -> None:
        check_identifier(self.name, "RuntimeParameter name")
        if self.ptype not in _PTYPES:
            raise TypeError(
                f"RuntimeParameter {self.name!r}: ptype must be int, float, str or bool, found "
                f"{self.ptype!r}."
            )
        if self.default is not None:
            default = self.default
            ok = isinstance(default, self.ptype) and not (
                self.ptype is not bool and isinstance(default, bool))
            if self.ptype is float and isinstance(default, int) and not isinstance(default, bool):
                default, ok = float(default), True
            if not ok:
                raise PipelineDefinitionError(
                    f"RuntimeParameter {self.name!r} is declared {self.ptype.__name__} but its "
                    f"default is {type(default).__name__} {default!r}. Fix: give a "
                    f"{self.ptype.__name__} default (e.g. RuntimeParameter({self.name!r}, "
                    f"{self.ptype.__name__}, {_EXAMPLES[self.ptype]!r})) or change ptype."
                )
            object.__setattr__(self, "default", default)

    def coerce(self, value: Any) -> Any:
        """Convert `value` (e.g. the text of `-p name=value`) to `ptype`, or raise ValueError."""
        if isinstance(value, self.ptype) and not (self.ptype is not bool and isinstance(value, bool)):
            return value
        if isinstance(value, str):
            text = value.strip()
            if self.ptype is bool and text.lower() in ("true", "1", "yes", "false", "0", "no"):
                return text.lower() in ("true", "1", "yes")
            try:
                if self.ptype in (int, float):
                    return self.ptype(text)
            except ValueError:
                pass
        if self.ptype is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise ValueError(
            f"Runtime parameter {self.name!r} expects {self.ptype.__name__}, found "
            f"{type(value).__name__} {value!r}."
        )

    def resolve(self, run_params: dict[str, Any]) -> Any:
        """Value for this run: `run_params[name]` coerced, else the default, else an error."""
        if self.name in run_params:
            return self.coerce(run_params[self.name])
        if self.default is None:
            raise ValueError(
                f"Runtime parameter {self.name!r} has no default and the run did not set it; "
                f"pass -p {self.name}=<{self.ptype.__name__}> (or run_params={{{self.name!r}: ...}})."
            )
        return self.default
