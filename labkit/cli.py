"""The ``labkit`` command. Subcommands:

* ``labkit grade SUBMISSIONS... --out DIR``: grade submitted notebooks (:mod:`labkit.grading.cli`).
* ``labkit serve [--nodes N] [--kubeconfig PATH]``: serve an in-memory cluster to real kubectl.
"""
from __future__ import annotations

import argparse
import sys

SUBCOMMANDS = {"grade": ("labkit.grading.cli", "grade submitted notebooks"),
               "serve": ("labkit.minicluster.http.cli", "serve an in-memory cluster to kubectl")}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="labkit", description="labkit: a hands-on Kubernetes course")
    parser.add_argument("command", choices=sorted(SUBCOMMANDS), help="; ".join(
        f"{name}: {text}" for name, (_, text) in sorted(SUBCOMMANDS.items())))
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    if argv[0] not in SUBCOMMANDS:
        parser.parse_args(argv[:1])  # exits with argparse's "invalid choice" message
    import importlib
    module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
