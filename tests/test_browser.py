"""The course in a real browser: JupyterLab serves course/, headless Chromium runs a notebook.

This is what a student does: open a notebook, Run All, move a widget, read the answer. It
catches what no kernel-level test can: the widget extension not loading, a widget that
renders but does not react, a static fallback shown instead of the live widget.

Chromium is Debian's (``labkit._tools.chromium_path()``), driven by the Playwright Python
package through ``executable_path``; no browser is ever downloaded (no ``playwright install``).
Text assertions after each click, a screenshot in ``artifacts/`` for humans.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labkit import _tools

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
NOTEBOOK = "01-cloud-native/02-deployment-eras.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on course/ at a free port with a random token; stopped afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    # a copy of the course: JupyterLab autosaves and writes checkpoints; the repo stays clean
    course = runtime / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("_src", ".*"))
    # JupyterLab 4 detaches off-screen cells from the page ("windowing"); render them all so
    # the test can find widgets by their text wherever they are in the notebook.
    settings = runtime / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none", "autoStartDefaultKernel": true}')
    news = runtime / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
           f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={course}", "--ServerApp.open_browser=False",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), LABKIT_CLUSTER="mini",
               JUPYTERLAB_SETTINGS_DIR=str(runtime / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(runtime / "workspaces"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    log = open(runtime / "lab.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n"
                                       + (runtime / "lab.log").read_text()[-3000:])
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright
    base, token = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_tools.chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
        pg.locator(".jp-NotebookPanel").first.wait_for()
        select = pg.locator(".jp-Dialog button", has_text="Select")
        try:  # older settings files, or a kernelspec mismatch, still ask once
            select.first.wait_for(timeout=5_000)
            select.first.click()
        except Exception:  # noqa: BLE001 - no dialog: the kernel started by itself
            pass
        # the kernel is up once the toolbar's status says Idle
        pg.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for()
        yield pg
        context.close()
        browser.close()


def run_all(pg):
    pg.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
    pg.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
    # the last check cell's feedback appears once every cell has run
    pg.locator(".labkit-check", has_text="m01-era-scenario").first.wait_for(timeout=120_000)


def test_run_all_then_move_a_widget_and_read_the_result(page):
    ARTIFACTS.mkdir(exist_ok=True)
    run_all(page)
    widget = page.locator(".labkit-widget", has_text="One server, three apps").first
    widget.scroll_into_view_if_needed()
    # the live widget is shown, not its static fallback
    assert widget.locator(".widget-checkbox").count() == 1
    view = widget.locator(".labkit-view")
    assert "11.3" in view.inner_text()          # no isolation: the shop gets 11.3 of 40 units
    widget.locator(".widget-checkbox input").click()
    page.wait_for_function(
        "el => el.innerText.includes('40.0')", arg=view.element_handle(), timeout=20_000)
    assert "11.3" not in view.inner_text()
    page.screenshot(path=str(ARTIFACTS / "browser-deployment-eras-widget.png"), full_page=False)


def test_quiz_check_button_grades_inside_the_widget(page):
    quiz = page.locator(".labkit-widget", has_text="Which deployment era").first
    quiz.scroll_into_view_if_needed()
    quiz.locator("button", has_text="Check").click()
    quiz.get_by_text("Answer first, then press Check.").wait_for()
    first = quiz.locator("select").first
    first.select_option("traditional")
    quiz.locator("button", has_text="Check").click()
    feedback = quiz.locator(".labkit-feedback .labkit-check")
    feedback.wait_for()
    text = feedback.inner_text()
    assert "m01-era-scenario" in text and "1 of 5 scenarios right" in text
    assert "4 of 5 scenarios not right yet (4 unanswered)" in text
    page.screenshot(path=str(ARTIFACTS / "browser-deployment-eras-quiz.png"), full_page=False)
