"""TF Serving's REST API (https://www.tensorflow.org/tfx/serving/api_rest) over a
`ModelRepository`, as a Starlette ASGI app.

    GET  /v1/models/{name}[/versions/{v} | /labels/{label}]            version status
    GET  /v1/models/{name}[/versions/{v} | /labels/{label}]/metadata   signature defs
    POST /v1/models/{name}[/versions/{v} | /labels/{label}]:predict    {"instances": [...]}
                                                                       or {"inputs": {...}}

Instances are raw feature values (`{"body_mass_g": 4200.0, "island": "Biscoe"}`, lists for
multi-valued features, `{"b64": ...}` for bytes) or serialized tf.Examples (`{"b64": ...}`).
Answers follow TF Serving: `{"predictions": [...]}` for `instances` (row format),
`{"outputs": ...}` for `inputs` (columnar); one output is returned bare, several by name. For a
classifier whose model carries its class vocabulary the output is `{"classes": [...],
"scores": [...]}` per row, as TF Serving returns a classification signature's outputs. Every
error is `{"error": "..."}` with 400 (bad request) or 404 (no such model or version), never a
traceback.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
from typing import TYPE_CHECKING, Any

from tfxkit.serving.repository import ModelRepository, ServedVersion, ServingError

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

logger = logging.getLogger(__name__)

_PATH = re.compile(
    r"(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+)|/labels/(?P<label>[^/:]+))?"
    r"(?::(?P<verb>[A-Za-z]+)|(?P<metadata>/metadata))?")


def _json_response(body: Any, status: int = 200) -> Response:
    from starlette.responses import Response

    # TF Serving writes NaN / Infinity as JSON tokens rather than failing the request.
    return Response(json.dumps(body, allow_nan=True), status_code=status,
                    media_type="application/json")


def error_response(status: int, message: str) -> Response:
    """TF Serving's error shape: `{"error": message}` with HTTP `status`."""
    return _json_response({"error": message}, status)


def _serialized(row: Any, input_key: str) -> bytes | None:
    """The serialized tf.Example of a `{"b64": ...}` or `{input_key: {"b64": ...}}` instance."""
    if isinstance(row, dict) and len(row) == 1:
        value = row.get("b64", row.get(input_key))
        if isinstance(value, dict) and set(value) == {"b64"}:
            value = value["b64"]
        if "b64" in row or (input_key in row and isinstance(row[input_key], dict)):
            if not isinstance(value, str):
                raise ServingError(400, f"expected a base64 string under 'b64', found {value!r}")
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ServingError(400, "'b64' value is not valid base64") from None
    return None


def parse_rows(body: Any, served: ServedVersion) -> tuple[list[Any], bool]:
    """(rows, columnar) of a predict request body: rows are dicts of raw feature values or
    serialized tf.Examples. Raises ServingError(400) for a body of the wrong shape."""
    if not isinstance(body, dict):
        raise ServingError(400, f"expected a JSON object with 'instances' or 'inputs', found "
                                f"{type(body).__name__}")
    unknown = sorted(set(body) - {"instances", "inputs", "signature_name"})
    if unknown:
        raise ServingError(400, f"unknown key(s) {', '.join(map(repr, unknown))} in the "
                                f"request; expected 'instances' or 'inputs' (and optionally "
                                f"'signature_name')")
    wanted = body.get("signature_name")
    if wanted is not None and wanted != served.signature.name:
        raise ServingError(400, f"signature_name {wanted!r} is not served; this server serves "
                                f"{served.signature.name!r}")
    if ("instances" in body) == ("inputs" in body):
        raise ServingError(400, "expecting exactly one of 'inputs' or 'instances' keys in the "
                                "request")
    columnar = "inputs" in body
    data = body["inputs"] if columnar else body["instances"]
    if columnar and isinstance(data, dict):
        lengths = {k: len(v) if isinstance(v, list) else None for k, v in data.items()}
        if not data or any(n is None for n in lengths.values()) or len(set(lengths.values())) > 1:
            raise ServingError(400, f"'inputs' must map each feature to a list of values, one "
                                    f"per example, all of the same length; found lengths "
                                    f"{lengths}")
        count = next(iter(lengths.values()))
        data = [{k: v[i] for k, v in data.items()} for i in range(count or 0)]
    if not isinstance(data, list) or not data:
        raise ServingError(400, f"'{'inputs' if columnar else 'instances'}' must be a non-empty "
                                f"list of examples, found {json.dumps(data)[:80]}")
    rows = []
    for row in data:
        serialized = _serialized(row, served.signature.input_key)
        rows.append(serialized if serialized is not None else row)
    return rows, columnar


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return value
    return value


def format_outputs(outputs: dict[str, Any], served: ServedVersion, columnar: bool) -> Any:
    """The response body for `outputs` (name -> array, one row per instance)."""
    names = served.signature.class_names
    columns = {name: _plain(value.tolist()) for name, value in outputs.items()}
    if names and len(columns) == 1:
        scores = next(iter(columns.values()))
        if all(isinstance(r, list) and len(r) == len(names) for r in scores):
            columns = {"classes": [list(names) for _ in scores], "scores": scores}
    if columnar:
        return {"outputs": next(iter(columns.values())) if len(columns) == 1 else columns}
    count = len(next(iter(columns.values())))
    if len(columns) == 1:
        return {"predictions": next(iter(columns.values()))}
    return {"predictions": [{k: v[i] for k, v in columns.items()} for i in range(count)]}


def make_app(repository: ModelRepository) -> Starlette:
    """The Starlette app serving `repository` on TF Serving's REST paths."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    def target(request: Request) -> dict[str, str | None]:
        match = _PATH.fullmatch(request.path_params["rest"])
        if match is None:
            raise ServingError(404, f"Malformed request: {request.method} {request.url.path}")
        parts = match.groupdict()
        if parts["name"] != repository.name:
            raise ServingError(404, f"Servable not found for request: Latest({parts['name']}) "
                                    f"(this server serves model {repository.name!r})")
        if parts["version"] is not None and not parts["version"].isdigit():
            raise ServingError(400, f"Malformed request: version {parts['version']!r} is not a "
                                    f"number")
        return parts

    async def models(request: Request) -> Response:
        try:
            parts = target(request)
            version = int(parts["version"]) if parts["version"] else None
            if request.method == "GET":
                if parts["verb"] is not None:
                    raise ServingError(404, f"Malformed request: GET {request.url.path}")
                if parts["label"] is not None:
                    version = repository.get(label=parts["label"]).version
                if parts["metadata"]:
                    served = repository.get(version)
                    return _json_response({
                        "model_spec": {"name": repository.name, "signature_name": "",
                                       "version": str(served.version)},
                        "metadata": {"signature_def": await run_in_threadpool(
                            served.signature_defs)}})
                return _json_response({"model_version_status": repository.status(version)})
            if parts["verb"] != "predict" or parts["metadata"]:
                what = "Malformed request" if parts["verb"] is None \
                    else f":{parts['verb']} is not supported"
                raise ServingError(400 if parts["verb"] in ("classify", "regress") else 404,
                                   f"{what}: POST {request.url.path}; tfxkit serve answers "
                                   f":predict")
            served = repository.get(version, parts["label"])
            raw = await request.body()
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ServingError(400, f"JSON Parse error: {exc}") from None
            rows, columnar = parse_rows(body, served)
            outputs = await run_in_threadpool(served.predict, rows)
            return _json_response(format_outputs(outputs, served, columnar))
        except ServingError as exc:
            return error_response(exc.status, str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        return error_response(status, f"Malformed request: {request.method} {request.url.path}")

    async def internal(request: Request, exc: Exception) -> Response:
        logger.exception("tfxkit serve: %s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error: {type(exc).__name__}: {exc}")

    return Starlette(
        routes=[Route("/v1/models/{rest:path}", models, methods=["GET", "POST"])],
        exception_handlers={HTTPException: not_found, Exception: internal})
