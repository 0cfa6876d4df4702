"""Run the benchmarks and print their figures: ``python -m benchmarks [name ...] [--quick]``.

Names: startup, scheduler, scale, http, grading (each module's ``run()``); default: all but
the slow ``scale`` (add it by name).
"""
from __future__ import annotations

import importlib
import json
import sys


def _run(name, quick):
    if name == "startup":
        from . import bench_cluster
        return bench_cluster.startup()
    if name == "scale":
        from . import bench_cluster
        return bench_cluster.scale_suite(quick)
    mod = importlib.import_module(f"benchmarks.bench_{name}")
    return mod.run(quick=quick) if "quick" in mod.run.__code__.co_varnames else mod.run()


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    quick = "--quick" in argv
    names = [a for a in argv if not a.startswith("-")] or ["startup", "scheduler", "http", "grading"]
    for name in names:
        try:
            figures = _run(name, quick)
        except ModuleNotFoundError as e:
            print(f"== {name}: not available ({e.name})")
            continue
        print(f"== {name}")
        print(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
