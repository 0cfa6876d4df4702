"""Import the official ``kubernetes`` client without its optional schema validator.

``kubernetes/dynamic/client.py`` imports ``kubernetes_validate`` whenever that package is
installed (labkit installs it for its API definitions, read as data by
:mod:`labkit.minicluster.schema.docs`). Importing it pulls in ``jsonschema`` and its format
checkers, which costs about two seconds - on every ``import kubernetes``, hence in every
notebook kernel. labkit never uses the dynamic client's ``validate()``, so while *labkit*
imports the client the validator is hidden (the dynamic client then records that it is not
available); afterwards ``import kubernetes_validate`` works normally. If ``kubernetes`` was
already imported, nothing changes.
"""
from __future__ import annotations

import importlib
import sys


def kubernetes_module(name: str = "kubernetes"):
    """``importlib.import_module(name)`` for a ``kubernetes`` module, hiding the validator the
    first time the package is imported."""
    if "kubernetes" in sys.modules or "kubernetes_validate" in sys.modules:
        return importlib.import_module(name)
    sys.modules["kubernetes_validate"] = None  # makes `import kubernetes_validate` fail fast
    try:
        return importlib.import_module(name)
    finally:
        if sys.modules.get("kubernetes_validate", 0) is None:
            del sys.modules["kubernetes_validate"]
