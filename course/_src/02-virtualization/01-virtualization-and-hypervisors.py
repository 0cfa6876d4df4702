# %% [markdown]
# # 01 · Virtualization and hypervisors
#
# *Module 02, virtualization and containers: notebook 1 of 5*
#
# **By the end of this notebook you can**
#
# 1. define virtualization and name its kinds (server, storage, network, desktop, application);
# 2. explain full virtualization, paravirtualization, hardware-assisted virtualization and
#    OS-level virtualization;
# 3. tell a type-1 (bare-metal) hypervisor from a type-2 (hosted) one and classify real products;
# 4. draw the layer stack of a virtualised machine, and say what the VMM does.

# %% tags=["parameters"]
SOLUTIONS = False
SEED = 0

# %%
import ipywidgets as W

from labkit import viz, widgets
from labkit.grading import check
from labkit.solutions import setup, solve

setup(SOLUTIONS, SEED)

# %% [markdown]
# ## What is virtualization?
#
# **Virtualization** presents physical resources (processors, memory, disks, networks) as
# *logical* ones that are not tied to a particular piece of hardware. A program using a
# virtual resource neither knows nor cares which physical one is behind it, so resources can
# be split (one server becomes ten), pooled (ten disks become one volume) or moved (a running
# machine migrates to another host).
#
# Why bother? Physical servers are usually far more powerful than one application needs, and
# old hardware is often too weak to be useful alone. Virtualization lets both be carved up and
# combined so the capacity is actually used.
#
# | kind | what is virtualised | example |
# |---|---|---|
# | **server / compute** | a whole computer: CPU, memory, devices | VMs on KVM, ESXi, Hyper-V |
# | **storage** | disks pooled into volumes, independent of where blocks live | Ceph, SAN volumes, cloud block storage |
# | **network** | switches, routers, addresses defined in software | VLANs, virtual IPs, overlay networks, SDN |
# | **desktop** | a user's desktop runs in a data centre, shown remotely | VDI (virtual desktop infrastructure) |
# | **application** | an app runs isolated from the OS it appears to run on | application sandboxes, containers |
#
# ## The hypervisor (VMM)
#
# Server virtualization relies on a **hypervisor**, also called the **virtual machine monitor
# (VMM)**: a layer between the physical hardware and the virtual machines. It gives each VM its
# share of CPU time, memory, disk and network, presents it with virtual devices, starts each
# VM's own operating system (the *guest OS*), and keeps VMs from touching each other's memory.
# Seen from the VMs it is a kind of operating system for operating systems.
#
# Hypervisors come in two types:
#
# * **Type 1 ("bare metal")** runs directly on the hardware; there is no general-purpose host
#   OS underneath. Examples: VMware **ESXi**, **Xen**, Microsoft **Hyper-V**, and **KVM**, which
#   is part of the Linux kernel and turns Linux itself into the hypervisor. Used in data
#   centres and clouds: less overhead, stronger isolation.
# * **Type 2 ("hosted")** runs as an application on an ordinary host operating system, which
#   owns the hardware. Examples: **VMware Workstation**, Oracle **VirtualBox**, **Parallels
#   Desktop**. Used on laptops and desktops for testing and learning.

# %%
viz.stack({"Type 1 (bare metal)": viz.vm_layers(("App A", "App B"), hypervisor_type=1),
           "Type 2 (hosted)": viz.vm_layers(("App A", "App B"), hypervisor_type=2)},
          title="hypervisor types")

# %% [markdown]
# ## How can a guest OS run on virtual hardware?
#
# An operating system expects to own the processor: it executes privileged instructions that
# change page tables, handle interrupts or talk to devices. A hypervisor must intercept those
# so the guest cannot take over the real machine. Three techniques:
#
# * **Full virtualization**: the guest OS is unmodified and does not know it is virtualised;
#   the hypervisor traps or translates its privileged instructions (early VMware used binary
#   translation) and emulates complete devices.
# * **Paravirtualization**: the guest OS is modified to *ask* the hypervisor (with
#   "hypercalls") instead of executing privileged instructions; faster, but the guest must be
#   adapted. Classic Xen worked this way; paravirtual *drivers* (virtio) are still everywhere.
# * **Hardware-assisted virtualization**: the CPU itself has a guest mode (Intel VT-x, AMD-V)
#   that traps privileged operations cheaply, so unmodified guests run at near-native speed.
#   KVM requires it; today every mainstream hypervisor uses it.
#
# A fourth approach is not a hypervisor at all: **OS-level virtualization**. One kernel runs
# many isolated user spaces (containers); there is no guest OS. That is the subject of
# notebooks 03 and 04.

# %% [markdown]
# ## Build a stack
#
# Choose the layers and watch the diagram. Which combinations need a host OS? What does
# choosing *containers* remove?

# %%
def build(kind, machines, guest):
    apps = [f"App {chr(65 + i)}" for i in range(machines)]
    if kind == "containers (OS-level)":
        layers = viz.container_layers(apps)
    else:
        layers = viz.vm_layers(apps, hypervisor_type=1 if kind.startswith("type 1") else 2)
        layers[2] = [(f"Guest OS: {guest}", "guest-os")] * machines
    return viz.stack(layers, title="your stack")


widgets.Interactive(
    {"kind": W.Dropdown(options=["type 1 hypervisor", "type 2 hypervisor", "containers (OS-level)"],
                        description="isolation"),
     "machines": W.IntSlider(value=2, min=1, max=4, description="VMs/containers"),
     "guest": W.Dropdown(options=["Linux", "Windows"], description="guest OS")},
    build, title="Stack builder")

# %% [markdown]
# ### Exercise 1 (2 points): identify hypervisor types
#
# Sort each product by hypervisor type.

# %%
types = widgets.Classify(
    "m02-hypervisor-types",
    "Type 1 (bare metal) or type 2 (hosted)?",
    items=["VMware ESXi", "Oracle VirtualBox", "Xen", "VMware Workstation", "KVM",
           "Microsoft Hyper-V", "Parallels Desktop"],
    buckets=["type 1", "type 2"],
)
solve("m02-hypervisor-types")
types

# %%
check("m02-hypervisor-types")

# %% [markdown]
# ### Exercise 2 (2 points): write down a stack
#
# A developer runs **VirtualBox** on a laptop with **Windows** installed, and inside it one
# **Ubuntu Linux** VM that runs a **PostgreSQL** database. Fill `my_stack` with the layers
# from the top (the application) to the bottom (the hardware), one string per layer, choosing
# from: `"PostgreSQL"`, `"Ubuntu (guest OS)"`, `"VirtualBox (hypervisor)"`,
# `"Windows (host OS)"`, `"laptop hardware"`. Then draw it with `viz.stack(my_stack)`.

# %%
my_stack = []
solve("m02-stack-build")
viz.stack(my_stack or ["(empty: fill my_stack)"], title="my stack")

# %%
check("m02-stack-build")

# %% [markdown]
# ## Summary
#
# * Virtualization turns physical resources into logical ones that can be split, pooled and moved.
# * A hypervisor (VMM) runs virtual machines, each with its own guest OS.
# * Type 1 runs on the hardware (ESXi, Xen, Hyper-V, KVM); type 2 runs on a host OS
#   (VMware Workstation, VirtualBox, Parallels).
# * Guests run through full virtualization, paravirtualization or, today almost always,
#   hardware assistance (VT-x/AMD-V); containers are OS-level virtualization with no guest OS.
#
# **Go further.** On a Linux machine, `grep -cE 'vmx|svm' /proc/cpuinfo` counts CPU threads
# with hardware virtualization, and `ls /dev/kvm` shows whether KVM is available. Kubernetes
# nodes are very often VMs themselves: a cloud's managed Kubernetes runs your containers inside
# VMs on a type-1 hypervisor.
