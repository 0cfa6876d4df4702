"""Root test configuration, kept minimal: component tests keep their own fixtures.

* The venv's ``bin/`` (real ``kubectl``, graphviz-pure) goes first on ``PATH`` even when pytest
  was started without activating the venv (``.venv/bin/pytest``).
* Notebooks under ``tests/`` are test data (for example submissions for the grader), not
  notebooks to validate: ``scripts/test.sh`` runs ``--nbval`` on ``course/`` in the same pytest
  invocation, and this keeps nbval from collecting them.
"""
from labkit._tools import ensure_tools_on_path

ensure_tools_on_path()

collect_ignore_glob = ["*.ipynb"]
