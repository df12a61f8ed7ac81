"""A TCP proxy to cut a database connection on command: `python -m tests.resources.tcp_proxy
HOST PORT` prints the port it listens on, then reads `cut` / `restore` lines from stdin (answering
`ok`) until stdin closes."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


class Proxy:
    """Forwards accepted connections to `target` while up; `cut` drops them all."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []

    def serve(self) -> None:
        """Accept connections forever (refusing them while cut)."""
        while True:
            client, _ = self.listener.accept()
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def pump(source: socket.socket, sink: socket.socket) -> None:
        """Copy bytes from `source` to `sink` until either closes."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection; refuse new ones until `restore`."""
        self.up = False
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            self.sockets.clear()


def main() -> None:
    """Run the proxy; obey `cut` / `restore` from stdin."""
    proxy = Proxy((sys.argv[1], int(sys.argv[2])))
    threading.Thread(target=proxy.serve, daemon=True).start()
    print(proxy.port, flush=True)
    for line in sys.stdin:
        if line.strip() == "cut":
            proxy.cut()
        elif line.strip() == "restore":
            proxy.up = True
        print("ok", flush=True)


if __name__ == "__main__":
    main()
