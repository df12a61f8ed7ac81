"""`Artifact`: a typed, versioned output of a component, stored at a URI and recorded in ML Metadata.

An artifact is plain Python data (type name, uri, properties, custom properties, state) so that it
crosses process boundaries and never needs TensorFlow. Its files live under `artifact.uri`; the
on-disk layout inside that directory is the artifact type's contract (see its docstring).
"""

from __future__ import annotations

import enum
import json
from typing import Any, ClassVar


class PropertyType(enum.Enum):
    """Value type of an artifact property, mirroring ML Metadata's INT / DOUBLE / STRING."""

    INT = int
    FLOAT = float
    STRING = str

    def check(self, name: str, value: Any, where: str) -> Any:
        """Return `value` if it fits this type; raise a TypeError naming the property otherwise."""
        python_type = self.value
        if python_type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, python_type):
            raise TypeError(
                f"{where}: property {name!r} expects {python_type.__name__}, found "
                f"{type(value).__name__} {value!r}. Pass a {python_type.__name__} value."
            )
        return value


class ArtifactState(enum.StrEnum):
    """Lifecycle of an artifact: PENDING while its producer runs, LIVE once published."""

    PENDING = "PENDING"
    LIVE = "LIVE"
    ABANDONED = "ABANDONED"
    DELETED = "DELETED"


class Artifact:
    """A typed output of a component: its files live under `uri`, its facts in properties.

    Subclasses set `TYPE_NAME` (the ML Metadata type name, TFX's names for standard types) and
    `PROPERTIES` (typed properties every artifact of the type may carry). Anything else goes into
    `custom_properties`. Properties read as attributes: `examples.span`, `examples.split_names`.

    Args:
        uri: directory holding the artifact's files; assigned by the runner for outputs.
        properties: values for the declared `PROPERTIES`.
        custom_properties: free-form int / float / str values.
    """

    TYPE_NAME: ClassVar[str] = "Artifact"
    PROPERTIES: ClassVar[dict[str, PropertyType]] = {}

    def __init__(
        self,
        uri: str = "",
        properties: dict[str, Any] | None = None,
        custom_properties: dict[str, Any] | None = None,
    ) -> None:
        self.uri = uri
        self.id: int | None = None
        self.name = ""
        self.state = ArtifactState.PENDING
        self.properties: dict[str, Any] = {}
        self.custom_properties: dict[str, Any] = {}
        for key, value in (properties or {}).items():
            self.set_property(key, value)
        for key, value in (custom_properties or {}).items():
            self.set_custom_property(key, value)

    # -- properties -------------------------------------------------------------------------
    def set_property(self, name: str, value: Any) -> None:
        """Set declared property `name`; raises if the type declares no such property."""
        if name not in self.PROPERTIES:
            declared = ", ".join(sorted(self.PROPERTIES)) or "none"
            raise AttributeError(
                f"{self.TYPE_NAME} has no property {name!r} (declared: {declared}). "
                f"Use set_custom_property({name!r}, ...) for free-form values."
            )
        self.properties[name] = self.PROPERTIES[name].check(name, value, self.TYPE_NAME)

    def set_custom_property(self, name: str, value: Any) -> None:
        """Set a free-form custom property: an int, float or str (bools are stored as int)."""
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int | float | str):
            raise TypeError(
                f"{self.TYPE_NAME}: custom property {name!r} must be int, float or str, found "
                f"{type(value).__name__}. Serialize it (e.g. json.dumps) first."
            )
        self.custom_properties[name] = value

    def get_custom_property(self, name: str, default: Any = None) -> Any:
        """Return custom property `name`, or `default` when it is unset."""
        return self.custom_properties.get(name, default)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: expose declared properties as attributes.
        if name.startswith("_") or name not in type(self).PROPERTIES:
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return self.__dict__.get("properties", {}).get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in type(self).PROPERTIES and not hasattr(type(self), name):
            self.set_property(name, value)
        else:
            object.__setattr__(self, name, value)

    # -- serialization ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-serializable) used between processes and in Kubeflow."""
        return {
            "type": self.TYPE_NAME,
            "uri": self.uri,
            "id": self.id,
            "name": self.name,
            "state": self.state.value,
            "properties": dict(self.properties),
            "custom_properties": dict(self.custom_properties),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Artifact:
        """Rebuild an artifact from `to_dict()` output, as the standard type its name gives."""
        artifact = artifact_class(data["type"])(
            uri=data.get("uri", ""),
            properties=data.get("properties"),
            custom_properties=data.get("custom_properties"),
        )
        artifact.id = data.get("id")
        artifact.name = data.get("name", "")
        artifact.state = ArtifactState(data.get("state", "PENDING"))
        return artifact

    def __repr__(self) -> str:
        return f"{self.TYPE_NAME}(id={self.id}, uri={self.uri!r}, properties={self.properties})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Artifact) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


class SplitsMixin:
    """Adds `split_names` (stored as TFX does: a JSON list in a STRING property)."""

    properties: dict[str, Any]

    @property
    def split_names(self) -> list[str]:
        """Names of the splits this artifact holds, e.g. ["train", "eval"]."""
        raw = self.properties.get("split_names")
        return list(json.loads(raw)) if raw else []

    @split_names.setter
    def split_names(self, names: list[str] | str) -> None:
        value = names if isinstance(names, str) else json.dumps(list(names))
        self.properties["split_names"] = value

    def split_uri(self, split: str) -> str:
        """Directory of one split: `{uri}/Split-{split}`."""
        return f"{self.uri}/Split-{split}"  # type: ignore[attr-defined]


# -- the artifact-class registry ---------------------------------------------------------------
# Type name -> class, for artifacts read back from ML Metadata, other processes or Kubeflow.
# `tfxkit.types.standard_artifacts` registers TFX's standard types when it is imported (the
# package `tfxkit.types` imports it first), custom types register with `register_artifact_type`.
_BY_NAME: dict[str, type[Artifact]] = {}


def register_artifact_type(cls: type[Artifact]) -> type[Artifact]:
    """Make a custom artifact type known by its `TYPE_NAME` (for lookups from ML Metadata).

    Returns `cls` (usable as a class decorator). Raises ValueError when another class already
    uses the name.
    """
    existing = _BY_NAME.get(cls.TYPE_NAME)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise ValueError(
            f"Artifact type name {cls.TYPE_NAME!r} is already used by {existing.__module__}."
            f"{existing.__qualname__}; give {cls.__qualname__} another TYPE_NAME."
        )
    _BY_NAME[cls.TYPE_NAME] = cls
    return cls


def artifact_class(type_name: str) -> type[Artifact]:
    """Class for ML Metadata type `type_name`; unknown names get a generic `Artifact` subclass
    (made once, then reused)."""
    cls = _BY_NAME.get(type_name)
    if cls is None:
        cls = type(type_name, (Artifact,), {"TYPE_NAME": type_name, "__module__": __name__})
        _BY_NAME[type_name] = cls
    return cls
