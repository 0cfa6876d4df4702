"""A pod's private random generator, built only when the pod first needs a random number.

Every pod worker owns a generator seeded with ``"<kubelet seed>/<pod UID>"``, so what happens
in one pod (a flaky program deciding to crash, the ID of a sandbox that failed) does not depend
on what other pods did before: the same seed gives the same outputs, in any order of events.

A ``random.Random`` carries the 624-word state of the Mersenne Twister: about 2.5 KB. Most pods
never draw a single number (an nginx pod that just runs), so at 150,000 pods eager generators
would cost ~375 MB for nothing. :class:`LazyRandom` keeps only the seed's parts (two references)
and builds the real ``random.Random`` on the first call. The sequence is exactly the one an
eager ``random.Random(seed)`` gives, because seeding does not depend on *when* it happens.

Any method of ``random.Random`` works (``random()``, ``getrandbits()``, ``randrange()``,
``choice()``, ``uniform()``...): the common ones are spelled out, the rest are forwarded.
"""
from __future__ import annotations

import random


class LazyRandom:
    """``random.Random(f"{seed}/{key}")`` (``random.Random(seed)`` when ``key`` is None),
    created on first use."""

    __slots__ = ("_seed", "_key", "_rng")

    def __init__(self, seed, key: str | None):
        self._seed, self._key = seed, key
        self._rng = None

    @property
    def materialized(self) -> bool:
        """True once a number has been drawn (the generator exists)."""
        return self._rng is not None

    def _real(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self._seed if self._key is None else f"{self._seed}/{self._key}")
        return self._rng

    def random(self) -> float:
        return self._real().random()

    def getrandbits(self, k: int) -> int:
        return self._real().getrandbits(k)

    def randrange(self, *args):
        return self._real().randrange(*args)

    def choice(self, seq):
        return self._real().choice(seq)

    def uniform(self, a: float, b: float) -> float:
        return self._real().uniform(a, b)

    def __getattr__(self, name: str):  # shuffle, sample, getstate... of the real generator
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._real(), name)
