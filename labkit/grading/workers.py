"""The grader's worker processes, and how they are stopped.

Every worker runs in a session of its own (``start_new_session``), so one ``killpg`` stops
it *and* the kernel and whatever the student's code started. Two kinds:

* :class:`Runner`: a long-lived ``python -m labkit.grading.execute --serve`` that executes one
  submission after another (papermill and the official checks are imported once, before any
  student code runs). Each job has a wall-clock limit; past it the runner's whole process
  group is killed and a fresh runner is started for the next job.
* :func:`run_module`: a one-shot ``python -m MODULE JOB.json`` with a limit (the judge's
  fallback when a runner was killed).
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path


def kill_group(proc: subprocess.Popen) -> None:
    """Kill a worker's process group and any descendant that left it."""
    try:
        import psutil
        kids = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil may be missing or the process gone
        kids = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for kid in kids:
        try:
            kid.kill()
        except Exception:  # noqa: BLE001
            pass
    proc.wait()


def run_module(module: str, job: dict, workdir: Path, limit: float, env: dict) -> tuple[bool, int]:
    """``python -m module job.json`` in its own session; ``(finished in time, returncode)``."""
    stem = module.rsplit(".", 1)[-1]
    job_file = workdir / f"{stem}.job.json"
    job_file.write_text(json.dumps(job))
    with open(workdir / f"{stem}.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", module, str(job_file)], stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env,
                                stdin=subprocess.DEVNULL)
        try:
            proc.wait(timeout=limit)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        kill_group(proc)  # also reaps processes the notebook left running
    return finished, proc.returncode


class Runner:
    """A persistent execution worker (one per grading thread)."""

    def __init__(self, env: dict, checks_modules, log_path: Path):
        self.env, self.checks_modules, self.log_path = env, list(checks_modules), log_path
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "labkit.grading.execute", "--serve",
             json.dumps(self.checks_modules)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=self.env,
            start_new_session=True, text=True, bufsize=1)
        log.close()

    def execute(self, job: dict, workdir: Path, limit: float) -> tuple[bool, int | None]:
        """Run one job; ``(finished in time, exit code if the runner died)``."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        job_file = workdir / "execute.job.json"
        job_file.write_text(json.dumps(job))
        try:
            self.proc.stdin.write(f"{job_file}\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return self._lost()
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                return False, None
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if not ready:
                if self.proc.poll() is not None:
                    return self._lost()
                continue
            line = self.proc.stdout.readline()
            if not line:
                return self._lost()
            if line.strip() == f"done {job_file}":
                return True, 0

    def _lost(self) -> tuple[bool, int | None]:
        code = self.proc.poll()
        self.stop()
        return True, code

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            kill_group(self.proc)
            self.proc = None
