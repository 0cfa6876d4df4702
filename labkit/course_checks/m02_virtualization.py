"""Checks and reference solutions for module 02, virtualization and containers
(course/02-virtualization/; notebook 03's kernel readings and checks are in
:mod:`.m02_kernel`)."""
from __future__ import annotations

from labkit.grading import register_check
from labkit.solutions import solution
from labkit.widgets.answers import register_multi, register_ordering
from labkit.widgets.answers import register_quiz as quiz

NB1 = "02-virtualization/01-virtualization-and-hypervisors"
NB2 = "02-virtualization/02-openstack-kvm-iaas"
NB4 = "02-virtualization/04-containers-vs-vms"
NB5 = "02-virtualization/05-from-one-container-to-orchestration"


# -- 01 hypervisors --------------------------------------------------------------------------

quiz("m02-hypervisor-types", {
    "VMware ESXi": ("type 1", "does it need a host OS underneath?"),
    "Oracle VirtualBox": ("type 2", "you install it on your laptop's OS"),
    "Xen": ("type 1", "it boots directly on the machine"),
    "VMware Workstation": ("type 2", "a desktop application"),
    "KVM": ("type 1", "it is part of the Linux kernel itself"),
    "Microsoft Hyper-V": ("type 1", "it loads before Windows, which then runs in a partition above it"),
    "Parallels Desktop": ("type 2", "a desktop application"),
}, "products", 2, NB1, "Identify hypervisor types")

STACK = ["PostgreSQL", "Ubuntu (guest OS)", "VirtualBox (hypervisor)", "Windows (host OS)",
         "laptop hardware"]


@register_check("m02-stack-build", points=2, notebook=NB1, title="Write down a stack",
                answers=("my_stack",))
def stack_build(ctx):
    got = list(ctx.answer("my_stack"))
    r = ctx.result()
    if not r.part("uses exactly the five layers, once each", sorted(got) == sorted(STACK),
                  hint="choose from: " + ", ".join(STACK)):
        return r
    r.part("application on top, hardware at the bottom", got[0] == STACK[0] and got[-1] == STACK[-1])
    r.part("the middle layers in the right order", got == STACK,
           hint="VirtualBox is a type-2 hypervisor: what does it run on, what runs inside it?")
    return r


@solution("m02-stack-build")
def _solve_stack(ns):
    ns["my_stack"] = list(STACK)


# -- 02 OpenStack ----------------------------------------------------------------------------

quiz("m02-openstack-match", {
    "Checks who you are and issues tokens": ("Keystone", "identity"),
    "Stores the images VMs boot from": ("Glance", "images"),
    "Runs VM instances on compute hosts": ("Nova", "compute"),
    "Provides persistent block volumes": ("Cinder", "block storage"),
    "Stores objects over HTTP, like S3": ("Swift", "object storage"),
    "Creates virtual networks and routers": ("Neutron", "networking"),
    "Web dashboard": ("Horizon", "the user interface"),
    "Emulates a VM's devices in user space": ("QEMU", "a user-space program on the host"),
    "Kernel module that runs guest code on the CPU": ("KVM", "inside the Linux kernel"),
}, "jobs", 3, NB2, "Match components to jobs")

IAAS_TRUE = ["nova-compute manages VMs through libvirt",
             "KVM needs the CPU's virtualization extensions (Intel VT-x or AMD-V)",
             "QEMU emulates devices while KVM runs the guest's instructions on the CPU",
             "Keystone is OpenStack's identity service"]


register_multi("m02-iaas-quiz", IAAS_TRUE, "true statement", 2, NB2, "IaaS quiz")


# -- 04 containers vs VMs ---------------------------------------------------------------------

DENSITY = {"host_mib": 96 * 1024, "app": 768, "guest": 1280, "container": 16}


def density_answer() -> tuple[int, int]:
    d = DENSITY
    return d["host_mib"] // (d["app"] + d["guest"]), d["host_mib"] // (d["app"] + d["container"])


@register_check("m02-density", points=2, notebook=NB4, title="Compute density",
                answers=("vms_fit", "containers_fit"))
def density(ctx):
    vms, cts = density_answer()
    r = ctx.result()
    r.part("vms_fit", ctx.answer("vms_fit") == vms,
           hint="each VM needs the app's memory plus its guest OS; divide the host's MiB by "
                "that and keep whole VMs (//)")
    r.part("containers_fit", ctx.answer("containers_fit") == cts,
           hint="a container adds only 16 MiB to the app's memory")
    return r


@solution("m02-density")
def _solve_density(ns):
    ns["vms_fit"], ns["containers_fit"] = density_answer()


def layer_totals(layers: dict, images: dict) -> tuple[int, int]:
    """(MB on disk with each distinct layer once, MB if every image were stored separately)."""
    distinct = {x for names in images.values() for x in names}
    return (sum(layers[x] for x in distinct),
            sum(layers[x] for names in images.values() for x in names))


@register_check("m02-layers-disk", points=2, notebook=NB4, title="Layers on disk",
                answers=("LAYERS", "IMAGES", "disk_mb", "saved_mb"))
def layers_disk(ctx):
    disk, separate = layer_totals(ctx.answer("LAYERS"), ctx.answer("IMAGES"))
    r = ctx.result()
    r.part("disk_mb", ctx.answer("disk_mb") == disk,
           hint="count each distinct layer once: the base and python runtime layers are shared")
    r.part("saved_mb", ctx.answer("saved_mb") == separate - disk,
           hint="saved_mb = (the three image sizes added up) - disk_mb")
    return r


@solution("m02-layers-disk")
def _solve_layers(ns):
    disk, separate = layer_totals(ns["LAYERS"], ns["IMAGES"])
    ns["disk_mb"], ns["saved_mb"] = disk, separate - disk


TRADEOFF_TRUE = ["you must run a Windows-only application on a Linux host",
                 "you run untrusted code from many customers and need the strongest isolation",
                 "the workload needs its own kernel version or kernel modules"]


register_multi("m02-tradeoff", TRADEOFF_TRUE, "VM requirement", 2, NB4, "The trade-off")


# -- 05 orchestration ------------------------------------------------------------------------

HISTORY = ["Google builds Borg", "Docker is open-sourced by dotCloud",
           "Google announces Kubernetes", "Kubernetes 1.0 and the founding of the CNCF",
           "Swarm mode is built into the Docker engine"]


register_ordering("m02-history-order", HISTORY, "check the years in the history table", 2, NB5,
                  "Put history in order")


quiz("m02-orchestrator-match", {
    "Describes a multi-container app on a single host in one YAML file": ("docker-compose", "one host"),
    "Exposes the standard Docker API; a manager schedules over the cluster": ("Docker Swarm", "the Docker API"),
    "Offers resources to frameworks, which make the placement decision": ("Apache Mesos", "offers"),
    "Groups containers into Pods and selects them with Labels": ("Kubernetes", "Pods"),
    "Grew out of Google's experience with Borg": ("Kubernetes", "Google"),
    "Two-level scheduling shared by Marathon, Chronos and Spark": ("Apache Mesos", "frameworks"),
}, "features", 3, NB5, "Match features to orchestrators")

quiz("m02-spot-mistakes", {
    "Redis and Memcached are stateless, so their pods can be replaced with no consequence":
        ("false", "where do these keep their data?"),
    "When a node fails, Kubernetes core creates a new node to replace it":
        ("false", "who creates machines: Kubernetes, or something outside it?"),
    "When a node fails, its pods are recreated on other nodes by their controllers":
        ("true", "controllers keep the declared number of pods"),
    "Adding nodes when the cluster is full is the job of the cluster autoscaler, an add-on":
        ("true", "is it part of core Kubernetes?"),
    "A Deployment with 6 replicas keeps 6 pods running even if one is deleted":
        ("true", "you saw it above"),
}, "statements", 2, NB5, "Spot the mistakes")
