"""Cluster backends: the in-memory MiniCluster (default) and RealCluster (kubeconfig/kind)."""
