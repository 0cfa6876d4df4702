"""``pods/exec`` and ``pods/attach`` over WebSocket: ``kubectl exec``, ``kubectl attach``,
``kubectl run -it``, and the official client's ``stream()``.

On a real cluster the API server checks the request (authentication, ``create`` on
``pods/exec``, the pod and container), then proxies the connection to the kubelet of the pod's
node, which asks the container runtime to start the command (CRI ``Exec``). The client and the
container then talk over one WebSocket (kubectl 1.30+; older clients used SPDY), in binary
messages whose first byte is a channel:

====  =======  ===========================================================================
 0    stdin    client → container (``kubectl exec -i``)
 1    stdout   container → client
 2    stderr   container → client (absent with a TTY: a terminal has one output)
 3    error    the end: a ``Status``, ``Success`` or ``NonZeroExitCode`` with the exit code
 4    resize   client → container: the terminal's size (ignored here)
 255  close    ``v5.channel.k8s.io`` only: ``[255, 0]`` = "stdin is closed" (end of input)
====  =======  ===========================================================================

kubectl prints ``command terminated with exit code 3`` and exits 3 when the error channel
says so. Errors before the stream opens are plain HTTP answers: a ``Status`` (``pods "x" not
found``, ``pod x does not have a host assigned``) or the kubelet's text (``container not found
("web")``, which kubectl shows as ``unable to upgrade connection: ...``).

A shell with nothing to run (``kubectl exec -it POD -- sh``) is a session that runs each line
as it arrives (:mod:`labkit.minicluster.images.shell.session`, which also plays the TTY);
any other command runs once its input is complete: at once without ``-i``, when stdin closes
with it. ``attach`` joins the container's PID 1: a shell started with ``stdin: true`` (what
``kubectl run -it NAME --image=busybox -- sh`` creates) takes the typed lines itself, and its
``exit`` ends the container; any other PID 1 is followed: its new output is streamed until it
ends. Detaching from a ``stdinOnce`` container closes its stdin: the shell exits.
Simplifications: SPDY is not spoken (a SPDY request is refused with advice), nor
``pods/portforward``; a non-shell command reading stdin needs the v5 protocol's close signal
(v4 clients have no way to say "end of input"); an attach that follows output polls the log
every 0.25 s.
"""
from __future__ import annotations

import orjson
import tornado.ioloop
import tornado.websocket

from .. import errors

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


def exit_status(code: int, argv: list[str]) -> dict:
    """The error channel's last word (containerd's ``CodeExitError``, relayed by the kubelet)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(argv)}], exit code {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def _flag(handler, name: str) -> bool:
    return handler.get_query_argument(name, "false").lower() in ("true", "1")


class PodStreamHandler(tornado.websocket.WebSocketHandler):
    """``GET /api/v1/namespaces/{ns}/pods/{name}/exec?command=...&stdin=&stdout=&stderr=&tty=``
    (or ``/attach``, without a command) upgraded to a WebSocket."""

    def initialize(self, server):
        self.server = server
        self.cluster = server.cluster
        self.session = self.terminal = self.follower = None
        self.stdin_data = b""
        self.stdin_once = False

    def check_origin(self, origin):  # an API with bearer tokens, not a browser page
        return True

    def select_subprotocol(self, subprotocols):
        return next((p for p in subprotocols if p in PROTOCOLS), None)

    # -- before the upgrade: the API server's checks -------------------------------------------
    def _check(self, namespace: str, pod: str, sub: str) -> None:
        user = self.server.auth.authenticate(self.request.headers.get("Authorization"))
        if user is None:
            raise errors.unauthorized()
        api = self.cluster.api
        api._authorize(user, "create", api.resource("pods"), namespace, pod, sub)
        self.sub = sub
        self.argv = self.get_query_arguments("command") if sub == "exec" else []
        self.tty, self.stdin = _flag(self, "tty"), _flag(self, "stdin")
        self.stdout, self.stderr = _flag(self, "stdout"), _flag(self, "stderr") and not self.tty
        if not (self.stdin or self.stdout or self.stderr):
            raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
        self.namespace, self.pod = namespace, pod
        with self.cluster.lock:
            self.kubelet, self.container = self.cluster.exec_target(
                pod, self.get_query_argument("container", None), namespace,
                self.argv if sub == "exec" else None)
            (self._prepare_exec if sub == "exec" else self._prepare_attach)()

    def _prepare_exec(self) -> None:
        from ..images.shell.session import Terminal, is_interactive_shell
        if self.stdin and is_interactive_shell(self.argv):
            self.session = self.kubelet.shell_session(self.namespace, self.pod, self.argv,
                                                      self.container)
            self.terminal = Terminal(self.session, tty=self.tty)
        else:
            self.kubelet.running_container(self.namespace, self.pod, self.container)

    def _prepare_attach(self) -> None:
        """PID 1's shell if it reads an open stdin, else its output from now on."""
        from ..images.shell.session import Terminal
        k, ns, pod, c = self.kubelet, self.namespace, self.pod, self.container
        self.session = k.attach_session(ns, pod, c) if self.stdin else None
        if self.session is not None:
            self.terminal = Terminal(self.session, tty=self.tty, greet=False)
            spec = self.cluster.api.get("pods", pod, ns)["spec"]
            self.stdin_once = any(x["name"] == c and x.get("stdinOnce")
                                  for k in ("containers", "initContainers", "ephemeralContainers")
                                  for x in spec.get(k) or ())
        else:
            k.running_container(ns, pod, c)
            self.log_seen = len(k.logs(ns, pod, c))

    def _refuse(self, e: errors.ApiError) -> None:
        """An error before the stream opens. The kubelet's own refusals are plain text, which
        clients report as ``unable to upgrade connection: <text>``."""
        prefix = "unable to upgrade connection: "
        message = e.status.get("message", "")
        if message.startswith(prefix):
            self.set_status(500)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            return self.finish(message[len(prefix):] + "\n")
        self.set_status(e.code)
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(e.status))

    async def get(self, namespace, pod, sub):
        try:
            self._check(namespace, pod, sub)
            if self.request.headers.get("Upgrade", "").lower() != "websocket":
                return self._refuse_spdy()
            offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
            if not any(p in PROTOCOLS for p in offered):
                raise errors.bad_request("unable to upgrade connection: labkit streams exec with the "
                                         "v5.channel.k8s.io or v4.channel.k8s.io protocol")
        except errors.ApiError as e:
            return self._refuse(e)
        await super().get(namespace, pod, sub)

    async def post(self, namespace, pod, sub):
        """SPDY (kubectl before 1.30, or kubectl falling back after a refused WebSocket)."""
        try:
            self._check(namespace, pod, sub)
        except errors.ApiError as e:
            return self._refuse(e)
        self._refuse_spdy()

    def _refuse_spdy(self):
        self._refuse(errors.bad_request(
            "unable to upgrade connection: labkit's API server streams exec and attach over "
            "WebSocket only (kubectl 1.30 or later, or the kubernetes Python client's stream())"))

    # -- the stream ----------------------------------------------------------------------------
    def _send(self, channel: int, text: str) -> None:
        if text:
            self.write_message(bytes([channel]) + text.encode(), binary=True)

    def _finish(self, code: int) -> None:
        """The status (an attach reports none: kubectl reads the exit code from the pod)."""
        status = exit_status(code if self.sub == "exec" else 0, self.argv)
        self.write_message(bytes([ERROR]) + orjson.dumps(status), binary=True)
        self.close(1000)

    def open(self, *args):
        """The stream is open. kubectl sets up its channel readers just after the handshake and
        drops what arrives before (``Unknown stream id 1, discarding message``), so the first
        output waits for its first message (a TTY's size) or a tenth of a second."""
        self.started = False
        tornado.ioloop.IOLoop.current().call_later(0.1, self._start)

    def _start(self) -> None:
        if self.started or self.ws_connection is None:
            return
        self.started = True
        if self.terminal is not None:
            self._send(STDOUT, self.terminal.start())
        elif self.sub == "attach":
            self.follower = tornado.ioloop.PeriodicCallback(self._follow, 250)
            self.follower.start()
        elif not self.stdin:
            self._run("")

    def _follow(self) -> None:
        """Attached to a PID 1 that is not an interactive shell: stream what it writes."""
        k, ns, pod, c = self.kubelet, self.namespace, self.pod, self.container
        with self.cluster.lock:
            text = k.logs(ns, pod, c)
            try:
                k.running_container(ns, pod, c)
                running = True
            except errors.ApiError:
                running = False
        self._send(STDOUT, text[self.log_seen:])
        self.log_seen = len(text)
        if not running:
            self.follower.stop()
            self._finish(0)

    def on_close(self):
        if self.follower is not None:
            self.follower.stop()
        if self.sub == "attach" and self.terminal is not None and self.stdin_once \
                and not self.terminal.ended:
            with self.cluster.lock:  # the client detached: stdinOnce closes PID 1's stdin
                self.terminal.close(self.cluster.now())
                self.server.after_write()

    def _run(self, stdin: str) -> None:
        """A command that is not a session: run it whole, send its output and its status."""
        from ..images.shell.streams import Capture
        err = Capture()
        try:
            with self.cluster.lock:
                code, out = self.kubelet.exec(self.namespace, self.pod, self.argv, self.container,
                                              stdin=stdin, stderr=err)
                self.server.after_write()
        except errors.ApiError as e:  # could not start (executable not found...)
            self.write_message(bytes([ERROR]) + orjson.dumps(e.status), binary=True)
            self.close(1000)
            return
        if self.tty:
            out = (out + err.text()).replace("\n", "\r\n")
        if self.stdout:
            self._send(STDOUT, out)
        if self.stderr:
            self._send(STDERR, err.text())
        self._finish(code)

    def on_message(self, message):
        if isinstance(message, str):
            message = message.encode()
        if not message:
            return
        self._start()
        channel, data = message[0], message[1:]
        if channel == STDIN:
            if self.terminal is None:
                self.stdin_data += data
                return
            with self.cluster.lock:
                shown = self.terminal.feed(data.decode("utf-8", "replace"), self.cluster.now())
                self.server.after_write()
            self._send(STDOUT, shown)
            if self.terminal.ended:
                self._finish(self.session.exit_code)
        elif channel == CLOSE and data[:1] == bytes([STDIN]) and self.stdin:
            if self.terminal is None:
                self._run(self.stdin_data.decode("utf-8", "replace"))
                return
            with self.cluster.lock:
                shown = self.terminal.close(self.cluster.now())
                self.server.after_write()
            self._send(STDOUT, shown)
            self._finish(self.session.exit_code)
        # RESIZE and anything else: nothing to do
