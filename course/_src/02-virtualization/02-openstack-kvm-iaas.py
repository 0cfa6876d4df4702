# %% [markdown]
# # 02 · OpenStack, KVM and the IaaS era
#
# *Module 02, virtualization and containers: notebook 2 of 5*
#
# **By the end of this notebook you can**
#
# 1. explain Infrastructure as a Service (IaaS) and where it sits below PaaS, SaaS and serverless;
# 2. name the main OpenStack services (Nova, Glance, Swift, Keystone, Horizon, Cinder,
#    Neutron...) and say what each does;
# 3. describe how KVM, QEMU and libvirt work together, and how OpenStack drives them;
# 4. explain why containers and OpenStack complement rather than replace each other, and map
#    OpenStack ideas to their Kubernetes counterparts.

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
# ## Infrastructure as a Service
#
# Virtualization gave one company many VMs on its own servers. **Cloud computing** adds
# self-service and scale: anyone with an account asks an API for resources and gets them in
# minutes, billed by use. Cloud services are usually grouped by what you still manage:
#
# | model | the provider runs | you manage | examples |
# |---|---|---|---|
# | **IaaS** (infrastructure) | hardware, hypervisor, networks, storage | the VMs' OS, runtime, application | AWS EC2, OpenStack |
# | **PaaS** (platform) | all of the above + OS and runtime | your application and data | Heroku, Google App Engine |
# | **SaaS** (software) | everything | your data and settings | web mail, online office suites |
# | **Serverless / FaaS** | everything, per function call | function code | AWS Lambda, Knative |
#
# Kubernetes sits between IaaS and PaaS: it runs on VMs (or bare metal) and gives you a
# platform for containers.
#
# ## OpenStack: an open-source IaaS
#
# **OpenStack** started in 2010 as a joint project of NASA and Rackspace to build public and
# private clouds from open-source software. It is not one program but a family of services,
# each with its own API, that together turn a data centre of servers into a self-service cloud:
# a "cloud operating system" for the data centre.

# %%
openstack = pd.DataFrame([
    ("Keystone", "identity", "core", "users, projects, roles and tokens; the service catalogue"),
    ("Nova", "compute", "core", "creates and manages VM instances on the hypervisors"),
    ("Glance", "images", "core", "stores and serves the VM images instances boot from"),
    ("Neutron", "networking", "core", "virtual networks, subnets, routers, floating IPs, security groups"),
    ("Cinder", "block storage", "extended", "persistent volumes attached to instances"),
    ("Swift", "object storage", "extended", "replicated object store over HTTP, like Amazon S3"),
    ("Designate", "DNS", "extended", "DNS as a service"),
    ("Ironic", "bare metal", "extended", "provisions physical machines like VMs"),
    ("Horizon", "dashboard", "optional", "web user interface (a Django application)"),
    ("Ceilometer", "telemetry", "optional", "metering and monitoring data"),
    ("Barbican", "secrets", "optional", "key and secret management"),
    ("Heat", "orchestration", "consumer", "creates whole stacks of resources from templates"),
    ("Magnum", "containers", "consumer", "deploys container orchestration engines such as Kubernetes"),
], columns=["service", "area", "layer", "job"])
openstack

# %% [markdown]
# The layers: **core** services are the minimum for a working compute cloud (Keystone, Nova,
# Glance, with Neutron for networking); **extended** services add storage, DNS and bare metal;
# **optional** ones add a user interface, telemetry and secrets; **consumer** services are built
# on the others (Heat creates servers, networks and volumes from a template, much as a
# Kubernetes manifest declares resources).
#
# ## KVM, QEMU and libvirt
#
# OpenStack does not virtualise anything itself: it *manages* hypervisors. On Linux the usual
# stack is:
#
# * **KVM** (Kernel-based Virtual Machine): a module of the Linux kernel, since 2007, that uses
#   the CPU's virtualization extensions (Intel VT-x / AMD-V) to run guest code directly on the
#   processor. It turns Linux into a hypervisor and reuses Linux's scheduler, memory management
#   and drivers. (Red Hat acquired Qumranet, KVM's creator, in 2008.)
# * **QEMU**: a user-space program that emulates a machine's devices (disks, network cards,
#   BIOS). With KVM it handles the devices while KVM runs the CPU: together, "qemu-kvm". Each
#   VM is one QEMU process on the host.
# * **libvirt**: a management library and daemon with a stable API over several hypervisors
#   (KVM/QEMU, Xen...). Its command-line client is `virsh`; `virt-manager` is a GUI.
# * **Nova** (the `nova-compute` service on each host) calls libvirt, never QEMU directly.
#
# Step through what happens when a user asks for a VM:

# %%
BOOT_STEPS = [
    ("user", "Horizon", "1. 'launch instance'"),
    ("Horizon", "Keystone", "2. authenticate, get a token"),
    ("Horizon", "Nova API", "3. create server"),
    ("Nova API", "Nova scheduler", "4. pick a host"),
    ("Nova scheduler", "nova-compute", "5. build on host"),
    ("nova-compute", "Glance", "6. fetch the image"),
    ("nova-compute", "Neutron", "7. plug a network port"),
    ("nova-compute", "Cinder", "8. attach a volume"),
    ("nova-compute", "libvirt", "9. define + start domain"),
    ("libvirt", "QEMU/KVM", "10. run the VM process"),
]
frames = [(label, viz.flow(BOOT_STEPS, highlight={a, b}, title="VM boot"))
          for a, b, label in BOOT_STEPS]
widgets.Stepper(frames, title="Booting a VM in OpenStack")

# %% [markdown]
# ### Exercise 1 (3 points): match components to jobs

# %%
jobs = widgets.Matching(
    "m02-openstack-match",
    "Which component does each job?",
    items=["Checks who you are and issues tokens", "Stores the images VMs boot from",
           "Runs VM instances on compute hosts", "Provides persistent block volumes",
           "Stores objects over HTTP, like S3", "Creates virtual networks and routers",
           "Web dashboard", "Emulates a VM's devices in user space",
           "Kernel module that runs guest code on the CPU"],
    options=["Keystone", "Glance", "Nova", "Cinder", "Swift", "Neutron", "Horizon", "QEMU", "KVM"],
)
solve("m02-openstack-match")
jobs

# %%
check("m02-openstack-match")

# %% [markdown]
# ## Containers and OpenStack: complements
#
# When Docker became popular (2013 on) people asked: if containers run directly on a server,
# who needs OpenStack? In practice they solve different problems:
#
# * Containers make *applications* light and dense; an IaaS manages the *data centre*:
#   multi-tenancy, quotas, networks, storage, images, billing. Containers need machines, and
#   those machines are very often VMs from an IaaS.
# * Containers share a kernel, so their isolation is weaker than VMs'; hostile tenants are
#   still separated by VMs (or by VM-based container sandboxes).
# * OpenStack itself runs containerised (the Kolla project) and can create Kubernetes clusters
#   (Magnum).
#
# Many ideas carry over to Kubernetes:
#
# | OpenStack | Kubernetes |
# |---|---|
# | Nova scheduler + nova-compute | kube-scheduler + kubelet |
# | Glance (VM images) | a container registry (Docker Hub, Harbor) |
# | Keystone (identity, roles) | authentication + RBAC |
# | Cinder volumes | PersistentVolumes via CSI drivers |
# | Neutron networks, security groups | the CNI network, Services, NetworkPolicies |
# | Heat templates | manifests, Helm charts |
# | Horizon | the Kubernetes dashboard, KubeSphere |

# %% [markdown]
# ### Exercise 2 (2 points): quiz
#
# Select **all** true statements.

# %%
quiz = widgets.MultipleChoice(
    "m02-iaas-quiz",
    "Which statements are true?",
    options=[
        "OpenStack is itself a hypervisor that replaces KVM",
        "nova-compute manages VMs through libvirt",
        "KVM needs the CPU's virtualization extensions (Intel VT-x or AMD-V)",
        "QEMU emulates devices while KVM runs the guest's instructions on the CPU",
        "Containers made IaaS clouds unnecessary",
        "Keystone is OpenStack's identity service",
    ],
    multiple=True,
)
solve("m02-iaas-quiz")
quiz

# %%
check("m02-iaas-quiz")

# %% [markdown]
# ## Summary
#
# * IaaS rents out virtual machines, networks and storage through an API; OpenStack is the
#   best-known open-source IaaS.
# * Core OpenStack: Keystone (identity), Nova (compute), Glance (images), Neutron (network);
#   plus Cinder (block), Swift (object), Horizon (dashboard), Heat (templates) and more.
# * KVM runs guest CPUs in the kernel, QEMU emulates devices, libvirt manages both, and
#   nova-compute drives libvirt.
# * Containers and IaaS complement each other; Kubernetes reuses many IaaS ideas.
#
# **Go further.** On a Linux host with libvirt: `virsh list --all` lists VMs, `virsh dominfo
# NAME` shows one. In a cloud-hosted Kubernetes cluster, `kubectl get nodes -o wide` shows the
# VMs (the IaaS instances) that your pods run on.
