"""labkit: a hands-on Kubernetes course and the in-memory cluster it runs on."""
__version__ = "0.1.0"
