# %% [markdown]
# # 03 · The cloud-native landscape
#
# *Module 01, cloud native: notebook 3 of 4*
#
# **By the end of this notebook you can**
#
# 1. name the six areas of the cloud-native technology landscape and what each is for;
# 2. place well-known projects (Kubernetes, Prometheus, Helm, Istio, containerd...) in their area;
# 3. explain serverless computing, FaaS and BaaS, and pay-as-you-go billing;
# 4. say where a platform such as KubeSphere sits relative to Kubernetes;
# 5. answer questions about a technology table with pandas.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0

# %%
import pandas as pd

from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## Six areas
#
# The Cloud Native Computing Foundation (CNCF, part of the Linux Foundation) hosts Kubernetes
# and many related projects, and publishes a *landscape* map of the whole ecosystem with
# well over a thousand entries. You do not need to know them all; you need the map's areas.
#
# 1. **Application definition and development**: describing and packaging applications
#    (manifests, Helm charts, image builds), CI/CD pipelines, messaging and streaming,
#    databases.
# 2. **Orchestration and management**: scheduling and orchestration (Kubernetes), service
#    discovery, remote procedure calls (RPC), API gateways, service meshes.
# 3. **Observability and analysis**: monitoring (metrics), logging, tracing, and chaos
#    engineering (breaking things on purpose to prove the system survives).
# 4. **Runtime**: what runs and connects containers on each machine: container runtimes,
#    cloud-native storage, cloud-native networking.
# 5. **Provisioning and tooling**: automation and configuration management, container
#    registries, security and compliance, secret and key management.
# 6. **Serverless**: running code without managing servers at all (below).
#
# Many companies also use a **platform** built on Kubernetes, which bundles choices from
# these areas behind one interface. **KubeSphere** is an open-source example: a web console
# and multi-tenant layer on top of Kubernetes with built-in DevOps pipelines (based on
# Jenkins), service-mesh traffic management (based on Istio), logging, monitoring, alerting and
# multi-cluster management. It does not replace Kubernetes; it runs on it.

# %% [markdown]
# ## Explore the landscape
#
# A hand-picked table of projects you will meet. Use the search box and the drop-downs to
# filter it (try `mesh`, or the area *observability*).

# %%
landscape = pd.DataFrame([
    ("Helm", "app definition & development", "application definition", "package manager: charts of Kubernetes manifests"),
    ("Argo CD", "app definition & development", "CI/CD", "GitOps continuous delivery to Kubernetes"),
    ("Flux", "app definition & development", "CI/CD", "GitOps continuous delivery to Kubernetes"),
    ("Jenkins", "app definition & development", "CI/CD", "automation server for build/test/deploy pipelines"),
    ("GitLab CI", "app definition & development", "CI/CD", "pipelines defined next to the code in .gitlab-ci.yml"),
    ("NATS", "app definition & development", "messaging & streaming", "lightweight message broker"),
    ("Apache Kafka", "app definition & development", "messaging & streaming", "distributed event log and streaming"),
    ("Vitess", "app definition & development", "database", "horizontally sharded MySQL"),
    ("TiKV", "app definition & development", "database", "distributed transactional key-value store"),
    ("Kubernetes", "orchestration & management", "scheduling & orchestration", "runs and manages containers across machines"),
    ("etcd", "orchestration & management", "coordination & service discovery", "consistent key-value store (Kubernetes keeps its state here)"),
    ("CoreDNS", "orchestration & management", "coordination & service discovery", "DNS server; gives Services their names in a cluster"),
    ("gRPC", "orchestration & management", "remote procedure call", "RPC framework over HTTP/2"),
    ("Envoy", "orchestration & management", "service proxy", "proxy used by many meshes and gateways"),
    ("Kong", "orchestration & management", "API gateway", "API gateway: routing, auth, rate limits at the edge"),
    ("Istio", "orchestration & management", "service mesh", "traffic management, mTLS and telemetry between services"),
    ("Linkerd", "orchestration & management", "service mesh", "lightweight service mesh"),
    ("Prometheus", "observability & analysis", "monitoring", "metrics collection and queries (PromQL), alerting"),
    ("Grafana", "observability & analysis", "monitoring", "dashboards over metrics, logs and traces"),
    ("Fluentd", "observability & analysis", "logging", "collects, filters and ships logs"),
    ("Jaeger", "observability & analysis", "tracing", "distributed tracing"),
    ("OpenTelemetry", "observability & analysis", "tracing", "vendor-neutral APIs and agents for traces, metrics and logs"),
    ("Chaos Mesh", "observability & analysis", "chaos engineering", "injects failures into Kubernetes workloads"),
    ("containerd", "runtime", "container runtime", "runs containers; used by the kubelet via the CRI"),
    ("CRI-O", "runtime", "container runtime", "a container runtime built for the Kubernetes CRI"),
    ("Rook", "runtime", "cloud-native storage", "runs Ceph storage on Kubernetes"),
    ("Longhorn", "runtime", "cloud-native storage", "replicated block storage for Kubernetes"),
    ("Cilium", "runtime", "cloud-native network", "eBPF-based networking (CNI) and network policy"),
    ("Flannel", "runtime", "cloud-native network", "simple overlay network (CNI)"),
    ("Ansible", "provisioning & tooling", "automation & configuration", "configures machines from playbooks"),
    ("Terraform", "provisioning & tooling", "automation & configuration", "declares cloud infrastructure as code"),
    ("Harbor", "provisioning & tooling", "container registry", "private image registry with scanning and signing"),
    ("Open Policy Agent", "provisioning & tooling", "security & compliance", "policy engine (e.g. admission rules)"),
    ("Falco", "provisioning & tooling", "security & compliance", "runtime threat detection from kernel events"),
    ("Vault", "provisioning & tooling", "key management", "stores and issues secrets and certificates"),
    ("Knative", "serverless", "installable platform", "serverless on Kubernetes, scales to zero"),
    ("OpenFaaS", "serverless", "installable platform", "functions as a service on Kubernetes"),
    ("AWS Lambda", "serverless", "hosted platform", "a cloud provider's function service"),
], columns=["project", "area", "category", "what it does"])

widgets.Explorer(landscape, filters=["area"], title="Cloud-native landscape (a sample)")

# %% [markdown]
# The table is an ordinary pandas DataFrame, so questions about it are one line each. How
# many projects does each *category* of the observability area have?

# %%
landscape[landscape["area"] == "observability & analysis"].groupby("category").size()

# %% [markdown]
# ### Exercise 1 (2 points): count projects per area
#
# Make `per_area` a pandas Series: the number of projects in `landscape` for each area
# (index: the area names, values: counts). Hint: `groupby(...).size()` or `value_counts()`.

# %%
per_area = None
solve("m01-landscape-count")
per_area

# %%
check("m01-landscape-count")

# %% [markdown]
# ## Serverless: no servers to manage
#
# Serverless is a step further up the abstraction ladder. You hand the provider code or use
# ready-made services, and the provider runs, scales and bills it:
#
# * **FaaS** (functions as a service): you upload a function; it runs when an event arrives
#   (an HTTP request, a new file, a message) and scales from zero to many copies and back.
# * **BaaS** (backend as a service): ready-made back-end pieces you call over an API:
#   authentication, databases, storage, push notifications.
#
# The hallmark is **pay-as-you-go** billing: you pay per request and per unit of compute
# time actually used (often per millisecond), and nothing while idle. That is the power-grid
# idea of the first notebook taken to its end. The trade-offs: cold starts (the first request
# after idling waits for a copy to start), limits on run time, and dependence on one
# provider's services. On Kubernetes, Knative brings scale-to-zero to your own cluster
# (module 05).

# %% [markdown]
# ### Exercise 2 (3 points): map projects to areas
#
# Match each project to its landscape area *without* looking at the table above (then check).

# %%
areas = sorted(landscape["area"].unique())
mapping = widgets.Matching(
    "m01-landscape-map",
    "Which area of the landscape does each project belong to?",
    items=["Prometheus", "Istio", "containerd", "Harbor", "Helm", "Knative", "Jaeger", "CoreDNS"],
    options=areas,
)
solve("m01-landscape-map")
mapping

# %%
check("m01-landscape-map")

# %% [markdown]
# ## Summary
#
# * The landscape has six areas: app definition & development, orchestration & management,
#   observability & analysis, runtime, provisioning & tooling, serverless.
# * Kubernetes sits in orchestration; it relies on runtime projects (containerd, a CNI network)
#   and is surrounded by tools for delivery (Helm, Argo CD), observability (Prometheus, Jaeger)
#   and security (OPA, Falco, Vault).
# * Serverless (FaaS + BaaS) bills per use and scales to zero.
# * Platforms such as KubeSphere bundle many of these on top of Kubernetes.
#
# **Go further.** Browse the full CNCF landscape at landscape.cncf.io; each card shows a
# project's maturity (sandbox, incubating, graduated). On a real cluster,
# `kubectl get pods -A` shows which of these projects a cluster already runs (CoreDNS and a
# CNI plugin are almost always there).
