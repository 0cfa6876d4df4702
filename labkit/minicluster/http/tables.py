"""Server-side printing: ``kubectl get`` asks for ``application/json;as=Table`` and prints the
columns the server sends. The column logic lives in :mod:`labkit.kubectl.columns`, shared with
labkit's own ``kubectl()`` so both print the same thing."""
from __future__ import annotations


def to_table(cluster, rt, result, include_object="Metadata"):
    from labkit.kubectl.columns import to_table as build_table
    items = result["items"] if "items" in result else [result]
    for it in items:  # list items lost kind/apiVersion on the wire; printers want them
        it.setdefault("kind", rt.kind)
        it.setdefault("apiVersion", rt.api_version)
    table = build_table(items, rt, now=cluster.clock.now(), wide=True)
    table.setdefault("metadata", {})
    if "metadata" in result and "items" in result:
        table["metadata"]["resourceVersion"] = result["metadata"].get("resourceVersion", "")
        if result["metadata"].get("continue"):
            table["metadata"]["continue"] = result["metadata"]["continue"]
    for row, obj in zip(table["rows"], items):
        if include_object == "None":
            row.pop("object", None)
        elif include_object != "Object":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        else:
            row["object"] = obj
    return table
