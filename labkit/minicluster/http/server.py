"""The mini cluster's REST server: real ``kubectl`` and the official client talk to it.

It listens on loopback only (unless told otherwise), speaks the Kubernetes REST API over plain
HTTP, authenticates bearer tokens (:mod:`.auth`) and hands every request to the same
:class:`~labkit.minicluster.apiserver.APIServer` the notebooks use, under the cluster's lock, so
a response never shows a half-applied state.

Virtual time while serving (``time_mode``):
- ``"realtime"``: virtual time follows the wall clock (times ``speed``), like a real cluster;
- ``"settle"``: after every write the cluster runs until quiet: instant and deterministic
  (tests, notebooks);
- ``"manual"``: time moves only when the notebook calls ``cluster.run()``.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import tornado.httpserver
import tornado.ioloop
import tornado.web

from .auth import TokenAuthenticator, kubeconfig, write_kubeconfig
from .tls import ServerTLS
from .handlers import KubeHandler
from .streaming import PodStreamHandler

#: pods/exec and pods/attach are streams, not request/response: their own handler
STREAM_PATH = r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/(exec|attach)/?"


class _QuietDisconnects(logging.Filter):
    """A client that closes its connection mid-stream (a cancelled watch) is normal for an API
    server; tornado would log it as a warning (``error on read``) into the notebook."""

    def filter(self, record):
        return not record.getMessage().startswith(("error on read", "SSL Error on"))


logging.getLogger("tornado.general").addFilter(_QuietDisconnects())


class ServerHandle:
    """A running server: ``url``, ``token``, ``kubeconfig_path``; ``stop()`` ends it."""

    def __init__(self, cluster, host, port, time_mode, speed, auth):
        self.cluster, self.host, self.port = cluster, host, port
        self.time_mode, self.speed, self.auth = time_mode, speed, auth
        self.token = auth.admin_token
        self.kubeconfig_path = None
        self._thread = None
        self._ioloop = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self.tls = ServerTLS(host)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def ca_file(self) -> str:
        """The CA certificate clients use to verify this server."""
        return self.tls.ca_file

    def kubeconfig(self, namespace: str = "default", token: str | None = None) -> dict:
        return kubeconfig(self.url, token or self.token, self.tls.ca_pem, namespace=namespace)

    def write_kubeconfig(self, path, token: str | None = None) -> str:
        self.kubeconfig_path = write_kubeconfig(path, self.kubeconfig(token=token))
        return self.kubeconfig_path

    def env(self) -> dict:
        """Environment variables for a ``kubectl`` subprocess pointed at this server."""
        if self.kubeconfig_path is None:
            raise RuntimeError("call write_kubeconfig(path) first")
        return {"KUBECONFIG": self.kubeconfig_path}

    # -- lifecycle --------------------------------------------------------------------------
    def _run(self, sock):
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._ioloop = tornado.ioloop.IOLoop.current()
        app = tornado.web.Application([(STREAM_PATH, PodStreamHandler, {"server": self}),
                                       (r"/.*", KubeHandler, {"server": self})],
                                      log_function=lambda handler: None)
        http = tornado.httpserver.HTTPServer(app, idle_connection_timeout=60,
                                             ssl_options=self.tls.context)
        http.add_sockets([sock])
        ticker = None
        if self.time_mode == "realtime":
            self._last = time.monotonic()
            ticker = tornado.ioloop.PeriodicCallback(self._tick, 50)
            ticker.start()
        self._ready.set()
        self._ioloop.start()
        if ticker:
            ticker.stop()
        http.stop()
        self._ioloop.close(all_fds=True)
        self._stopped.set()

    def _tick(self):
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        with self.cluster.lock:
            self.cluster.run(elapsed * self.speed)

    def after_write(self):
        """Called (under the lock) after each successful write request."""
        if self.time_mode == "settle":
            self.cluster.settle(max_seconds=120)

    def start(self) -> "ServerHandle":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True,
                                        name=f"labkit-apiserver-{self.port}")
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._ioloop is not None and not self._stopped.is_set():
            self._ioloop.add_callback(self._ioloop.stop)
            self._stopped.wait(10)
        self.tls.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<labkit API server {self.url} ({self.time_mode})>"


def serve(cluster, host: str = "127.0.0.1", port: int = 0, time_mode: str = "realtime",
          speed: float = 1.0, kubeconfig_path=None, token_seed: str | None = None) -> ServerHandle:
    """Start serving ``cluster`` on ``host:port`` (0 = any free port) in a background thread."""
    if time_mode not in ("realtime", "settle", "manual"):
        raise ValueError(f"time_mode must be realtime, settle or manual, not {time_mode!r}")
    handle = ServerHandle(cluster, host, port, time_mode, speed,
                          TokenAuthenticator(token_seed, cluster))
    handle.start()
    if kubeconfig_path is not None:
        handle.write_kubeconfig(kubeconfig_path)
    return handle
