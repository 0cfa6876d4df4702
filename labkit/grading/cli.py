"""``labkit grade``: grade a folder of submitted notebooks in one command.

    labkit grade submissions/ --out grades/ --notebook course/04-workloads/02-deployments.ipynb \\
        --workers 2 --timeout 300

The top-level ``labkit`` command delegates its ``grade`` subcommand to :func:`main`.
"""
from __future__ import annotations

import argparse
import sys


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    p = parser or argparse.ArgumentParser(prog="labkit grade")
    p.description = ("Execute each submitted notebook with papermill, re-run the official checks "
                     "on what it recorded, and write grades.csv, report.html and feedback/.")
    p.add_argument("submissions", nargs="+", help="notebook files and/or folders of notebooks")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--notebook", help="the assignment: a notebook id (04-workloads/02-deployments) "
                   "or the reference notebook's path; default: inferred from the file names")
    p.add_argument("--workers", type=int, default=1, help="submissions run in parallel (1)")
    p.add_argument("--timeout", type=float, default=300,
                   help="seconds per notebook, wall clock, kernel start included (300)")
    p.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds before a single cell is interrupted (default: --timeout)")
    p.add_argument("--check-timeout", type=float, default=10,
                   help="seconds per check when the grader evaluates it (10)")
    p.add_argument("--seed", type=int, default=0, help="injected as SEED / LABKIT_SEED (0)")
    p.add_argument("--resume", action="store_true",
                   help="skip submissions already graded with the same file and settings")
    p.add_argument("--checks", action="append", default=[], metavar="MODULE",
                   help="extra (private) checks: a .py file or a module name; a check with the "
                        "same id replaces the public one (repeatable)")
    p.add_argument("--memory", default="4G", help="kernel address-space limit (4G)")
    p.add_argument("--fsize", default="1G", help="largest file the kernel may write (1G)")
    p.add_argument("--cpu", type=int, default=None, help="kernel CPU-seconds limit (none)")
    p.add_argument("--user", default=None,
                   help="run student code as this unprivileged user (grader must be root)")
    p.add_argument("--no-sandbox", action="store_true", help="no limits on the kernel at all")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from .batch import grade_batch
    try:
        df = grade_batch(args.submissions, args.out, notebook=args.notebook, workers=args.workers,
                         timeout=args.timeout, cell_timeout=args.cell_timeout,
                         check_timeout=args.check_timeout, seed=args.seed, resume=args.resume,
                         checks=args.checks, memory=args.memory, fsize=args.fsize, cpu=args.cpu,
                         user=args.user, sandbox=not args.no_sandbox, progress=not args.quiet)
    except (ValueError, FileNotFoundError, KeyError) as e:
        print(f"labkit grade: error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 2
    counts = df["status"].value_counts()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"graded {len(df)} submissions ({summary}); mean {df['total'].mean():.2f}/"
          f"{df['max'].max() if len(df) else 0:g}; see {args.out}/grades.csv and report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
