"""Pushed model versions and their aliases: the public name of the model registry.

The registry itself lives in `tfxkit.components._shared.model_registry` (one home, shared by the
Pusher, the Evaluator's baseline lookup, serving and `tfxkit models`); this module keeps its
documented import path, `from tfxkit.components.pusher.registry import promote, aliases`.
"""

from tfxkit.components._shared.model_registry import (
    ALIAS_EXECUTION,
    EVENT_FORMAT,
    EVENTS_DIR,
    REGISTRY_CONTEXT,
    REGISTRY_DIR,
    SAVED_MODEL_FILES,
    STAGING_PREFIX,
    AliasEvent,
    RegistryError,
    UnknownAliasError,
    alias_events,
    aliases,
    check_alias_name,
    check_push_destination,
    latest_complete_version,
    latest_pushed_version,
    list_pushed_versions,
    parse_time,
    promote,
    push_directory,
    record_alias_event,
    remove_alias,
    resolve_alias,
    resolve_base_directory,
    versions_at,
)

__all__ = [
    "ALIAS_EXECUTION",
    "EVENTS_DIR",
    "EVENT_FORMAT",
    "REGISTRY_CONTEXT",
    "REGISTRY_DIR",
    "SAVED_MODEL_FILES",
    "STAGING_PREFIX",
    "AliasEvent",
    "RegistryError",
    "UnknownAliasError",
    "alias_events",
    "aliases",
    "check_alias_name",
    "check_push_destination",
    "latest_complete_version",
    "latest_pushed_version",
    "list_pushed_versions",
    "parse_time",
    "promote",
    "push_directory",
    "record_alias_event",
    "remove_alias",
    "resolve_alias",
    "resolve_base_directory",
    "versions_at",
]
