"""kube-controller-manager: one process running many controllers.

Each entry of :data:`CONTROLLERS` is ``(name, "module:Class")``; the manager starts them in
order, all sharing one set of informers (so twenty controllers cost one watch per resource).
"""
from __future__ import annotations

import importlib

#: The controllers the mini kube-controller-manager runs, in start order.
CONTROLLERS: list[tuple[str, str]] = [
    ("namespace", ".namespace:NamespaceController"),
    ("serviceaccount", ".serviceaccount:ServiceAccountController"),
    ("serviceaccount-token", ".serviceaccount_tokens:TokensController"),
    ("garbagecollector", ".garbagecollector:GarbageCollector"),
    ("nodelifecycle", ".nodelifecycle:NodeLifecycleController"),
    ("taint-eviction-controller", ".taint_eviction:TaintEvictionController"),
    ("nodeipam", ".nodeipam:NodeIPAMController"),
    ("podgc", ".podgc:PodGCController"),
    ("deployment", ".deployment:DeploymentController"),
    ("replicaset", ".replicaset:ReplicaSetController"),
    ("replicationcontroller", ".replicationcontroller:ReplicationManager"),
    ("statefulset", ".statefulset:StatefulSetController"),
    ("daemonset", ".daemonset:DaemonSetController"),
    ("job", ".job:JobController"),
    ("cronjob", ".cronjob:CronJobController"),
    ("horizontalpodautoscaling", ".podautoscaler:HorizontalController"),
    ("ttlafterfinished", ".ttlafterfinished:TTLAfterFinishedController"),
    ("endpoints", ".endpoints:EndpointsController"),
    ("endpointslice", ".endpointslice:EndpointSliceController"),
    ("persistentvolume-binder", ".persistentvolume:PersistentVolumeController"),
    ("pvc-protection", ".persistentvolume_protection:PVCProtectionController"),
    ("pv-protection", ".persistentvolume_protection:PVProtectionController"),
]


class ControllerManager:
    def __init__(self, ctx, enabled=None):
        self.ctx = ctx
        self.controllers = {}
        self.missing: list[str] = []
        for name, target in CONTROLLERS:
            if enabled is not None and name not in enabled:
                continue
            module, cls = target.split(":")
            try:
                mod = importlib.import_module(module, __package__)
            except ModuleNotFoundError as e:  # a controller not written yet: skip it
                if e.name != __package__ + module:
                    raise
                self.missing.append(name)
                continue
            self.controllers[name] = getattr(mod, cls)(ctx)

    def __getitem__(self, name):
        return self.controllers[name]
