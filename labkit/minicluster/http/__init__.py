"""The Kubernetes REST API over loopback HTTP, for real ``kubectl`` and the official client."""
from .server import ServerHandle, serve

__all__ = ["serve", "ServerHandle"]
