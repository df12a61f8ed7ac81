"""The versions of one pushed model, loaded and kept current as TF Serving keeps its base path.

Every complete version folder (`<destination>/<n>/saved_model.pb`) is loaded and served; a new
push is picked up by polling, a removed folder is unloaded. "Latest" is the highest version that
loaded. Version labels are the destination's aliases (`tfxkit models promote DEST N --alias
production`), read at each request, so a moved alias takes effect at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from tfxkit.components.pusher.registry import RegistryError, list_pushed_versions, resolve_alias
from tfxkit.errors import DataError, TfxkitError

logger = logging.getLogger(__name__)


class ServingError(TfxkitError):
    """A request that cannot be served; `status` is the HTTP status (TF Serving's mapping:
    400 for INVALID_ARGUMENT, 404 for NOT_FOUND)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class ServedVersion:
    """One version: `state` ("LOADING", "AVAILABLE" or "END" after a failed load, with
    `error`), and once loaded its signature function and `Signature`."""

    version: int
    path: str
    state: str = "LOADING"
    error: str = ""
    signature: Any = None
    function: Any = None
    loaded: Any = None

    def predict(self, rows: list[Any]) -> dict[str, Any]:
        """Outputs (name -> numpy array, one row per input row) for `rows`: dicts of raw
        feature values or serialized tf.Examples (bytes). Raises ServingError(400) for a row
        the model cannot take."""
        import tensorflow as tf

        from tfxkit.components.bulk_inferrer.saved_model import encode_example

        features = self.signature.features
        serialized = []
        for index, row in enumerate(rows):
            if isinstance(row, bytes):
                serialized.append(row)
                continue
            if features is None:
                raise ServingError(400, "this model's signature does not parse tf.Example "
                                        "features tfxkit can read; send serialized tf.Examples "
                                        "as {\"b64\": \"...\"}.")
            try:
                serialized.append(encode_example(row, features, f"instance {index}"))
            except DataError as exc:
                raise ServingError(400, str(exc)) from None
        try:
            outputs = self.function(**{self.signature.input_key: tf.constant(serialized)})
        except tf.errors.InvalidArgumentError as exc:
            message = exc.message.splitlines()[0] if exc.message else str(exc)
            raise ServingError(400, f"the model could not take these instances: {message}") \
                from None
        return {name: value.numpy() for name, value in outputs.items()}


    def signature_defs(self) -> dict[str, Any]:
        """TF Serving's metadata `signature_def` entry: the SavedModel's SignatureDefs (serve
        tag) in protobuf's JSON mapping, read from saved_model.pb."""
        import os

        from google.protobuf import json_format
        from tensorflow.core.protobuf import saved_model_pb2

        saved = saved_model_pb2.SavedModel()
        with open(os.path.join(self.path, "saved_model.pb"), "rb") as handle:
            saved.ParseFromString(handle.read())
        graph = next((g for g in saved.meta_graphs if "serve" in g.meta_info_def.tags),
                     saved.meta_graphs[0])
        return {"signature_def": {name: json_format.MessageToDict(
                                      definition, preserving_proto_field_name=True)
                                  for name, definition in graph.signature_def.items()}}


class ModelRepository:
    """The served versions of the model at `destination`, named `name`.

    Args:
        destination: the Pusher's base directory.
        name: the model name clients use in `/v1/models/{name}`.
        signature_name: the signature requests run (TF Serving's default `serving_default`).
    """

    def __init__(self, destination: str, name: str,
                 signature_name: str = "serving_default") -> None:
        self.destination = destination
        self.name = name
        self.signature_name = signature_name
        self.versions: dict[int, ServedVersion] = {}
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    def refresh(self) -> list[int]:
        """Load complete versions not loaded yet, unload removed ones; returns the versions
        loaded by this call. A version that fails to load is kept in state END with its error
        (and not retried), as TF Serving reports it."""
        from tfxkit.components.bulk_inferrer.saved_model import load

        with self._refresh_lock:
            on_disk = {v["version"]: v for v in list_pushed_versions(self.destination)
                       if v["complete"]}
            with self._lock:
                for gone in set(self.versions) - set(on_disk):
                    logger.info("model %s: version %d removed; unloaded", self.name, gone)
                    del self.versions[gone]
                new = sorted(set(on_disk) - set(self.versions))
                for number in new:
                    self.versions[number] = ServedVersion(number, on_disk[number]["path"])
            loaded = []
            for number in new:
                served = self.versions[number]
                try:
                    served.loaded, served.function, served.signature = load(
                        served.path, self.signature_name)
                    served.state = "AVAILABLE"
                    loaded.append(number)
                    logger.info("model %s: version %d available", self.name, number)
                except Exception as exc:  # a broken push must not stop the other versions
                    served.state, served.error = "END", str(exc).splitlines()[0]
                    logger.warning("model %s: version %d failed to load: %s", self.name,
                                   number, served.error)
            return loaded

    def status(self, version: int | None = None) -> list[dict[str, Any]]:
        """TF Serving's `model_version_status` entries, highest version first. Raises
        ServingError(404) for a version that is not there."""
        with self._lock:
            chosen = [self.versions[v] for v in sorted(self.versions, reverse=True)
                      if version is None or v == version]
        if not chosen:
            raise self._not_found(version)
        return [{"version": str(v.version), "state": v.state,
                 "status": {"error_code": "OK" if v.state != "END" else "UNKNOWN",
                            "error_message": v.error}} for v in chosen]

    def _not_found(self, version: int | None) -> ServingError:
        request = f"Specific({self.name}, {version})" if version is not None \
            else f"Latest({self.name})"
        with self._lock:
            available = [v.version for v in self.versions.values() if v.state == "AVAILABLE"]
        return ServingError(404, f"Servable not found for request: {request} (available "
                                 f"versions: {', '.join(map(str, sorted(available))) or 'none'}"
                                 f" at {self.destination})")

    def get(self, version: int | None = None, label: str | None = None) -> ServedVersion:
        """The version a request names: `version`, the version of `label`, or the latest.
        Raises ServingError (404 not found / not yet available, 400 unknown label)."""
        if label is not None:
            try:
                version = resolve_alias(self.destination, label)
            except RegistryError as exc:  # TF Serving: INVALID_ARGUMENT for an unknown label
                raise ServingError(400, f"Unrecognized servable version label: {label} "
                                        f"({exc})") from None
        with self._lock:
            if version is None:
                available = [v for v in self.versions.values() if v.state == "AVAILABLE"]
                served = max(available, key=lambda v: v.version) if available else None
            else:
                served = self.versions.get(version)
                served = served if served is not None and served.state == "AVAILABLE" else None
        if served is None:
            raise self._not_found(version)
        return served
