"""`Channel`: a typed edge of the pipeline graph: the artifacts one component output produces."""

from __future__ import annotations

import builtins
from typing import Protocol

from tfxkit.types.artifact import Artifact

__all__ = ["Channel", "Producer"]


class Producer(Protocol):
    """What a channel knows of the node producing it (a `BaseComponent` in a pipeline): its
    id, and what it can tell about an output before anything runs. A protocol, so that this
    layer (types) imports nothing from the DSL, which builds on it."""

    @property
    def id(self) -> str:
        """The node id, unique in its pipeline."""
        ...

    def known_split_names(self, output_key: str) -> list[str] | None:
        """Split names of output `output_key`'s artifacts when knowable at construction."""
        ...

    def known_feature_names(self, output_key: str) -> list[str] | None:
        """Feature names of output `output_key`'s examples when knowable at construction."""
        ...


class Channel:
    """Artifacts of type `type` produced by output `output_key` of `producer`.

    Components expose their outputs as channels (`gen.outputs["examples"]`) and take them as
    inputs; the pipeline graph is the set of those edges. A channel holds no data: the runner
    resolves it to artifacts at run time.
    """

    def __init__(
        self,
        type: type[Artifact],
        producer: Producer | None = None,
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

