"""Interactive widgets for the course; each also leaves a static HTML/text fallback.

Quizzes wired to graded checks (the student's answer becomes the check's answer):
``MultipleChoice``, ``Ordering``, ``Matching``, ``Classify``.
Cluster: ``ApplyEditor`` (YAML textarea + Apply -> kubectl's answer or the error).
Cluster views: ``ClusterDashboard`` (nodes/pods/events + actions), ``SchedulerPlayground``.
Generic: ``Interactive`` (controls -> a view), ``Stepper`` (Back/Next over frames),
``Explorer`` (filter a DataFrame), ``LiveView`` (machine-specific readings, live only).
"""
from . import answers
from .base import Panel, message, to_html
from .editor import ApplyEditor
from .explore import Explorer, Interactive, LiveView, Stepper
from .quiz import Classify, Matching, MultipleChoice, Ordering, Quiz

__all__ = ["answers", "Panel", "message", "to_html", "ApplyEditor", "Explorer", "Interactive",
           "LiveView", "Stepper", "Classify", "Matching", "MultipleChoice", "Ordering", "Quiz"]
from .dashboard import ClusterDashboard  # noqa: E402 - module 03 (cluster overview)
from .scheduler import SchedulerPlayground  # noqa: E402 - module 03 (scheduler)
__all__ += ["ClusterDashboard", "SchedulerPlayground"]
from .reconcile import ReconcileStepper, record_reconcile, run_controller  # noqa: E402 - module 03 (controllers)
__all__ += ["ReconcileStepper", "record_reconcile", "run_controller"]
