"""Layered "stack" diagrams: what runs on what (hardware, hypervisor, OS, runtime, apps).

    viz.stack(["App", "Operating system", "Hardware"])
    viz.stack({"Virtual machines": viz.vm_layers(), "Containers": viz.container_layers()})

A stack is a list of layers from TOP to BOTTOM. A layer is a string (one full-width box), a
``(text, role)`` pair (role picks the colour, see :data:`labkit.viz.diagram.COLORS`), or a list
of those (boxes side by side, e.g. one guest OS per virtual machine).
"""
from __future__ import annotations

import math

from .diagram import COLORS, Diagram, esc, new_graph, node_id

# Keywords that give a layer its colour when no role is given (checked in this order).
_ROLE_WORDS = [
    ("guest-os", ("guest os", "guest kernel")),
    ("hypervisor", ("hypervisor", "vmm", "kvm", "esxi", "xen", "hyper-v", "virtualbox",
                    "workstation")),
    ("runtime", ("runtime", "docker", "containerd", "cri-o", "engine", "kubelet")),
    ("hardware", ("hardware", "server", "cpu", "machine")),
    ("os", ("os", "kernel", "linux", "windows", "operating system")),
    ("bins", ("bins", "libs", "libraries")),
    ("container", ("container",)),
]


def role_of(text: str) -> str:
    """Guess a layer's role from its text ("Guest OS" -> guest-os, "KVM" -> hypervisor...)."""
    low = text.lower()
    for role, words in _ROLE_WORDS:
        if any(w == low or f" {w}" in f" {low}" for w in words):
            return role
    return "app"


def _cells(layer) -> list[tuple[str, str]]:
    items = layer if isinstance(layer, list) else [layer]
    out = []
    for item in items:
        text, role = item if isinstance(item, tuple) else (item, None)
        out.append((str(text), role or role_of(str(text))))
    return out


def _table(layers, caption: str = "") -> tuple[str, list[str]]:
    """An HTML-like table label for one stack (caption on top), and its rows as plain text."""
    rows = [_cells(layer) for layer in layers]
    width = math.lcm(*[len(r) for r in rows]) if rows else 1
    html_rows, text_rows = [], []
    for cells in rows:
        span = width // len(cells)
        tds = "".join(
            f'<td colspan="{span}" bgcolor="{COLORS.get(role, COLORS["app"])}">{esc(text)}</td>'
            for text, role in cells)
        html_rows.append(f"<tr>{tds}</tr>")
        text_rows.append(" | ".join(text for text, _ in cells))
    if caption:
        html_rows.insert(0, f'<tr><td colspan="{width}" border="0"><b>{esc(caption)}</b></td></tr>')
    label = ('<<table border="0" cellborder="1" cellspacing="3" cellpadding="9">'
             + "".join(html_rows) + "</table>>")
    return label, text_rows


def stack(layers, title: str = "stack") -> Diagram:
    """Draw one stack (a list of layers, top first) or several side by side (a dict
    ``{caption: layers}``). The text repr lists the layers top to bottom."""
    stacks = layers if isinstance(layers, dict) else {"": layers}
    g = new_graph("stack", nodesep="0.5")
    g.attr("node", shape="plain", style="")
    summaries, ids = [], []
    for caption, rows in stacks.items():
        label, text_rows = _table(rows, caption)
        ids.append(node_id("stack", caption or "only"))
        g.node(ids[-1], label=label)
        summaries.append((f"{caption}: " if caption else "") + " / ".join(text_rows))
    with g.subgraph() as row:  # side by side, in the order given
        row.attr(rank="same")
        for a, b in zip(ids, ids[1:]):
            row.edge(a, b, style="invis")
    return Diagram(g, title, "; ".join(summaries))


# -- the classic pictures --------------------------------------------------------------------

def bare_metal_layers(apps=("App A", "App B", "App C"), os="Operating system") -> list:
    """Traditional era: every app shares one OS on one physical server, no boundaries."""
    return [list(apps), "Bins / Libs (shared)", os, "Hardware (physical server)"]


def vm_layers(apps=("App A", "App B", "App C"), hypervisor_type: int = 1,
              hypervisor: str | None = None, host_os: str = "Host OS") -> list:
    """Virtualised era: each app gets a whole virtual machine with its own guest OS.

    Type 1 ("bare metal": ESXi, Xen, KVM) runs directly on the hardware; type 2 ("hosted":
    VMware Workstation, VirtualBox) runs as a program on a host operating system.
    """
    if hypervisor_type not in (1, 2):
        raise ValueError("hypervisor_type is 1 (bare metal) or 2 (hosted)")
    if hypervisor is None:
        hypervisor = ("Hypervisor, type 1 (ESXi, Xen, KVM)" if hypervisor_type == 1 else
                      "Hypervisor, type 2 (VMware Workstation, VirtualBox)")
    layers = [list(apps), ["Bins / Libs"] * len(apps), [("Guest OS", "guest-os")] * len(apps),
              (hypervisor, "hypervisor")]
    if hypervisor_type == 2:
        layers.append((host_os, "os"))
    layers.append("Hardware")
    return layers


def container_layers(apps=("App A", "App B", "App C"),
                     runtime: str = "Container runtime (containerd)",
                     os: str = "Host OS (one shared Linux kernel)") -> list:
    """Container era: apps carry their own files but share the host's kernel."""
    return [list(apps), ["Bins / Libs"] * len(apps), (runtime, "runtime"), (os, "os"), "Hardware"]


def era_stacks(apps=("App A", "App B", "App C")) -> Diagram:
    """The three deployment eras side by side."""
    return stack({"Traditional": bare_metal_layers(apps), "Virtualized": vm_layers(apps),
                  "Container": container_layers(apps)}, title="deployment eras")
