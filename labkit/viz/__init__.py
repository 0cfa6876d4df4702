"""Diagrams for the course, rendered by graphviz-pure so the SVG is identical everywhere.

Every function returns a :class:`Diagram` (SVG in Jupyter, a fixed one-line text repr):

=================================  =================================================================
``stack(layers)``                  layered stack (hardware / hypervisor / OS / runtime / apps)
``era_stacks()``                   the three deployment eras side by side
``vm_layers()``, ``container_layers()``, ``bare_metal_layers()``: layer lists for ``stack``
``architecture(cluster=None)``     control plane components + worker nodes (live if a cluster is given)
``topology(cluster)``              nodes holding their pods, coloured by owner
``ownership(cluster)``             Deployment -> ReplicaSet -> Pod (ownerReferences), Service -> pods
``timeline(events)``               events in time order
``sequence(events)``               sequence diagram: component -> object, one arrow per event
``sequence_diagram(messages)``     kubectl/API server/etcd/.../runtime lanes, from a ``FlowRecorder``
``flow(steps, highlight=...)``     a chain of steps (pipelines, request paths)
``figure(fig)``                    a matplotlib figure as deterministic SVG
=================================  =================================================================
"""
from .cluster import architecture, ownership, top_owners, topology
from .diagram import COLORS, PALETTE, Diagram
from .figures import Figure, figure
from .flow import flow
from .recorder import FlowRecorder, sequence_diagram
from .stacks import bare_metal_layers, container_layers, era_stacks, role_of, stack, vm_layers
from .timeline import event_rows, sequence, timeline

__all__ = ["Diagram", "Figure", "COLORS", "PALETTE", "stack", "era_stacks", "vm_layers",
           "container_layers", "bare_metal_layers", "role_of", "architecture", "topology",
           "ownership", "top_owners", "timeline", "sequence", "sequence_diagram", "FlowRecorder", "event_rows", "figure", "flow"]
