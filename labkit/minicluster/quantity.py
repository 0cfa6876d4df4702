"""Resource quantities (``500m``, ``1.5``, ``128Mi``, ``1G``) via the official client's parser."""
from __future__ import annotations

import math
from functools import lru_cache

from labkit._kube import kubernetes_module

parse_quantity = kubernetes_module("kubernetes.utils").parse_quantity


@lru_cache(maxsize=4096)
def parse_cpu(q) -> int:
    """CPU quantity → millicores, rounded up as the API server does (``0.1`` → 100, ``1`` → 1000)."""
    return int(math.ceil(parse_quantity(q) * 1000))


@lru_cache(maxsize=4096)
def parse_memory(q) -> int:
    """Memory (or any integer) quantity → bytes (``128Mi`` → 134217728), rounded up."""
    return int(math.ceil(parse_quantity(q)))


def is_valid(q) -> bool:
    try:
        parse_quantity(q)
        return True
    except (ValueError, TypeError, ArithmeticError):
        return False


def format_cpu(millicores: int) -> str:
    return f"{millicores // 1000}" if millicores % 1000 == 0 else f"{millicores}m"


def format_memory(n: int) -> str:
    for suffix, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
