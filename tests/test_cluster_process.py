"""What creating a MiniCluster does to the Python process it runs in."""
import gc

from labkit.minicluster import cluster as mc


def test_gc_threshold_is_raised_once_and_never_lowered():
    old = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        mc.MiniCluster(nodes=1)
        assert gc.get_threshold() == (mc.GC_GEN0_THRESHOLD, 20, 100)
        gc.set_threshold(200_000, 50, 200)  # a user who tuned it higher keeps their setting
        mc.MiniCluster(nodes=1)
        assert gc.get_threshold() == (200_000, 50, 200)
        gc.set_threshold(0)  # and a disabled collector stays disabled
        mc.MiniCluster(nodes=1)
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*old)
