"""The kernel the grader runs student code in, and the limits around it.

papermill starts a Jupyter kernel from a *kernelspec* (a ``kernel.json`` with a command line).
The grader writes its own kernelspec, ``labkit-grader``, into the batch's work folder and points
``JUPYTER_PATH`` at it, so the kernel is always this interpreter (``sys.executable``, the venv's
python), whatever other ``python3`` kernelspecs the machine has.

With limits, the kernelspec's command is this module, which applies them and then ``exec`` s the
real kernel::

    python -m labkit.grading.sandbox --memory 4G --fsize 1G [--cpu 600] [--user nobody] \\
        -- python -m ipykernel_launcher -f {connection_file}

* ``--memory``: address-space limit (RLIMIT_AS): a runaway allocation fails with MemoryError
  instead of taking the machine down;
* ``--fsize``: largest file the kernel may write (RLIMIT_FSIZE);
* ``--cpu``: CPU seconds (RLIMIT_CPU), a second line of defence behind the grader's wall clock;
* ``--nproc``: processes for the kernel's user (RLIMIT_NPROC; meaningful with ``--user``);
* ``--user``: when the grader runs as root, run the kernel as this (unprivileged) user: the
  student's code then cannot write the grader's files, other submissions or the installed
  labkit, nor signal the grader. The kernel's own folder (the one holding the evidence file)
  is handed to that user; the working directory (e.g. the course folder, for relative paths)
  stays as it is, readable but not writable for them.

The environment is reduced to a short allow-list (no tokens or credentials of the grader's
session reach student code). Linux/macOS only (``resource``, ``os.setuid``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

KERNEL_NAME = "labkit-grader"
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "MPLBACKEND",
             "JPY_PARENT_PID", "PYTHONPATH", "VIRTUAL_ENV", "NO_COLOR", "TMPDIR")
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text) -> int:
    """``"4G"`` -> bytes (K, M, G, T; binary units, like ``ulimit``)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(text), re.I)
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 512M or 4G)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def write_kernelspec(root: Path, memory=None, fsize=None, cpu=None, nproc=None,
                     user=None) -> Path:
    """Write ``root/kernels/labkit-grader/kernel.json``; returns ``root`` (for JUPYTER_PATH)."""
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    limits = []
    for flag, value in (("--memory", memory), ("--fsize", fsize), ("--cpu", cpu),
                        ("--nproc", nproc), ("--user", user)):
        if value not in (None, "", 0):
            limits += [flag, str(value)]
    argv = [sys.executable, "-m", "labkit.grading.sandbox", *limits, "--", *kernel] \
        if limits else kernel
    spec = {"argv": argv, "display_name": "labkit grader (Python)", "language": "python",
            "metadata": {"labkit": {"limits": limits}}}
    folder = Path(root) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return Path(root)


def _apply_limits(args: dict) -> None:
    import resource
    table = {"memory": resource.RLIMIT_AS, "fsize": resource.RLIMIT_FSIZE,
             "cpu": resource.RLIMIT_CPU, "nproc": resource.RLIMIT_NPROC}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for name, which in table.items():
        if args.get(name) is None:
            continue
        value = int(args[name]) if name in ("cpu", "nproc") else parse_size(args[name])
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def _drop_to(user: str, cmd: list[str]) -> list[str]:
    """Become ``user``; the connection file moves into the working folder they now own."""
    import pwd
    if os.geteuid() != 0:
        raise SystemExit(f"labkit sandbox: --user {user} needs the grader to run as root")
    pw = pwd.getpwnam(user)
    work = kernel_home()
    for path in (work.parent, Path(cmd[0]).resolve().parent):
        _check_reachable(path, pw.pw_uid)
    if "-f" in cmd:
        i = cmd.index("-f") + 1
        copy = work / Path(cmd[i]).name
        shutil.copyfile(cmd[i], copy)
        cmd = cmd[:i] + [str(copy)] + cmd[i + 1:]
    for path in [work, *work.rglob("*")]:
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.setgroups([])
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    return cmd


def _check_reachable(path: Path, uid: int) -> None:
    """Every folder above ``path`` must let others in (x), or the kernel cannot start as them."""
    for folder in [path, *path.parents]:
        st = folder.stat()
        if st.st_uid != uid and not st.st_mode & 0o001:
            raise SystemExit(f"labkit sandbox: the kernel's user cannot reach {path} ({folder} "
                             "is closed to other users): put --out and the Python environment "
                             "under folders others may enter (e.g. /tmp, /opt), or use a "
                             "container")


def kernel_home() -> Path:
    """The kernel's own folder (the one holding the evidence file), made by the grader."""
    record = os.environ.get("LABKIT_GRADING_RECORD")
    return Path(record).parent if record else Path.cwd()


def _clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k in _KEEP_ENV or k.startswith("LABKIT_")}
    env.update(HOME=str(home), IPYTHONDIR=str(home / ".ipython"),
               MPLCONFIGDIR=str(home / ".matplotlib"), JUPYTER_RUNTIME_DIR=str(home / ".runtime"))
    return env


def main(argv=None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        raise SystemExit("usage: python -m labkit.grading.sandbox [limits] -- kernel command")
    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1:]
    args = {}
    for flag, value in zip(opts[::2], opts[1::2]):
        args[flag.lstrip("-")] = value
    _apply_limits(args)  # first: after dropping privileges even imports may be out of reach
    if args.get("user"):
        cmd = _drop_to(args["user"], cmd)
    env = _clean_env(kernel_home())
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
