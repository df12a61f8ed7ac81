"""Artifacts and channels: the data model of tfxkit pipelines (no TensorFlow)."""

from tfxkit.types import standard_artifacts
from tfxkit.types.artifact import Artifact, ArtifactState, PropertyType
from tfxkit.types.channel import Channel

__all__ = ["Artifact", "ArtifactState", "Channel", "PropertyType", "standard_artifacts"]
