"""`RuntimeParameter`: a parameter value chosen when a run starts, not when the pipeline is built.

Locally its value comes from `LocalDagRunner.run(..., run_params=...)` or `tfxkit run -p`; on
Kubeflow it becomes a pipeline parameter.
"""

from __future__ import annotations

import dataclasses
from typing import Any

_PTYPES = (int, float, str, bool)


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
        if not self.name.isidentifier():
            raise ValueError(
                f"RuntimeParameter name must be a Python identifier, found {self.name!r}; "
                f"use letters, digits and underscores, e.g. 'train_steps'."
            )
        if self.ptype not in _PTYPES:
            raise TypeError(
                f"RuntimeParameter {self.name!r}: ptype must be int, float, str or bool, found "
                f"{self.ptype!r}."
            )
        if self.default is not None:
            self.coerce(self.default)

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
