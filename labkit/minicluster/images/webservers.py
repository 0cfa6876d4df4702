"""Web server images: nginx, Apache httpd, the HPA example (php-apache), hello-app, guestbook.

Tags matter: ``nginx:1.14.2`` answers with ``Server: nginx/1.14.2`` and logs nothing at
start-up (its image had no entrypoint scripts), while ``nginx:1.25`` prints the
``/docker-entrypoint.sh`` lines and the ``[notice]`` start-up messages. nginx serves files from
``/usr/share/nginx/html`` of the container's filesystem, so a volume mounted there (the
documentation's init-container and shell-demo examples) changes what it serves.
"""
from __future__ import annotations

import posixpath
import re

from .server import ServerProcess, clf_time, ymd_time

_NGINX_BODY = """</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
#: the default page (615 bytes); older images had a different style block (612 bytes)
NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
""" + _NGINX_BODY
NGINX_INDEX_OLD = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
""" + _NGINX_BODY

NGINX_DEFAULT_CONF = """server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""


def _vtuple(version: str) -> tuple:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def nginx_files(version: str) -> dict:
    return {
        "usr/share/nginx/html/index.html": NGINX_INDEX if _vtuple(version) >= (1, 21) else NGINX_INDEX_OLD,
        "usr/share/nginx/html/50x.html": "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n"
                                         "<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n",
        "etc/nginx/nginx.conf": "user  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\n"
                                "pid        /var/run/nginx.pid;\n\nevents {\n    worker_connections  1024;\n}\n\n"
                                "http {\n    include       /etc/nginx/mime.types;\n    include /etc/nginx/conf.d/*.conf;\n}\n",
        "etc/nginx/conf.d/default.conf": NGINX_DEFAULT_CONF,
        "var/log/nginx/access.log": "", "var/log/nginx/error.log": "",
        "docker-entrypoint.sh": "#!/bin/sh\n",
    }


class Nginx(ServerProcess):
    """nginx as the official image runs it (``nginx -g 'daemon off;'``, logs to stdout/stderr)."""

    RSS = 3 << 20 | 512 << 10

    __slots__ = ("entrypoint", "_conf")  # the image of most pods: no instance dict

    def __init__(self, image, argv, sandbox, now, entrypoint: bool = False):
        self.entrypoint = entrypoint
        self._conf = None
        super().__init__(image, argv, sandbox, now)

    @property
    def version(self) -> str:
        return self.image.app_version

    @property
    def new_image(self) -> bool:
        """1.19+ images run /docker-entrypoint.d scripts and log at ``notice`` level."""
        return _vtuple(self.version) >= (1, 19)

    def _config(self):
        """(ports, root, fixed response) from the server blocks in /etc/nginx/conf.d/*.conf."""
        fs = self.fs
        texts = []
        try:
            for name in fs.listdir("/etc/nginx/conf.d"):
                if name.endswith(".conf") and fs.isfile(f"/etc/nginx/conf.d/{name}"):
                    texts.append(fs.read(f"/etc/nginx/conf.d/{name}"))
        except OSError:
            pass
        conf = "\n".join(texts)
        ports = tuple(sorted({int(p) for p in re.findall(r"^\s*listen\s+(\d+)", conf, re.M)})) or (80,)
        m = re.search(r"^\s*root\s+([^;]+);", conf, re.M)
        root = m.group(1).strip() if m else "/usr/share/nginx/html"
        ret = re.search(r"^\s*return\s+(\d{3})\s*(?:\"([^\"]*)\"|'([^']*)'|([^;]*))?;", conf, re.M)
        fixed = (int(ret.group(1)), (ret.group(2) or ret.group(3) or ret.group(4) or "")
                 .replace("\\n", "\n")) if ret else None
        return ports, root, fixed

    def config(self):
        """nginx reads its configuration at start-up (and on ``nginx -s reload``); here on
        first use, so an idle nginx never touches its filesystem."""
        if self._conf is None:
            self._conf = self._config()
        return self._conf

    def ports(self):
        return self.config()[0]

    def startup(self, now):
        if self.entrypoint and self.new_image:
            v = _vtuple(self.version)
            lines = ["/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                     "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
                     "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
                     "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
                     "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf"]
            if v >= (1, 25):
                lines.append("/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh")
            lines.append("/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh")
            if v >= (1, 21):
                lines.append("/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh")
            lines.append("/docker-entrypoint.sh: Configuration complete; ready for start up")
            self.say(now, *lines)
        if self.new_image:
            ts = ymd_time(now)
            gcc = "12.2.0 (Debian 12.2.0-14)" if _vtuple(self.version) >= (1, 23) else "10.2.1 20210110 (Debian 10.2.1-6)"
            notes = ['using the "epoll" event method', f"nginx/{self.version}", f"built by gcc {gcc} ",
                     "OS: Linux 6.8.0-1017-generic", "getrlimit(RLIMIT_NOFILE): 1048576:1048576",
                     "start worker processes"]
            notes += [f"start worker process {29 + k}" for k in range(4)]
            self.say(now, *(f"{ts} [notice] 1#1: {n}" for n in notes), stream="stderr")

    def shutdown(self, now):
        if not self.new_image:
            return
        ts = ymd_time(now)
        lines = [f"{ts} [notice] 1#1: signal 3 (SIGQUIT) received, shutting down"]
        for k in range(4):
            lines += [f"{ts} [notice] {29 + k}#{29 + k}: gracefully shutting down",
                      f"{ts} [notice] {29 + k}#{29 + k}: exiting", f"{ts} [notice] {29 + k}#{29 + k}: exit"]
        for k in range(4):
            lines += [f"{ts} [notice] 1#1: signal 17 (SIGCHLD) received from {29 + k}",
                      f"{ts} [notice] 1#1: worker process {29 + k} exited with code 0"]
        lines.append(f"{ts} [notice] 1#1: exit")
        self.say(now, *lines, stream="stderr")

    def _page(self, status: int, title: str) -> str:
        return (f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {title}</h1></center>\r\n<hr><center>nginx/{self.version}"
                f"</center>\r\n</body>\r\n</html>\r\n")

    def handle(self, port, path, now, headers, client_ip):
        _, root, fixed = self.config()
        url = path.split("?")[0]
        host = headers.get("Host") or self.sb.pod_ip or "localhost"
        if fixed:
            status, body = fixed
        else:
            target = posixpath.normpath(root + "/" + url.lstrip("/"))
            status, body = 200, None
            if url.endswith("/") or self.fs.isdir(target):
                index = posixpath.join(target, "index.html")
                if self.fs.isfile(index):
                    body = self.fs.read(index)
                elif self.fs.isdir(target):
                    status, body = 403, self._page(403, "Forbidden")
                    self._error(now, f'directory index of "{target.rstrip("/")}/" is forbidden',
                                client_ip, path, host)
                else:
                    status, body = 404, self._page(404, "Not Found")
            elif self.fs.isfile(target):
                body = self.fs.read(target)
            else:
                status, body = 404, self._page(404, "Not Found")
                self._error(now, f'open() "{target}" failed (2: No such file or directory)',
                            client_ip, path, host)
        agent = headers.get("User-Agent", "-")
        self.say(now, f'{client_ip} - - [{clf_time(now)}] "GET {path} HTTP/1.1" {status} '
                      f'{len(body.encode())} "-" "{agent}"' + (' "-"' if self.new_image else ""))
        return status, body

    def _error(self, now, msg, client_ip, path, host):
        self.say(now, f'{ymd_time(now)} [error] 29#29: *{self.requests} {msg}, client: {client_ip}, '
                      f'server: localhost, request: "GET {path} HTTP/1.1", host: "{host}"',
                 stream="stderr")


def nginx_entry(image, argv, sb, now):
    """``/docker-entrypoint.sh nginx -g 'daemon off;'``: configure, then exec nginx.
    Other commands (``/docker-entrypoint.sh sh -c ...``) are exec'ed as given."""
    if len(argv) > 1 and posixpath.basename(argv[1]) in ("nginx", "nginx-debug"):
        return nginx_main(image, argv[1:], sb, now, entrypoint=True)
    return image.start_argv(argv[1:], sb, now) if len(argv) > 1 else None


def nginx_main(image, argv, sb, now, entrypoint=False):
    if any(a in ("-v", "-V", "-t", "-T", "-s", "-h", "-?") for a in argv[1:]):
        return None  # a one-shot command: run by the shell machinery (see nginx_cmd)
    return Nginx(image, argv, sb, now, entrypoint=entrypoint)


def nginx_cmd(sh, argv, io):
    """``nginx -v`` / ``nginx -t`` / ``nginx -s reload`` inside the container."""
    from .shell.runtime import Takeover
    v = sh.proc.image.app_version
    if "-v" in argv or "-V" in argv:
        io.err.write(f"nginx version: nginx/{v}\n")
        return 0
    if "-t" in argv or "-T" in argv:
        io.err.write("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
                     "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
        return 0
    if "-s" in argv:
        server = getattr(sh.proc, "server", None) or sh.proc
        if isinstance(server, Nginx):
            server._conf = None  # reload: read the configuration again
        return 0
    raise Takeover(lambda image, av, sb, now: Nginx(image, av, sb, now), argv)


# -- Apache httpd ---------------------------------------------------------------------------------
class Httpd(ServerProcess):
    RSS = 6 << 20

    def startup(self, now):
        ip = self.sb.pod_ip or "127.0.0.1"
        t = _apache_time(now)
        self.say(now, f"AH00558: httpd: Could not reliably determine the server's fully qualified "
                      f"domain name, using {ip}. Set the 'ServerName' directive globally to suppress this message",
                 f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, "
                 f"using {ip}. Set the 'ServerName' directive globally to suppress this message",
                 f"[{t}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/{self.image.app_version} (Unix) "
                 "configured -- resuming normal operations",
                 f"[{t}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
                 stream="stderr")

    def shutdown(self, now):
        self.say(now, f"[{_apache_time(now)}] [mpm_event:notice] [pid 1:tid 1] AH00492: caught "
                      "SIGWINCH, shutting down gracefully", stream="stderr")

    def handle(self, port, path, now, headers, client_ip):
        root = "/usr/local/apache2/htdocs"
        url = path.split("?")[0]
        target = posixpath.normpath(root + "/" + url.lstrip("/"))
        if self.fs.isdir(target):
            target = posixpath.join(target, "index.html")
        if self.fs.isfile(target):
            status, body = 200, self.fs.read(target)
        else:
            status = 404
            body = ('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not '
                    'Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found '
                    'on this server.</p>\n</body></html>\n')
        self.say(now, f'{client_ip} - - [{clf_time(now)}] "GET {path} HTTP/1.1" {status} {len(body)}')
        return status, body


def _apache_time(t: float) -> str:
    from datetime import datetime, timezone
    d = datetime.fromtimestamp(t, tz=timezone.utc)
    return d.strftime("%a %b %d %H:%M:%S.") + f"{int((t % 1) * 1e6):06d} {d.year}"


HTTPD_FILES = {"usr/local/apache2/htdocs/index.html": "<html><body><h1>It works!</h1></body></html>\n",
               "usr/local/apache2/conf/httpd.conf": "Listen 80\n"}


class PhpApache(Httpd):
    """registry.k8s.io/hpa-example: each request to ``/`` burns CPU (a loop of square roots)
    and answers ``OK!``; under load the pod's CPU climbs to its limit, and the HPA scales."""

    REQUEST_CPU = 0.02

    def handle(self, port, path, now, headers, client_ip):
        self.say(now, f'{client_ip} - - [{clf_time(now)}] "GET {path} HTTP/1.1" 200 3 "-" '
                      f'"{headers.get("User-Agent", "-")}"')
        return 200, "OK!"


# -- Google samples -------------------------------------------------------------------------------
class HelloApp(ServerProcess):
    """gcr.io/google-samples/hello-app:1.0 / 2.0 (Go): ``Hello, world!`` with its version."""

    PORTS = (8080,)
    RSS = 2 << 20
    IGNORES_TERM = False
    STOP_SECONDS = 0.0
    STOP_CODE = 2

    def ports(self):
        try:
            return (int(self.env.get("PORT", "8080")),)
        except ValueError:
            return (8080,)

    def startup(self, now):
        self.say(now, f"{ymd_time(now)} Server listening on port {self.ports()[0]}", stream="stderr")

    def handle(self, port, path, now, headers, client_ip):
        self.say(now, f"{ymd_time(now)} Serving request: {path.split('?')[0]}", stream="stderr")
        v = self.image.app_version
        return 200, f"Hello, world!\nVersion: {v if v.count('.') == 2 else v + '.0'}\nHostname: {self.sb.hostname}\n"


class GuestbookFrontend(Httpd):
    """The guestbook's PHP frontend: serves the page; ``guestbook.php`` talks to Redis."""

    def handle(self, port, path, now, headers, client_ip):
        if path.startswith("/guestbook.php"):
            self.say(now, f'{client_ip} - - [{clf_time(now)}] "GET {path} HTTP/1.1" 200 -')
            return 200, '{"data": ""}'
        self.say(now, f'{client_ip} - - [{clf_time(now)}] "GET {path} HTTP/1.1" 200 921')
        return 200, ("<html ng-app=\"redis\">\n  <head>\n    <title>Guestbook</title>\n  </head>\n"
                     "  <body>\n    <h2>Guestbook</h2>\n  </body>\n</html>\n")


# -- python -m http.server, memcached -------------------------------------------------------------
class PythonHttpServer(ServerProcess):
    """``python -m http.server [port]``: serves the working directory, logs like Python does."""

    RSS = 12 << 20

    def ports(self):
        nums = [a for a in self.argv if a.isdigit()]
        return (int(nums[0]) if nums else 8000,)

    def startup(self, now):
        # print() to a pipe is block-buffered: without PYTHONUNBUFFERED this line never shows
        # up in ``kubectl logs`` (the access log goes to stderr, which is unbuffered)
        if self.env.get("PYTHONUNBUFFERED"):
            port = self.ports()[0]
            self.say(now, f"Serving HTTP on 0.0.0.0 port {port} (http://0.0.0.0:{port}/) ...")

    def handle(self, port, path, now, headers, client_ip):
        url = path.split("?")[0]
        target = posixpath.normpath(self.fs.abspath("." + url))
        if self.fs.isdir(target):
            index = posixpath.join(target, "index.html")
            if self.fs.isfile(index):
                status, body = 200, self.fs.read(index)
            else:
                items = "".join(f'<li><a href="{n}">{n}</a></li>\n' for n in self.fs.listdir(target))
                status, body = 200, f"<html>\n<body>\n<h1>Directory listing for {url}</h1>\n<hr>\n<ul>\n{items}</ul>\n</body>\n</html>\n"
        elif self.fs.isfile(target):
            status, body = 200, self.fs.read(target)
        else:
            status, body = 404, "<h1>Error response</h1><p>Error code: 404</p><p>Message: File not found.</p>"
        self.say(now, f'{client_ip} - - [{clf_time(now).rsplit(" ", 1)[0]}] "GET {path} HTTP/1.1" {status} -',
                 stream="stderr")
        return status, body


def python_cmd(sh, argv, io):
    """``python -m http.server`` (becomes the server), ``python -c 'print("...")'``."""
    from .shell.runtime import Takeover
    if "-m" in argv and argv[argv.index("-m") + 1:argv.index("-m") + 2] == ["http.server"]:
        raise Takeover(lambda image, av, sb, now: PythonHttpServer(image, av, sb, now), argv)
    if "--version" in argv or "-V" in argv:
        io.out.write(f"Python {sh.proc.image.app_version}\n")
        return 0
    if "-c" in argv:
        code = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
        for stmt in code.replace(";", "\n").splitlines():
            m = re.fullmatch(r"\s*print\((['\"])(.*)\1\)\s*", stmt)
            if m:
                io.out.write(m.group(2) + "\n")
        return 0
    return 0


class Memcached(ServerProcess):
    PORTS = (11211,)
    RSS = 2 << 20
