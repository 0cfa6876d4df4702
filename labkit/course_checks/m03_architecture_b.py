"""Checks and reference solutions for module 03, notebooks 04 (controllers and the reconcile
loop) and 05 (kubelet, runtime and kube-proxy). Notebooks 01-03 are in :mod:`.m03_architecture_a`."""
from __future__ import annotations

from labkit.grading import register_check
from labkit.solutions import solution
from labkit.widgets.answers import register_ordering
from labkit.widgets.answers import register_quiz as quiz

NB4 = "03-architecture/04-controllers-and-reconcile-loop"
NB5 = "03-architecture/05-kubelet-runtime-and-kube-proxy"

# -- 04 controllers ----------------------------------------------------------------------------

quiz("m03-controller-match", {
    "Notices that a node stopped renewing its Lease and marks it NotReady":
        ("node controller", "who watches node heartbeats?"),
    "Keeps the number of pods of a ReplicaSet equal to spec.replicas":
        ("replicaset controller", "count pods, compare, create or delete"),
    "Creates a new ReplicaSet when the pod template changes, and scales old ones down":
        ("deployment controller", "rollouts"),
    "Runs pods until a given number of them complete successfully":
        ("job controller", "batch work"),
    "Keeps the list of ready pod addresses behind each Service up to date":
        ("endpoints controller", "which object lists the addresses behind a Service?"),
    "Creates the 'default' ServiceAccount in every new namespace":
        ("serviceaccount controller", "an identity per namespace"),
    "Fills in the token of a Secret of type kubernetes.io/service-account-token":
        ("token controller", "credentials kept in Secrets"),
    "Creates a cloud load balancer for a Service of type LoadBalancer":
        ("cloud-controller-manager", "which process talks to the cloud provider's API?"),
}, "jobs", 2, NB4, "Match controllers to jobs")

TINY_DESIRED = {"color": "blue", "replicas": "3", "mode": "production"}


def _differing(desired: dict, observed: dict) -> set:
    return {k for k in set(desired) | set(observed) if desired.get(k) != observed.get(k)}


def _converged(rounds: list, scenario: str) -> bool:
    """The scenario reached the desired data and then the controller stopped acting."""
    return any(r.get("observed") == TINY_DESIRED and r.get("actions") == []
               for r in rounds if r.get("scenario") == scenario)


@register_check("m03-tiny-controller", points=4, notebook=NB4, title="Write a tiny controller",
                answers=("controller_run",), cluster=["configmaps"])
def tiny_controller(ctx):
    rounds = ctx.answer("controller_run")
    r = ctx.result()
    if not isinstance(rounds, list) or not all(isinstance(x, dict) for x in rounds):
        return r.fail("controller_run should be what run_controller(...) returned",
                      hint="run the exercise cell again without changing its last lines")
    errors = [x["error"] for x in rounds if x.get("error")]
    if errors:
        return r.fail(f"your reconcile failed: {errors[0]}",
                      hint="it must return a list of ('set', key, value) / ('delete', key) tuples")
    r.part("from nothing, the ConfigMap converges to the desired data", _converged(rounds, "start"),
           hint="when observed is empty, every desired key needs a ('set', key, value)")
    r.part("after a hand edit, it converges again", _converged(rounds, "drift"),
           hint="compare both ways: keys with a wrong value, missing keys, and keys that should "
                "not be there at all ('delete')")
    steady = [x for x in rounds if x.get("scenario") == "steady"]
    r.part("idempotent: on a converged ConfigMap it does nothing",
           bool(steady) and steady[0].get("observed") == TINY_DESIRED
           and steady[0].get("actions") == [] and not steady[0].get("wrote"),
           hint="when observed already equals desired, return an empty list")
    touched_only_diff = all({a[1] for a in x.get("actions") or ()} <= _differing(TINY_DESIRED, x.get("observed") or {})
                            for x in rounds)
    r.part("it only touches keys that differ", touched_only_diff and _converged(rounds, "start"),
           hint="a level-triggered controller acts on the difference, nothing else")
    cm = ctx.cluster.get("configmap", "app-config")
    r.part("the cluster's ConfigMap app-config holds the desired data",
           cm is not None and (cm.get("data") or {}) == TINY_DESIRED,
           hint="run the exercise cell, which runs your controller against the cluster")
    return r


@solution("m03-tiny-controller")
def _solve_tiny(ns):
    def reconcile(desired, observed):
        actions = [("set", k, v) for k, v in sorted(desired.items()) if observed.get(k) != v]
        actions += [("delete", k) for k in sorted(observed) if k not in desired]
        return actions
    ns["reconcile"] = reconcile


RECOVERY = ["You force-delete one of the three pods of the web ReplicaSet",
            "The API server removes the pod from etcd and tells every watcher",
            "The ReplicaSet controller counts 2 active pods where 3 are desired",
            "The ReplicaSet controller creates a new Pod object, with no node yet",
            "The scheduler picks a node and creates the pod's binding",
            "The kubelet of that node sees the pod bound to it and starts its containers",
            "The kubelet reports the pod Running and Ready in its status"]

register_ordering("m03-recovery-order", RECOVERY,
                  "follow the reconcile timeline above: who acts after whom?", 2, NB4,
                  "Explain a recovery")

quiz("m03-node-failure", {
    "The node controller marks the node NotReady about 50 s after its last Lease renewal":
        ("true", "node-monitor-grace-period"),
    "The pods of a failed node are evicted at once, the moment it stops answering":
        ("false", "look at the times in the reconcile table: what are the 300 s?"),
    "After the toleration period the pods are deleted and their controllers create replacements "
    "on healthy nodes": ("true", "the taint eviction controller, then the ReplicaSet controller"),
    "Kubernetes creates a new node to replace the failed one":
        ("false", "does anything in the control plane create machines?"),
    "Adding machines when pods do not fit is the job of an add-on such as the cluster autoscaler":
        ("true", "it is not part of the core control plane"),
    "The old pod object disappears at once, even though its node cannot confirm the containers "
    "stopped": ("false", "look at kubectl get pods after the eviction"),
}, "statements", 2, NB4, "Node failure: true or false?")


quiz("m03-hpa", {
    "4 pods at 100 % CPU of their request, with a 50 % target: the HPA asks for 8 pods":
        ("true", "ceil(4 x 100 / 50)"),
    "A pod without a CPU request can still be autoscaled on CPU utilization":
        ("false", "utilization is a percentage of what?"),
    "A utilization of 54 % against a 50 % target changes the replica count":
        ("false", "54 / 50 = 1.08: is that outside the 10 % tolerance?"),
    "When the load stops, the HPA removes the extra pods at its next 15 s sync":
        ("false", "look at the plot: how long after the load stopped did replicas fall?"),
    "The HPA changes the Deployment through its scale subresource, and the Deployment's "
    "ReplicaSet controller then creates or deletes the pods":
        ("true", "controllers coordinate only through the API"),
}, "statements", 2, NB4, "How does the HPA decide?")

# -- 05 kubelet, runtime, kube-proxy -----------------------------------------------------------

CREATION = ["kubectl sends the Deployment to the API server",
            "The API server authenticates, authorizes, admits and stores it in etcd",
            "The Deployment controller creates a ReplicaSet",
            "The ReplicaSet controller creates a Pod with no node",
            "The scheduler binds the Pod to a node",
            "The kubelet on that node sees the Pod and calls the container runtime through the CRI",
            "The runtime creates the sandbox, pulls the image and starts the container",
            "The kubelet writes the Pod's status: Running, with its pod IP"]

register_ordering("m03-creation-order", CREATION,
                  "each step reacts to the object the previous one wrote: look at the sequence "
                  "diagram", 3, NB5, "Order the creation steps")

quiz("m03-field-writers", {
    "spec.nodeName of a Pod": ("scheduler", "through the pods/binding subresource"),
    "status.podIP of a Pod": ("kubelet", "who set up the sandbox's network?"),
    "status.phase = Running": ("kubelet", "who knows whether the container runs?"),
    "metadata.ownerReferences of a Pod": ("controller-manager", "who created the pod?"),
    "renewTime of the node's Lease in kube-node-lease": ("kubelet", "the node's heartbeat"),
    "metadata.resourceVersion": ("API server", "it comes from etcd's revision on every write"),
}, "fields", 2, NB5, "Who writes which field?")

quiz("m03-spot-mistakes-b", {
    "The kubelet sends the binding request that assigns a pod to its node":
        ("false", "look at who created pods/binding in the sequence diagram"),
    "A Deployment makes the API server create a ReplicationController":
        ("false", "what did the deployment controller create in the diagram?"),
    "The kubelet only runs pods whose spec.nodeName is its own node":
        ("true", "it watches pods with a field selector on nodeName"),
    "kube-proxy forwards every packet through its own process":
        ("false", "in iptables mode, who rewrites the packets?"),
    "The kubelet talks to containerd or CRI-O through the CRI (gRPC)":
        ("true", "the Container Runtime Interface"),
    "A node proves it is alive by renewing a Lease object every 10 seconds":
        ("true", "kube-node-lease"),
}, "statements", 2, NB5, "Spot the mistakes")
