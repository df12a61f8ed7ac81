"""`tfxkit serve`: the REST app on uvicorn, with the repository polled for new pushes.

Starlette (routing, requests, responses) on uvicorn (an ASGI server with h11): both are widely
used and maintained, small, pure Python, and uvicorn shuts down gracefully on SIGTERM and
SIGINT (stops accepting, finishes requests in flight) without extra code. Predictions run in
Starlette's thread pool, so a slow batch does not block status requests.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from tfxkit.errors import ExecutionError
from tfxkit.serving.repository import ModelRepository

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8501  # TF Serving's REST port
POLL_SECONDS = 2.0


def check_port(host: str, port: int) -> None:
    """Raise ExecutionError naming the fix when `host:port` cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ExecutionError(
                f"tfxkit serve: cannot listen on {host}:{port}: {exc.strerror}. Pass another "
                f"--port (or stop the process using it).") from None


def serve(destination: str, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
          model_name: str | None = None, poll_seconds: float = POLL_SECONDS,
          signature_name: str = "serving_default") -> None:
    """Serve the pushed versions at `destination` on TF Serving's REST API until SIGTERM or
    SIGINT. `model_name` defaults to the destination folder's name. Versions present at start
    are loaded before the port opens; later pushes are loaded within `poll_seconds`.

    Raises ExecutionError when the destination is not a folder or the port is taken.
    """
    import uvicorn

    from tfxkit.serving.rest import make_app

    base = os.path.abspath(destination)
    if not os.path.isdir(base):
        raise ExecutionError(
            f"tfxkit serve: expected the Pusher's destination folder (holding version folders "
            f"1/, 2/, ...), found {'a file' if os.path.exists(base) else 'nothing'} at {base}.")
    name = model_name or os.path.basename(base.rstrip(os.sep))
    check_port(host, port)
    repository = ModelRepository(base, name, signature_name)
    repository.refresh()
    available = [v for v, s in repository.versions.items() if s.state == "AVAILABLE"]
    shown = ("versions " + ", ".join(map(str, sorted(available))) if available
             else "no version yet (waiting for a push)")
    print(f"tfxkit serve: model {name!r} from {base}: {shown}", flush=True)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(poll_seconds):
            try:
                repository.refresh()
            except Exception:  # keep serving the loaded versions whatever the disk does
                logger.exception("tfxkit serve: polling %s failed", base)

    poller = threading.Thread(target=poll, name="tfxkit-serve-poll", daemon=True)
    poller.start()
    print(f"tfxkit serve: REST API on http://{host}:{port}/v1/models/{name} (Ctrl-C or SIGTERM "
          f"stops)", flush=True)
    # uvicorn finishes the requests in flight on SIGTERM / SIGINT, then re-raises the signal to
    # the handler it found; a handler that only records it lets `serve` return (exit code 0).
    received: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, lambda n, _frame: received.append(n))
    try:
        uvicorn.run(make_app(repository), host=host, port=port, log_level="warning",
                    timeout_graceful_shutdown=10)
    finally:
        stop.set()
        poller.join(timeout=poll_seconds + 1)
        for number, handler in previous.items():
            signal.signal(number, handler)
    reason = f" on {signal.Signals(received[0]).name}" if received else ""
    print(f"tfxkit serve: stopped{reason}", flush=True)
