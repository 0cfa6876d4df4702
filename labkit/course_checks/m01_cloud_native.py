"""Checks and reference solutions for module 01, cloud native (course/01-cloud-native/).

Each check reads its evidence (a quiz widget's recorded answer, notebook variables declared in
``answers=``, or the recorded cluster) and explains what is wrong without giving the answer
away. The reference solutions next to them run only when a notebook is executed with the
papermill parameter ``SOLUTIONS=True`` (see docs/authoring.md).
"""
from __future__ import annotations

import math

from labkit.grading import register_check
from labkit.solutions import solution
from labkit.widgets.answers import close, register_ordering
from labkit.widgets.answers import register_quiz as quiz

NB1 = "01-cloud-native/01-what-is-cloud-native"
NB2 = "01-cloud-native/02-deployment-eras"
NB3 = "01-cloud-native/03-cloud-native-landscape"
NB4 = "01-cloud-native/04-devops-ci-cd"


# -- 01 what is cloud native -------------------------------------------------------------------

quiz("m01-traits-warmup", {
    "Each instance can be replaced at any time without losing data": ("helps", "disposability"),
    "Configuration is edited by hand on each server after installation":
        ("hurts", "can automation rebuild that server?"),
    "Releases are built and tested by an automated pipeline": ("helps", "continuous delivery"),
    "The application must always run on the same physical machine":
        ("hurts", "what if that machine fails?"),
}, "traits", 0, NB1, "Warm-up: traits")

CLASSIFY = {
    "The shop runs as twelve small services, each released on its own schedule":
        ("cloud native", "think of microservices"),
    "Shopping carts are kept in the memory of the web server that served the first page":
        ("not cloud native", "what happens to the carts when that copy is replaced?"),
    "A crashed copy of the catalogue service is replaced automatically":
        ("cloud native", "self-healing"),
    "Adding capacity for the holiday sale means ordering servers two months ahead":
        ("not cloud native", "is that elastic?"),
    "Every commit is built into a container image and tested automatically":
        ("cloud native", "continuous delivery"),
    "The team applies a YAML description of the desired state; automation converges to it":
        ("cloud native", "declarative operations"),
}
quiz("m01-classify", CLASSIFY, "statements", 2, NB1, "Classify statements")

GRID = {"base": 2, "peak": 50, "peak_hours": 6, "hours": 168, "own": 1.0, "rent": 1.6}


def grid_costs() -> tuple[float, float]:
    g = GRID
    owned = g["peak"] * g["hours"] * g["own"]
    rented = (g["base"] * (g["hours"] - g["peak_hours"]) + g["peak"] * g["peak_hours"]) * g["rent"]
    return owned, rented


@register_check("m01-grid-cost", points=2, notebook=NB1, title="The cost of a spiky week",
                answers=("cost_owned", "cost_rented", "cheaper"))
def grid_cost(ctx):
    owned, rented = grid_costs()
    r = ctx.result()
    r.part("cost_owned", close(ctx.answer("cost_owned"), owned),
           hint="owning means paying for enough servers for the peak, every hour of the week "
                "(servers x hours x price)")
    r.part("cost_rented", close(ctx.answer("cost_rented"), rented),
           hint="add the server-hours of the quiet hours and of the peak hours, then multiply "
                "by the rental price")
    r.part("cheaper", ctx.answer("cheaper") == ("rent" if rented < owned else "own"),
           hint='"own" or "rent": compare your two costs')
    return r


@solution("m01-grid-cost")
def _solve_grid(ns):
    owned, rented = grid_costs()
    ns.update(cost_owned=owned, cost_rented=rented, cheaper="rent" if rented < owned else "own")


# -- 02 deployment eras ----------------------------------------------------------------------

USAGE, CORES = [2, 3, 1.5, 5.5], 16


@register_check("m01-utilisation", points=2, notebook=NB2, title="Compute utilisation",
                answers=("utilisation", "servers_needed"))
def utilisation(ctx):
    want = sum(USAGE) / (CORES * len(USAGE))
    got = ctx.answer("utilisation")
    r = ctx.result()
    percent = close(got, want * 100)
    r.part("utilisation", close(got, want),
           message="that looks like a percentage: give a fraction between 0 and 1" if percent else "",
           hint="divide the cores used (all four apps) by the cores available (all four servers)")
    r.part("servers_needed", ctx.answer("servers_needed") == math.ceil(sum(USAGE) / CORES),
           hint="how many 16-core servers hold the total average load? Round up")
    return r


@solution("m01-utilisation")
def _solve_utilisation(ns):
    ns.update(utilisation=sum(USAGE) / (CORES * len(USAGE)),
              servers_needed=math.ceil(sum(USAGE) / CORES))


quiz("m01-era-scenario", {
    "A reporting job's spike slows every other application on the same server":
        ("traditional", "which era had no resource boundaries between apps?"),
    "Each application gets a full guest operating system, booted by a hypervisor":
        ("virtualized", "a guest OS per application"),
    "Applications share the host's kernel but each sees only its own processes and files":
        ("container", "a shared kernel"),
    "Adding an application means buying and racking a new physical server":
        ("traditional", "one app per physical server"),
    "An image built once on a laptop runs unchanged in production, starting in under a second":
        ("container", "images and sub-second start"),
}, "scenarios", 2, NB2, "Which era?")

# -- 03 landscape ----------------------------------------------------------------------------


@register_check("m01-landscape-count", points=2, notebook=NB3, title="Count projects per area",
                answers=("landscape", "per_area"))
def landscape_count(ctx):
    df, got = ctx.answer("landscape"), ctx.answer("per_area")
    want = {str(k): int(v) for k, v in df.groupby("area").size().items()}
    try:
        have = {str(k): int(v) for k, v in dict(got).items()}
    except (TypeError, ValueError):
        have = None
    r = ctx.result()
    r.part("per_area has one entry per area", have is not None and set(have) == set(want),
           hint="the index must be the area names: group by the 'area' column")
    r.part("the counts are right", have == want,
           hint="count the rows of landscape in each area: groupby('area').size()")
    return r


@solution("m01-landscape-count")
def _solve_count(ns):
    ns["per_area"] = ns["landscape"]["area"].value_counts().sort_index()


quiz("m01-landscape-map", {
    "Prometheus": ("observability & analysis", "metrics"),
    "Istio": ("orchestration & management", "a service mesh"),
    "containerd": ("runtime", "it runs containers on each node"),
    "Harbor": ("provisioning & tooling", "a registry"),
    "Helm": ("app definition & development", "it packages applications"),
    "Knative": ("serverless", "scale to zero"),
    "Jaeger": ("observability & analysis", "tracing"),
    "CoreDNS": ("orchestration & management", "service discovery"),
}, "projects", 3, NB3, "Map projects to areas")

# -- 04 DevOps and CI/CD ---------------------------------------------------------------------

PIPELINE = ["check out the commit", "compile the application", "run the unit tests",
            "build the container image", "scan the image for vulnerabilities",
            "push the image to the registry", "deploy to the cluster"]


register_ordering("m01-pipeline-order", PIPELINE, "ask of each stage: what must exist before it can run?",
                  2, NB4, "Order the pipeline stages")


@register_check("m01-green-pipeline", points=3, notebook=NB4, title="Make the red pipeline green",
                answers=("run",), cluster=["deployments"])
def green_pipeline(ctx):
    run = ctx.answer("run")
    results = dict(zip(run["stage"], run["result"]))
    r = ctx.result()
    r.part("the test stage passes", results.get("test") == "ok",
           message="" if results.get("test") == "ok" else "the last pipeline run failed its tests",
           hint="the gross price is the net price plus the VAT on it; fix price_with_vat, "
                "then run the exercise cell again")
    r.part("every stage of the last run passed", set(results.values()) == {"ok"},
           hint="re-run the exercise cell after fixing the function")
    deploy = ctx.cluster.get("deployments", "shop")
    labels = ((deploy or {}).get("spec", {}).get("template", {}).get("metadata", {})
              .get("labels", {}))
    r.part("the cluster runs shop version 1.1", labels.get("app.kubernetes.io/version") == "1.1",
           hint="a green pipeline's release stage applies the Deployment shop")
    return r


def _fixed_price_with_vat(net, rate=0.2):
    """Gross price of a net price, rounded to cents."""
    return round(net * (1 + rate), 2)


@solution("m01-green-pipeline")
def _solve_green(ns):
    ns["price_with_vat"] = _fixed_price_with_vat
