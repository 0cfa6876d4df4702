"""What a container's programs can reach over the network (the outbound side).

Programs in containers make requests (``wget http://php-apache``, ``mysql -h mysql-0.mysql``).
They do it through a *network* object with three methods, which the kubelet provides for each
pod (the cluster network module routes Service VIPs and DNS names to pods):

- ``resolve(host, now) -> ip or None`` (DNS),
- ``request(host, port, path, now, headers=None, client_ip="") -> (status, body)``
  (an HTTP GET; raises :class:`~.process.NetError` when nothing answers),
- ``open_tcp(host, port, now) -> Process`` (the process listening there, for protocol
  clients such as ``redis-cli`` or ``mysql``; raises :class:`~.process.NetError`).

:class:`NoNetwork` is the fallback: no cluster, but a tiny simulated Internet so that the
documentation's examples that fetch ``http://info.cern.ch`` work.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from .process import NetError

CERN_PAGE = """<html><head></head><body><header>
<title>http://info.cern.ch</title>
</header>

<h1>http://info.cern.ch - home of the first website</h1>
<p>From here you can:</p>
<ul>
<li><a href="http://info.cern.ch/hypertext/WWW/TheProject.html">Browse the first website</a></li>
<li><a href="http://line-mode.cern.ch/www/hypertext/WWW/TheProject.html">Browse the first website using the line-mode browser simulator</a></li>
<li><a href="http://home.web.cern.ch/topics/birth-web">Learn about the birth of the web</a></li>
<li><a href="http://home.web.cern.ch/about">Learn about CERN, the physics laboratory where the web was born</a></li>
</ul>
</body></html>
"""

EXAMPLE_PAGE = """<!doctype html>
<html>
<head>
    <title>Example Domain</title>
</head>
<body>
<div>
    <h1>Example Domain</h1>
    <p>This domain is for use in illustrative examples in documents. You may use this
    domain in literature without prior coordination or asking for permission.</p>
</div>
</body>
</html>
"""

#: the simulated Internet: host → (IP, {path: body})
INTERNET = {
    "info.cern.ch": ("188.184.67.127", {"/": CERN_PAGE}),
    "example.com": ("93.184.215.14", {"/": EXAMPLE_PAGE}),
    "www.example.com": ("93.184.215.14", {"/": EXAMPLE_PAGE}),
}


def split_url(url: str, default_port: int = 80):
    """``http://host:8080/p?q`` → ``("http", "host", 8080, "/p?q")`` (no scheme = http)."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else default_port)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname or "", port, path


class NoNetwork:
    """No cluster network: localhost and the simulated Internet only."""

    def resolve(self, host: str, now: float) -> str | None:
        if host in ("localhost", "127.0.0.1"):
            return "127.0.0.1"
        entry = INTERNET.get(host.rstrip("."))
        if entry:
            return entry[0]
        return host if _is_ip(host) else None

    def request(self, host: str, port: int, path: str, now: float, headers=None, client_ip=""):
        entry = INTERNET.get(host.rstrip("."))
        if entry is None:
            ip = self.resolve(host, now)
            if ip is None:
                raise NetError(f"dial tcp: lookup {host}: no such host", "dns")
            raise NetError(f"dial tcp {ip}:{port}: connect: connection refused")
        body = entry[1].get(path.split("?")[0])
        return (200, body) if body is not None else (404, "Not Found\n")

    def open_tcp(self, host: str, port: int, now: float):
        ip = self.resolve(host, now)
        if ip is None:
            raise NetError(f"dial tcp: lookup {host}: no such host", "dns")
        raise NetError(f"dial tcp {ip}:{port}: connect: connection refused")


def _is_ip(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)
