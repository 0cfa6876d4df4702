"""Demo checks for the grading system's own tests and documentation (notebook
``tests/grading_corpus/reference.ipynb``, id ``demo/grading-demo``): one of each kind.

* ``demo-sum``: an answer check with two parts (notebook variables ``total`` and ``mean``);
* ``demo-quiz``: an answer recorded with ``answer("demo-quiz", ...)`` (as quiz widgets do);
* ``demo-configmap``: a cluster check (a ConfigMap and one of its keys).
"""
from labkit.grading import register_check
from labkit.solutions import solution

NOTEBOOK = "demo/grading-demo"
DATA = [4, 8, 15, 16, 23, 42]


@register_check("demo-sum", points=2, notebook=NOTEBOOK, title="Sum and mean",
                answers=("total", "mean"))
def _sum(ctx):
    r = ctx.result()
    total = ctx.answer("total")
    r.part("total is the sum of data", total == sum(DATA) and not isinstance(total, bool),
           message=f"total is {total!r}", hint="add up every number in data (sum(data))")
    mean = ctx.answer("mean")
    r.part("mean is the average of data", ctx.close_to(mean, sum(DATA) / len(DATA), 1e-9),
           message=f"mean is {mean!r}", hint="the mean is the total divided by len(data)")
    return r


@register_check("demo-quiz", points=1, notebook=NOTEBOOK, title="Which object?")
def _quiz(ctx):
    choice = ctx.answer()
    return (str(choice).strip().lower() == "deployment",
            "the Deployment keeps replicas running and rolls out new versions")


@register_check("demo-configmap", points=2, notebook=NOTEBOOK, title="A ConfigMap",
                cluster=["configmaps"])
def _configmap(ctx):
    r = ctx.result()
    cm = ctx.cluster.get("configmap", "app-config", "default")
    if not r.part("ConfigMap app-config exists in namespace default", cm is not None,
                  hint="create it with c.create({...}) (kind ConfigMap, metadata.name app-config)"):
        r.part("its data has mode=production", False, hint="create the ConfigMap first")
        return r
    mode = (cm.get("data") or {}).get("mode")
    r.part("its data has mode=production", mode == "production",
           message=f"data.mode is {mode!r}", hint='set data: {"mode": "production"}')
    return r


@solution("demo-sum")
def _solve_sum(ns):
    ns["total"] = sum(ns["data"])
    ns["mean"] = ns["total"] / len(ns["data"])


@solution("demo-quiz")
def _solve_quiz(ns):
    from labkit.grading import answer
    answer("demo-quiz", "Deployment")


@solution("demo-configmap")
def _solve_configmap(ns):
    ns["c"].create({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "app-config", "namespace": "default"},
                    "data": {"mode": "production"}})
