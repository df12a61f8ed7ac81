"""`Channel`: a typed edge of the pipeline graph: the artifacts one component output produces."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from tfxkit.types.artifact import Artifact

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent


class Channel:
    """Artifacts of type `type` produced by output `output_key` of `producer`.

    Components expose their outputs as channels (`gen.outputs["examples"]`) and take them as
    inputs; the pipeline graph is the set of those edges. A channel holds no data: the runner
    resolves it to artifacts at run time.
    """

    def __init__(
        self,
        type: type[Artifact],
        producer: BaseComponent | None = None,
        output_key: str = "",
    ) -> None:
        if not (isinstance(type, builtins.type) and issubclass(type, Artifact)):
            raise TypeError(
                f"Channel(type=...) expects an Artifact subclass such as Examples, found {type!r}."
            )
        self.type = type
        self.producer = producer
        self.output_key = output_key

    @property
    def type_name(self) -> str:
        """ML Metadata type name of the artifacts in this channel."""
        return self.type.TYPE_NAME

    def __repr__(self) -> str:
        source = f"{self.producer.id}.outputs[{self.output_key!r}]" if self.producer else "unbound"
        return f"Channel({self.type.TYPE_NAME} from {source})"

