# %% [markdown]
# # 04 · DevOps and CI/CD
#
# *Module 01, cloud native: notebook 4 of 4*
#
# **By the end of this notebook you can**
#
# 1. say what DevOps is and how it differs from waterfall and agile development;
# 2. tell continuous integration, continuous delivery and continuous deployment apart;
# 3. put the stages of a container delivery pipeline in order and say what each one guards;
# 4. run a pipeline whose last stage deploys to a Kubernetes cluster, watch a failing test stop
#    the release, and fix it.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0
CLUSTER = "mini"

# %%
import hashlib
import inspect

import ipywidgets as W
import pandas as pd

import labkit
from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## DevOps
#
# **DevOps** joins *development* and *operations*. It is a culture plus a set of practices
# and tools in which the people who build software and the people who run it share goals and
# automate the path from a code change to production. Operations engineers take part while the
# system is designed (so it is built to be run), and developers take part in deploying and
# running it (so they feel the consequences of their design). The automation at its heart is
# **CI/CD**.
#
# | | waterfall | agile | DevOps |
# |---|---|---|---|
# | rhythm | one long sequence: requirements → design → build → test → release | short iterations (sprints) of working software | a continuous flow of small changes |
# | who is involved | separate teams hand over documents | developers, testers and the customer together | agile team **plus operations**, one shared pipeline |
# | covers | development | development | the whole life cycle, including deployment, operation and monitoring |
# | releases | rare, large, risky | every iteration (often still a manual release) | many per day/week, automated, small |
# | feedback from production | months later | at the end of each iteration | minutes to hours (monitoring, alerts) |
#
# ## CI, CD and CD
#
# * **Continuous integration (CI)**: every change is merged into the shared main line often
#   (at least daily) and automatically *built and tested*, so integration mistakes show up
#   within minutes, while the change is small.
# * **Continuous delivery (CD)**: every change that passes the pipeline is automatically
#   turned into a *releasable* artefact (here: a container image), ready to deploy with one
#   approval.
# * **Continuous deployment**: the last step is automatic too: every green change goes to
#   production without a human pressing a button.
#
# Tools that run such pipelines include **Jenkins** (a self-hosted automation server whose
# pipelines are written in a `Jenkinsfile`), **GitLab CI** (pipelines in `.gitlab-ci.yml` next to
# the code), GitHub Actions, Tekton (pipelines as Kubernetes objects) and Argo CD / Flux (GitOps).

# %% [markdown]
# ## A container pipeline
#
# A typical pipeline for a containerised service has these stages:

# %%
STAGES = ["code", "build", "test", "image", "scan", "push", "release"]
viz.flow(STAGES, title="pipeline")

# %% [markdown]
# | stage | what happens | it stops the release when... |
# |---|---|---|
# | **code** | a commit is pushed; the pipeline checks out that exact revision | (the trigger) |
# | **build** | compile / package the application | it does not compile |
# | **test** | unit and integration tests run | a test fails |
# | **image** | build a container image, tagged with the version (never only `latest`) | the Dockerfile is broken |
# | **scan** | scan the image for known vulnerabilities and policy violations | a critical vulnerability is found |
# | **push** | push the image to a registry (Docker Hub, Harbor...) | the registry refuses it |
# | **release** | deploy: update the Kubernetes Deployment to the new image | the rollout does not become healthy |
#
# Every stage is a gate: a failure stops the pipeline, later stages are *skipped*, and the
# version already running in production stays untouched. Try it (nothing is deployed here):

# %%
def dry_run(failing_stage):
    status, failed = {}, False
    for stage in STAGES:
        if failed:
            status[stage] = "skipped"
        elif stage == failing_stage:
            status[stage], failed = "failed", True
        else:
            status[stage] = "ok"
    verdict = ("<p>&#10008; Release stopped: production keeps the previous version.</p>" if failed
               else "<p>&#10004; All gates passed: the new version is released.</p>")
    return widgets.to_html(viz.flow(STAGES, status=status, title="pipeline")) + verdict


widgets.Interactive({"failing_stage": W.Dropdown(options=["(none)", *STAGES[1:]], value="(none)",
                                                 description="fails at")},
                    dry_run, title="Which stages run?")

# %% [markdown]
# ### Exercise 1 (2 points): order the stages
#
# The stages below are scrambled. Use the arrows to put them in pipeline order (first at the top).

# %%
order = widgets.Ordering(
    "m01-pipeline-order",
    "Put the pipeline stages in order:",
    items=["push the image to the registry", "run the unit tests", "build the container image",
           "check out the commit", "deploy to the cluster", "scan the image for vulnerabilities",
           "compile the application"],
)
solve("m01-pipeline-order")
order

# %%
check("m01-pipeline-order")

# %% [markdown]
# ## Hands-on: a real pipeline, a real (mini) cluster
#
# Our service computes prices including VAT. Here is its code, and its tests:

# %%
def price_with_vat(net, rate=0.2):
    """Gross price of a net price, rounded to cents."""
    return round(net * rate, 2)


TESTS = [  # (net, rate, expected gross)
    (100, 0.2, 120.0),
    (19.99, 0.2, 23.99),
    (50, 0.07, 53.5),
]

# %% [markdown]
# The pipeline below runs every stage in order and stops at the first failure. Its last stage
# deploys the new version to the cluster (`labkit.connect()` gives the in-memory cluster;
# with `CLUSTER = "kind"` it would be a real one) as a Deployment named `shop`, recording the
# version in the pod template's `app.kubernetes.io/version` label.

# %%
cluster = labkit.connect(CLUSTER, seed=SEED)
REGISTRY = {}          # a pretend image registry: tag -> image digest
VULNERABLE_BASES = {"python:3.6-slim"}   # end-of-life base images the scanner rejects


def stage_code(ctx):
    source = inspect.getsource(ctx["app"])
    ctx["commit"] = hashlib.sha1(source.encode()).hexdigest()[:7]
    return f"checked out commit {ctx['commit']}"


def stage_build(ctx):
    compile(inspect.getsource(ctx["app"]), "<app>", "exec")
    return "compiled"


def stage_test(ctx):
    failures = [f"price_with_vat({net}, {rate}) = {ctx['app'](net, rate)}, expected {want}"
                for net, rate, want in TESTS if ctx["app"](net, rate) != want]
    if failures:
        raise AssertionError(f"{len(failures)} of {len(TESTS)} tests failed: " + "; ".join(failures))
    return f"{len(TESTS)} tests passed"


def stage_image(ctx):
    ctx["image"] = f"registry.example.com/shop:{ctx['version']}"
    return f"built {ctx['image']} FROM {ctx['base']}"


def stage_scan(ctx):
    if ctx["base"] in VULNERABLE_BASES:
        raise RuntimeError(f"base image {ctx['base']} is end-of-life with known critical CVEs")
    return "no critical vulnerabilities"


def stage_push(ctx):
    REGISTRY[ctx["image"]] = "sha256:" + hashlib.sha256(ctx["commit"].encode()).hexdigest()[:12]
    return f"pushed {ctx['image']} ({REGISTRY[ctx['image']]})"


def stage_release(ctx):
    manifest = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "shop", "labels": {"app": "shop"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "shop"}},
                 "template": {"metadata": {"labels": {"app": "shop",
                                                      "app.kubernetes.io/version": ctx["version"]}},
                              # the simulated registry has nginx, not our made-up shop image
                              "spec": {"containers": [{"name": "shop", "image": "nginx:1.27"}]}}},
    }
    return str(cluster.apply(manifest)).strip()


def run_pipeline(app, version, base="python:3.12-slim"):
    ctx = {"app": app, "version": version, "base": base}
    rows, failed = [], False
    for name, fn in zip(STAGES, [stage_code, stage_build, stage_test, stage_image, stage_scan,
                                 stage_push, stage_release]):
        if failed:
            rows.append((name, "skipped", ""))
            continue
        try:
            rows.append((name, "ok", fn(ctx)))
        except Exception as exc:  # a failing stage stops the pipeline
            rows.append((name, "failed", str(exc)))
            failed = True
    return pd.DataFrame(rows, columns=["stage", "result", "details"])


run = run_pipeline(price_with_vat, version="1.1")
run

# %% [markdown]
# The test stage failed, so `image`, `scan`, `push` and `release` were skipped, and the
# cluster has no `shop` Deployment: a broken build never reached users.

# %%
viz.flow(STAGES, status=dict(zip(run["stage"], run["result"])), title="pipeline run")

# %%
cluster.kubectl("get deployments")

# %% [markdown]
# ### Exercise 2 (3 points): make the red pipeline green
#
# 1. Fix `price_with_vat` in the cell below so that all three tests pass (the gross price is
#    the net price *plus* the VAT).
# 2. Run the cell: it re-runs the pipeline for version `1.1`, which deploys `shop` to the
#    cluster when every stage passes.

# %%
def price_with_vat(net, rate=0.2):
    """Gross price of a net price, rounded to cents."""
    return round(net * rate, 2)


solve("m01-green-pipeline")
run = run_pipeline(price_with_vat, version="1.1")
run

# %%
check("m01-green-pipeline")

# %% [markdown]
# Once the pipeline is green, the cluster runs the new version:
# `cluster.kubectl("get deployments -o wide")` lists `shop` with its image.
#
# One more gate to try on your own: call `run_pipeline(price_with_vat, "1.2",
# base="python:3.6-slim")`. Which stage stops it, and what still runs in the cluster?
#
# ## Summary
#
# * DevOps = development and operations as one team sharing one automated path to production;
#   it spans the whole life cycle, unlike waterfall or agile alone.
# * CI builds and tests every change; continuous delivery makes every green change releasable;
#   continuous deployment releases it automatically.
# * A container pipeline runs code → build → test → image → scan → push → release; each stage
#   is a gate, and a failure keeps the current production version running.
# * The release stage of a Kubernetes pipeline is just an `apply` of the new desired state.
#
# **Go further on a real cluster.** Point this notebook at a kind cluster
# (`CLUSTER = "kind"` in the parameters cell) and re-run it. In real pipelines the release
# stage is `kubectl apply -f` / `helm upgrade` in a Jenkins or GitLab CI job, or a GitOps tool
# (Argo CD, Flux) that applies whatever the Git repository says (module 05).
