"""ImageLocality: prefer nodes that already have the pod's container images.

Each image present on the node adds its size, scaled by how widespread the image is (an image
on every node gives no reason to prefer any of them): ``size * nodesWithImage / allNodes``.
The sum is clamped between 23 MB and 1000 MB per container and mapped to 0-100.
Node images come from ``node.status.images`` (reported by the kubelet).
Upstream: plugins/imagelocality/image_locality.go.
"""
from __future__ import annotations

import numpy as np

from .base import Plugin
from ...upstream import (IMAGE_LOCALITY_MAX_CONTAINER_THRESHOLD, IMAGE_LOCALITY_MIN_THRESHOLD,
                        MAX_NODE_SCORE)


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = IMAGE_LOCALITY_MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = min(max(sum_scores, IMAGE_LOCALITY_MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - IMAGE_LOCALITY_MIN_THRESHOLD) // \
        (max_threshold - IMAGE_LOCALITY_MIN_THRESHOLD)


class ImageLocality(Plugin):
    name = "ImageLocality"
    weight = 1

    def pre_score(self, state, pod, snap, nodes, slots):
        state[self.name] = (snap.num_nodes, snap.image_nodes)
        return None

    def score(self, state, pod, ni):
        total_nodes, image_nodes = state[self.name]
        images = pod.image_names()
        summed = 0
        for img in images:
            size = ni.images.get(img)
            if size is not None:  # scaledImageScore
                summed += int(size * (image_nodes.get(img, 0) / total_nodes))
        return calculate_priority(summed, len(images))

    def score_vector(self, state, pod, snap, slots):
        if not any(img in snap.image_nodes for img in pod.image_names()):
            return np.zeros(len(slots), np.int64)  # no node has any of the images: all 0
        return None
