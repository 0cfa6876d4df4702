"""Explain records: why the cluster did what it did, kept for the course's widgets.

Components add small dict records under a topic: ``scheduler`` (per-node filter reasons and
scores), ``rollout`` (surge/unavailable arithmetic at each step of a Deployment rollout),
``replicaset-victims`` (the ranking keys that chose which pods to delete on scale-down).
Records are kept in a bounded ring per topic so a 100k-pod cluster does not hoard them.
"""
from __future__ import annotations

from collections import deque


class ExplainLog:
    def __init__(self, maxlen: int = 2000):
        self.maxlen = maxlen
        self._topics: dict[str, deque] = {}

    def add(self, topic: str, record: dict) -> None:
        self._topics.setdefault(topic, deque(maxlen=self.maxlen)).append(record)

    def records(self, topic: str) -> list[dict]:
        return list(self._topics.get(topic, ()))

    def last(self, topic: str) -> dict | None:
        q = self._topics.get(topic)
        return q[-1] if q else None

    def frame(self, topic: str):
        """The records of a topic as a pandas DataFrame."""
        import pandas as pd
        return pd.DataFrame(self.records(topic))

    def topics(self) -> list[str]:
        return sorted(self._topics)
