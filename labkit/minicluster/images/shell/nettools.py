"""Network tools found in images: busybox ``wget``/``nslookup``/``nc``/``ping``, ``curl``.

They reach other pods and Services through the container's network object
(:mod:`..network`); output and error messages follow busybox and curl.
"""
from __future__ import annotations

import posixpath
import re

from ..fs import FsError
from ..network import split_url
from ..process import NetError

_REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
            302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def t_wget(sh, argv, io):
    """busybox wget: ``wget -qO- http://svc``, ``wget -O /work-dir/index.html http://...``."""
    args, out, quiet, spider, timeout, url = argv[1:], None, False, False, 10.0, None
    k = 0
    while k < len(args):
        a = args[k]
        if a in ("-O", "--output-document") and k + 1 < len(args):
            out = args[k + 1]
            k += 2
            continue
        if a.startswith("-") and not a.startswith("--") and len(a) > 1:
            quiet = quiet or "q" in a
            if "O" in a:
                out = a.split("O", 1)[1] or (args[k + 1] if k + 1 < len(args) else "-")
                if not a.split("O", 1)[1]:
                    k += 1
            if a.startswith("-T"):
                timeout = float(a[2:] or args[k + 1])
        elif a == "--spider":
            spider = True
        elif a.startswith("--timeout="):
            timeout = float(a.split("=", 1)[1])
        elif not a.startswith("-"):
            url = a
        k += 1
    if url is None:
        sh.err.write("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] URL...\n")
        return 1
    _, host, port, path = split_url(url)
    net = sh.proc.sb.net
    yield from sh.pay(0.005)
    ip = net.resolve(host, sh.now)
    if ip is None:
        sh.err.write(f"wget: bad address '{host}'\n")
        return 1
    if not quiet:
        sh.err.write(f"Connecting to {host}{'' if port == 80 else ''} ({ip}:{port})\n")
    try:
        status, body = net.request(host, port, path, sh.now, {"User-Agent": "Wget"},
                                   sh.proc.sb.pod_ip)
    except NetError as e:
        if e.kind == "timeout":
            sh.err.write("wget: download timed out\n")
        else:
            sh.err.write(f"wget: can't connect to remote host ({ip}): Connection refused\n")
        return 1
    if status >= 400:
        sh.err.write(f"wget: server returned error: HTTP/1.1 {status} {_REASONS.get(status, '')}\n")
        return 1
    if spider:
        if not quiet:
            sh.err.write("remote file exists\n")
        return 0
    target = out if out is not None else (posixpath.basename(path.split("?")[0]) or "index.html")
    if target == "-":
        if not quiet:
            sh.err.write("writing to stdout\n")
        io.out.write(body)
        if not quiet:
            sh.err.write(f"-                    100% |********************************|  {len(body):>4}  0:00:00 ETA\nwritten to stdout\n")
        return 0
    try:
        sh.fs.write(target, body)
    except FsError as e:
        sh.err.write(f"wget: can't open '{target}': {e}\n")
        return 1
    if not quiet:
        sh.err.write(f"saving to '{target}'\n{posixpath.basename(target):<20} 100% "
                     f"|********************************|  {len(body):>4}  0:00:00 ETA\n'{target}' saved\n")
    return 0


def t_curl(sh, argv, io):
    args = argv[1:]
    silent = any(a.startswith("-") and "s" in a and not a.startswith("--") for a in args)
    head = "-I" in args or "--head" in args
    out = None
    url = None
    for k, a in enumerate(args):
        if a == "-o" and k + 1 < len(args):
            out = args[k + 1]
        elif not a.startswith("-") and (k == 0 or args[k - 1] not in ("-o", "-H", "-X", "-d", "-m")):
            url = a
    if url is None:
        sh.err.write("curl: try 'curl --help' or 'curl --manual' for more information\n")
        return 2
    _, host, port, path = split_url(url)
    net = sh.proc.sb.net
    yield from sh.pay(0.005)
    try:
        status, body = net.request(host, port, path, sh.now, {"User-Agent": "curl/7.88.1"},
                                   sh.proc.sb.pod_ip)
    except NetError as e:
        if e.kind == "dns" or net.resolve(host, sh.now) is None:
            sh.err.write(f"curl: (6) Could not resolve host: {host}\n")
            return 6
        sh.err.write(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: "
                     "Couldn't connect to server\n")
        return 7
    if head:
        io.out.write(f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n\r\n")
    elif out:
        sh.fs.write(out, body)
    else:
        io.out.write(body)
    return 0


def t_nslookup(sh, argv, io):
    names = [a for a in argv[1:] if not a.startswith("-")]
    if not names:
        sh.err.write("Usage: nslookup HOST [DNS_SERVER]\n")
        return 1
    host = names[0]
    net = sh.proc.sb.net
    server = _nameserver(sh)
    lookup = getattr(net, "lookup", None)
    found = lookup(host, sh.now) if lookup else ((host, net.resolve(host, sh.now))
                                                 if net.resolve(host, sh.now) else None)
    io.out.write(f"Server:\t\t{server}\nAddress:\t{server}:53\n\n")
    if not found:
        sh.err.write(f"** server can't find {host}: NXDOMAIN\n\n")
        return 1
    fqdn, ip = found
    io.out.write(f"Name:\t{fqdn}\nAddress: {ip}\n\n")
    return 0


def _nameserver(sh) -> str:
    try:
        conf = sh.fs.read("/etc/resolv.conf")
    except FsError:
        return "10.96.0.10"
    m = re.search(r"^nameserver\s+(\S+)", conf, re.M)
    return m.group(1) if m else "10.96.0.10"


def t_nc(sh, argv, io):
    """``nc -z host port`` (is it open?), ``nc host port`` (send stdin), ``nc -l -p port``."""
    from .runtime import Takeover
    args = [a for a in argv[1:] if not a.startswith("-")]
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and not a.startswith("--"))
    if "l" in flags or "--listen" in argv:
        port = next((int(a) for a in args if a.isdigit()), 0)
        from ..server import ListenerProcess
        raise Takeover(lambda image, av, sb, now: ListenerProcess(image, av, sb, now, port), argv)
    if len(args) < 2:
        sh.err.write("usage: nc [OPTIONS] HOST PORT\n")
        return 1
    host, port = args[0], int(args[1])
    yield from sh.pay(0.002)
    try:
        peer = sh.proc.sb.net.open_tcp(host, port, sh.now)
    except NetError:
        if "z" not in flags:
            sh.err.write(f"nc: can't connect to remote host ({host}): Connection refused\n")
        return 1
    if "z" in flags:
        return 0
    reply = getattr(peer, "tcp_exchange", lambda data, now: "")(io.stdin, sh.now)
    io.out.write(reply)
    return 0


def t_ping(sh, argv, io):
    args = [a for a in argv[1:] if not a.startswith("-")]
    count = 4
    if "-c" in argv:
        count = int(argv[argv.index("-c") + 1])
        args = [a for a in args if a != str(count)]
    if not args:
        sh.err.write("ping: usage error: Destination address required\n")
        return 1
    host = args[0]
    ip = sh.proc.sb.net.resolve(host, sh.now)
    if ip is None:
        sh.err.write(f"ping: bad address '{host}'\n")
        return 1
    io.out.write(f"PING {host} ({ip}): 56 data bytes\n")
    for k in range(count):
        io.out.write(f"64 bytes from {ip}: seq={k} ttl=64 time=0.081 ms\n")
        if k < count - 1:
            yield from sh.sleep(1.0)
    io.out.write(f"\n--- {host} ping statistics ---\n{count} packets transmitted, {count} packets "
                 f"received, 0% packet loss\nround-trip min/avg/max = 0.081/0.081/0.081 ms\n")
    return 0
