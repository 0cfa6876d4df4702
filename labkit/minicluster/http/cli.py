"""``labkit serve``: run an in-memory cluster and serve its API to real kubectl.

    labkit serve --nodes 3 --kubeconfig ~/.kube/labkit.yaml
    KUBECONFIG=~/.kube/labkit.yaml kubectl get nodes

It never touches ``~/.kube/config`` unless that path is given explicitly with
``--overwrite``. Virtual time follows the wall clock (``--speed`` to fast-forward).
"""
from __future__ import annotations

import argparse
import os
import signal
import threading
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="labkit serve", description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1", help="listen address (default: loopback only)")
    p.add_argument("--port", type=int, default=6443)
    p.add_argument("--kubeconfig", default=os.path.join(os.getcwd(), "labkit.kubeconfig"))
    p.add_argument("--overwrite", action="store_true", help="allow replacing an existing file")
    p.add_argument("--speed", type=float, default=1.0, help="virtual seconds per wall second")
    p.add_argument("--time-mode", choices=["realtime", "settle", "manual"], default="realtime")
    p.add_argument("--start", choices=["now", "epoch"], default="now",
                   help="virtual clock start: the current second (default; kubectl computes the "
                        "ages in `describe` and `kubectl events` from the local clock) or labkit's "
                        "fixed 2025-01-01 epoch (timestamps repeat from run to run)")
    p.add_argument("--no-metrics-server", action="store_true",
                   help="leave out the metrics-server add-on (kubectl top: Metrics API not available)")
    args = p.parse_args(argv)
    path = os.path.expanduser(args.kubeconfig)
    if os.path.exists(path) and not args.overwrite:
        p.error(f"{path} exists: pass --overwrite to replace it, or choose another --kubeconfig")
    from labkit.minicluster.clock import EPOCH
    from labkit.minicluster.cluster import MiniCluster
    start = EPOCH if args.start == "epoch" else float(int(time.time()))
    cluster = MiniCluster(nodes=args.nodes, seed=args.seed, start=start,
                          metrics_server=not args.no_metrics_server)
    handle = cluster.serve(args.host, args.port, args.time_mode, args.speed)
    handle.write_kubeconfig(path)
    print(f"labkit API server on {handle.url} ({args.nodes} nodes, time {args.time_mode})")
    print(f"  export KUBECONFIG={path}")
    print("  kubectl get nodes")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    handle.stop()
    return 0
