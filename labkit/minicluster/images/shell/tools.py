"""The small programs found in container images: coreutils, busybox applets, network tools.

Output formats follow busybox (``wget``, ``nslookup``, ``date``) or GNU coreutils (Debian
images) closely enough that the documentation's examples read the same.
"""
from __future__ import annotations

import math
import posixpath
import re
from datetime import datetime, timezone

from ..fs import FsError
from ..process import OpenStdin


def _fs_err(sh, cmd, path, e):
    if sh.flavor == "bash":
        sh.err.write(f"{cmd}: {_q(path)}: {e}\n" if cmd != "cat" else f"{cmd}: {path}: {e}\n")
    else:
        sh.err.write(f"{cmd}: can't open '{path}': {e}\n" if cmd in ("cat", "head", "tail", "wc",
                                                                     "grep", "rev", "sort")
                     else f"{cmd}: {path}: {e}\n")


def _q(path):
    return f"'{path}'"


def _inputs(sh, cmd, files, io):
    """Texts of the named files (``-`` or none: stdin); (texts, status)."""
    if not files:
        return [io.stdin], 0
    out, status = [], 0
    for f in files:
        if f == "-":
            out.append(io.stdin)
            continue
        try:
            out.append(sh.fs.read(f))
        except FsError as e:
            _fs_err(sh, cmd, f, e)
            status = 1
    return out, status


def t_cat(sh, argv, io):
    texts, status = _inputs(sh, "cat", [a for a in argv[1:] if a != "-n" and a != "-v"] or
                            ([] if len(argv) == 1 else []), io)
    for t in texts:
        io.out.write(t)
    return status


def t_touch(sh, argv, io):
    status = 0
    for path in (a for a in argv[1:] if not a.startswith("-")):
        try:
            sh.fs.touch(path)
        except FsError as e:
            sh.err.write(f"touch: {path}: {e}\n" if sh.flavor != "bash"
                         else f"touch: cannot touch '{path}': {e}\n")
            status = 1
    return status


def t_rm(sh, argv, io):
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-") and len(a) > 1)
    force, recursive = "f" in flags, "r" in flags or "R" in flags
    status = 0
    for path in (a for a in argv[1:] if not a.startswith("-")):
        try:
            sh.fs.remove(path, recursive=recursive)
        except FsError as e:
            if force and e.message == "No such file or directory":
                continue
            msg = "Is a directory" if e.message in ("Is a directory", "Directory not empty") else e
            sh.err.write(f"rm: can't remove '{path}': {msg}\n" if sh.flavor != "bash"
                         else f"rm: cannot remove '{path}': {msg}\n")
            status = 1
    return status


def t_mkdir(sh, argv, io):
    parents = any(a in ("-p", "--parents") for a in argv[1:])
    status = 0
    for path in (a for a in argv[1:] if not a.startswith("-")):
        try:
            sh.fs.mkdir(path, parents=parents)
        except FsError as e:
            sh.err.write(f"mkdir: can't create directory '{path}': {e}\n" if sh.flavor != "bash"
                         else f"mkdir: cannot create directory '{path}': {e}\n")
            status = 1
    return status


def t_cp(sh, argv, io):
    args = [a for a in argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        sh.err.write("cp: missing file operand\n")
        return 1
    *srcs, dst = args
    status = 0
    for src in srcs:
        try:
            sh.fs.copy(src, dst)
        except FsError as e:
            sh.err.write(f"cp: can't stat '{src}': {e}\n" if sh.flavor != "bash"
                         else f"cp: cannot stat '{src}': {e}\n")
            status = 1
    return status


def t_mv(sh, argv, io):
    status = t_cp(sh, argv, io)
    if status == 0:
        for src in [a for a in argv[1:] if not a.startswith("-")][:-1]:
            sh.fs.remove(src)
    return status


def t_ls(sh, argv, io):
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    paths = [a for a in argv[1:] if not a.startswith("-")] or ["."]
    status = 0
    for p in paths:
        if sh.fs.isfile(p):
            io.out.write(p + "\n")
            continue
        try:
            names = sh.fs.listdir(p)
        except FsError as e:
            sh.err.write(f"ls: {p}: {e}\n" if sh.flavor != "bash"
                         else f"ls: cannot access '{p}': {e}\n")
            status = 2 if sh.flavor == "bash" else 1
            continue
        if "a" not in flags:
            names = [n for n in names if not n.startswith(".")]
        if len(paths) > 1:
            io.out.write(f"{p}:\n")
        if "l" in flags:
            for n in names:
                full = posixpath.join(p, n)
                kind = "d" if sh.fs.isdir(full) else "-"
                size = len(sh.fs.read(full)) if kind == "-" else 4096
                io.out.write(f"{kind}rw-r--r--    1 root     root    {size:>8} Jan  1 00:00 {n}\n")
        else:
            for n in names:
                io.out.write(n + "\n")
    return status


def t_date(sh, argv, io):
    t = datetime.fromtimestamp(sh.now, tz=timezone.utc)
    fmt = next((a[1:] for a in argv[1:] if a.startswith("+")), None)
    if fmt is not None:
        fmt = fmt.replace("%N", f"{int((sh.now % 1) * 1e9):09d}").replace("%s", str(int(sh.now)))
        io.out.write(t.strftime(fmt) + "\n")
    elif "-R" in argv:
        io.out.write(t.strftime("%a, %d %b %Y %H:%M:%S +0000") + "\n")
    elif "-I" in argv or "--iso-8601" in argv:
        io.out.write(t.strftime("%Y-%m-%d") + "\n")
    else:
        io.out.write(f"{t:%a %b} {t.day:2d} {t:%H:%M:%S} UTC {t.year}\n")
    return 0


def t_hostname(sh, argv, io):
    if "-i" in argv or "-I" in argv:
        io.out.write((sh.proc.sb.pod_ip or "127.0.0.1") + ("\n" if "-i" in argv else " \n"))
    else:
        io.out.write(sh.proc.sb.hostname + "\n")
    return 0


def t_printenv(sh, argv, io):
    env = sh.environ()
    if len(argv) == 1:
        for k, v in env.items():
            io.out.write(f"{k}={v}\n")
        return 0
    status = 0
    for name in argv[1:]:
        if name in env:
            io.out.write(env[name] + "\n")
        else:
            status = 1
    return status


def t_env(sh, argv, io):
    args = argv[1:]
    extra = {}
    while args and "=" in args[0]:
        k, _, v = args.pop(0).partition("=")
        extra[k] = v
    if args:
        saved = dict(sh.vars), set(sh.exported)
        sh.vars.update(extra)
        sh.exported |= set(extra)
        try:
            return (yield from sh.run_argv(args, io))
        finally:
            sh.vars, sh.exported = saved
    for k, v in {**sh.environ(), **extra}.items():
        io.out.write(f"{k}={v}\n")
    return 0


def _lines_cmd(name):
    def run(sh, argv, io):
        n, files, args = 10, [], argv[1:]
        k = 0
        while k < len(args):
            a = args[k]
            if a == "-n" and k + 1 < len(args):
                n = int(args[k + 1].lstrip("+-") or 10)
                k += 2
                continue
            if re.fullmatch(r"-n?\d+", a):
                n = int(a.lstrip("-n"))
            elif not a.startswith("-") or a == "-":
                files.append(a)
            k += 1
        texts, status = _inputs(sh, name, files, io)
        for t in texts:
            lines = t.splitlines(keepends=True)
            chosen = lines[:n] if name == "head" else (lines[-n:] if n else [])
            io.out.write("".join(chosen))
        return status
    return run


def t_wc(sh, argv, io):
    flags = "".join(a[1:] for a in argv[1:] if a.startswith("-"))
    files = [a for a in argv[1:] if not a.startswith("-")]
    texts, status = _inputs(sh, "wc", files, io)
    for k, t in enumerate(texts):
        counts = {"l": t.count("\n"), "w": len(t.split()), "c": len(t.encode())}
        shown = [counts[f] for f in "lwc" if f in flags] or list(counts.values())
        name = f" {files[k]}" if files else ""
        io.out.write(" ".join(f"{c:>7}" if len(shown) > 1 else str(c) for c in shown) + name + "\n")
    return status


def t_rev(sh, argv, io):
    texts, status = _inputs(sh, "rev", argv[1:], io)
    for t in texts:
        for line in t.splitlines():
            io.out.write(line[::-1] + "\n")
    return status


def t_tr(sh, argv, io):
    args = [a for a in argv[1:] if not a.startswith("-")]
    delete = "-d" in argv
    if delete and args:
        io.out.write("".join(c for c in io.stdin if c not in _charset(args[0])))
        return 0
    if len(args) < 2:
        return 1
    a, b = _charset(args[0]), _charset(args[1])
    b = b + b[-1:] * (len(a) - len(b))
    io.out.write(io.stdin.translate(str.maketrans(a, b[:len(a)])))
    return 0


def _charset(spec):
    spec = spec.replace("[:upper:]", "A-Z").replace("[:lower:]", "a-z")
    out, i = [], 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            out.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


def t_seq(sh, argv, io):
    nums = [int(a) for a in argv[1:] if a.lstrip("-").isdigit()]
    start, step, end = (1, 1, nums[0]) if len(nums) == 1 else \
        (nums[0], 1, nums[1]) if len(nums) == 2 else (nums[0], nums[1], nums[2])
    rng = range(start, end + (1 if step > 0 else -1), step) if step else []
    io.out.write("".join(f"{k}\n" for k in rng))
    return 0


def t_uname(sh, argv, io):
    parts = {"s": "Linux", "n": sh.proc.sb.hostname, "r": "6.8.0-1017-generic", "m": "x86_64"}
    if "-a" in argv:
        io.out.write(f"Linux {parts['n']} {parts['r']} #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n")
    else:
        flags = "".join(a[1:] for a in argv[1:] if a.startswith("-")) or "s"
        io.out.write(" ".join(parts[f] for f in flags if f in parts) + "\n")
    return 0


def t_whoami(sh, argv, io):
    io.out.write("root\n")
    return 0


def t_id(sh, argv, io):
    io.out.write("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n" if sh.flavor != "bash"
                 else "uid=0(root) gid=0(root) groups=0(root)\n")
    return 0


def t_basename(sh, argv, io):
    if len(argv) < 2:
        return 1
    name = posixpath.basename(argv[1].rstrip("/")) or "/"
    if len(argv) > 2 and name.endswith(argv[2]):
        name = name[:-len(argv[2])]
    io.out.write(name + "\n")
    return 0


def t_dirname(sh, argv, io):
    io.out.write((posixpath.dirname(argv[1].rstrip("/")) or ".") + "\n" if len(argv) > 1 else ".\n")
    return 0


def t_tee(sh, argv, io):
    append = "-a" in argv
    for f in (a for a in argv[1:] if not a.startswith("-")):
        try:
            sh.fs.write(f, io.stdin, append=append)
        except FsError as e:
            sh.err.write(f"tee: {f}: {e}\n")
    io.out.write(io.stdin)
    return 0


def t_grep(sh, argv, io):
    flags, args = "", []
    for a in argv[1:]:
        if a.startswith("-") and len(a) > 1 and not args:
            flags += a[1:]
        else:
            args.append(a)
    if not args:
        sh.err.write("Usage: grep [OPTIONS] PATTERN [FILE]...\n")
        return 2
    pat, files = args[0], args[1:]
    rx = re.compile(pat if "E" in flags or "F" not in flags else re.escape(pat),
                    re.I if "i" in flags else 0)
    texts, status = _inputs(sh, "grep", files, io)
    hits = 0
    for t in texts:
        for line in t.splitlines():
            if bool(rx.search(line)) != ("v" in flags):
                hits += 1
                if "q" not in flags and "c" not in flags:
                    io.out.write(line + "\n")
    if "c" in flags:
        io.out.write(f"{hits}\n")
    return status or (0 if hits else 1)


def t_sort(sh, argv, io):
    texts, status = _inputs(sh, "sort", [a for a in argv[1:] if not a.startswith("-")], io)
    lines = [l for t in texts for l in t.splitlines()]
    key = (lambda s: float(re.match(r"\s*(-?\d*\.?\d*)", s).group(1) or 0)) if "-n" in argv else None
    lines.sort(key=key, reverse="-r" in argv)
    io.out.write("".join(l + "\n" for l in lines))
    return status


def t_uniq(sh, argv, io):
    out, prev = [], None
    for line in io.stdin.splitlines():
        if line != prev:
            out.append(line)
        prev = line
    io.out.write("".join(l + "\n" for l in out))
    return 0


def t_cut(sh, argv, io):
    delim, fields = "\t", None
    args = argv[1:]
    for k, a in enumerate(args):
        if a.startswith("-d"):
            delim = a[2:] or args[k + 1]
        elif a.startswith("-f"):
            spec = a[2:] or args[k + 1]
            fields = [int(x) - 1 for x in spec.split(",") if x.isdigit()]
    for line in io.stdin.splitlines():
        parts = line.split(delim)
        io.out.write(delim.join(parts[f] for f in fields or [0] if f < len(parts)) + "\n")
    return 0


def t_expr(sh, argv, io):
    args = argv[1:]
    try:
        if len(args) == 3 and args[1] in "+-*/%":
            a, b = int(args[0]), int(args[2])
            from .expand import _apply
            val = _apply(args[1], a, b)
        elif len(args) == 3:
            val = int({"=": args[0] == args[2], "!=": args[0] != args[2],
                       "<": int(args[0]) < int(args[2]), ">": int(args[0]) > int(args[2])}[args[1]])
        else:
            val = args[0] if args else ""
    except (ValueError, KeyError):
        sh.err.write("expr: non-numeric argument\n")
        return 2
    io.out.write(f"{val}\n")
    return 0 if val not in (0, "0", "") else 1


def t_sed(sh, argv, io):
    scripts = [a for a in argv[1:] if a.startswith("s")] or \
        [argv[k + 1] for k, a in enumerate(argv[:-1]) if a == "-e"]
    files = [a for a in argv[1:] if not a.startswith("-") and a not in scripts]
    texts, status = _inputs(sh, "sed", files, io)
    text = "".join(texts)
    for script in scripts:
        m = re.fullmatch(r"s(.)(.*?)\1(.*?)\1([gI]*)", script)
        if m:
            pat = m.group(2).replace("\\(", "(").replace("\\)", ")") if "-E" not in argv else m.group(2)
            rep = re.sub(r"\\(\d)", r"\\\1", m.group(3)).replace("&", r"\g<0>")
            text = "".join(re.sub(pat, rep, line, count=0 if "g" in m.group(4) else 1)
                           for line in text.splitlines(keepends=True))
    io.out.write(text)
    return status


def t_ps(sh, argv, io):
    cmd = " ".join(sh.proc.argv)
    if sh.flavor == "bash":
        io.out.write("    PID TTY          TIME CMD\n      1 ?        00:00:00 "
                     f"{posixpath.basename(sh.proc.argv[0]) if sh.proc.argv else 'sh'}\n"
                     f"{sh.pid:>7} ?        00:00:00 ps\n")
    else:
        io.out.write(f"PID   USER     TIME  COMMAND\n    1 root      0:00 {cmd}\n"
                     f"{sh.pid:>5} root      0:00 ps\n")
    return 0


def t_nproc(sh, argv, io):
    io.out.write("4\n")
    return 0


def t_yes(sh, argv, io):
    io.out.write(((" ".join(argv[1:]) or "y") + "\n") * 1000)
    return 0


# -- shells ---------------------------------------------------------------------------------------
def t_sh(sh, argv, io):
    """``sh -c 'script' [name [args...]]``, ``sh script.sh``, or ``sh`` reading stdin."""
    from .runtime import Shell
    args = argv[1:]
    opts = set()
    script = None
    while args and args[0].startswith("-") and args[0] != "-":
        a = args.pop(0)
        if "c" in a:
            if not args:
                sh.error(f"-c: option requires an argument")
                return 2
            script = args.pop(0)
        opts |= set(a[1:]) - {"c", "l", "i"}
    name = posixpath.basename(argv[0])
    if script is None:
        if args:
            path = args.pop(0)
            if not sh.fs.isfile(path):
                sh.err.write(f"{name}: can't open '{path}': No such file or directory\n"
                             if name != "bash" else f"bash: {path}: No such file or directory\n")
                return 2 if name != "bash" else 127
            script, name = sh.fs.read(path), path
        else:
            script = io.stdin
    reuse = getattr(sh, "pid1_entry", False)  # PID 1 is this shell itself (its traps count)
    if reuse and not script and isinstance(io.stdin, OpenStdin):
        sh.pid1_entry = False
        sh.reads_terminal = True  # kubectl attach drives it (session.ShellSession.attached)
        yield math.inf  # an open stdin (spec stdin: true) with nothing typed yet: wait
        return 0
    sh.pid1_entry = False
    child = sh if reuse else Shell(sh.proc, sh.environ(), name=name, pid=sh.pid + 1)
    if reuse and name == "bash":
        sh.flavor = "bash"
    child.name = args[0] if args else name
    child.positional = args[1:]
    child.options |= opts
    child.out, child.err, child.stdin, child.now, child.fs = io.out, io.err, io.stdin, sh.now, sh.fs
    if child is not sh:
        child.flavor = "bash" if name == "bash" else sh.flavor
        child.traps, child.debt = {}, sh.debt
    status = yield from child.run_script(script)
    if child is not sh:
        sh.debt = child.debt
    return status


COREUTILS = {
    "cat": t_cat, "touch": t_touch, "rm": t_rm, "mkdir": t_mkdir, "cp": t_cp, "mv": t_mv,
    "ls": t_ls, "date": t_date, "hostname": t_hostname, "printenv": t_printenv, "env": t_env,
    "head": _lines_cmd("head"), "tail": _lines_cmd("tail"), "wc": t_wc, "rev": t_rev,
    "tr": t_tr, "seq": t_seq, "uname": t_uname, "whoami": t_whoami, "id": t_id,
    "basename": t_basename, "dirname": t_dirname, "tee": t_tee, "grep": t_grep, "sort": t_sort,
    "uniq": t_uniq, "cut": t_cut, "expr": t_expr, "sed": t_sed, "ps": t_ps, "nproc": t_nproc,
    "yes": t_yes, "sh": t_sh, "dash": t_sh,
}
from .nettools import t_curl, t_nc, t_nslookup, t_ping, t_wget  # noqa: E402

BUSYBOX = {**COREUTILS, "wget": t_wget, "nslookup": t_nslookup, "nc": t_nc, "ping": t_ping,
           "ash": t_sh}
FLAVORS = {
    "busybox": BUSYBOX,
    "alpine": BUSYBOX,
    "bash": {**COREUTILS, "bash": t_sh},
}
EXTRA_TOOLS = {"bash": t_sh, "curl": t_curl, "wget": t_wget, "nc": t_nc, "ncat": t_nc, "ping": t_ping,
               "nslookup": t_nslookup}


def flavor_tools(image) -> dict:
    """Programs an image's userland provides (its flavour plus the extras it lists)."""
    cache = getattr(image, "_tools_cache", None)
    if cache is None:
        cache = dict(FLAVORS.get(image.shell, {}))
        for name in getattr(image, "extra_tools", ()):
            if name in EXTRA_TOOLS:
                cache[name] = EXTRA_TOOLS[name]
        try:
            image._tools_cache = cache
        except AttributeError:
            pass
    return cache
