"""What a check says: a :class:`Result` made of :class:`Part` s, each worth some points.

A check function builds a result part by part::

    r = Result()
    r.part("the Deployment exists", dep is not None, points=1,
           hint="create it with c.apply(...) first")
    r.part("it runs 3 replicas", replicas == 3, points=1,
           message=f"spec.replicas is {replicas}")
    return r

Scoring. Each part carries points; the check's score is the registered maximum times the share
of part points that passed, so parts can be written with any weights (``points=1`` each means
"equal weight"). A result with no parts scores 0. Scores are rounded to 2 decimals, so the same
evidence always gives the same number.

The same result renders three ways, all deterministic (no ids, no times): ``__repr__``
(text/plain, what nbval and GitHub show), ``_repr_html_`` (a small coloured box) and
:meth:`Result.to_markdown` (the instructor's feedback files), plus :meth:`Result.to_metadata`
(the machine-readable record put in the cell output's metadata).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field

OK, BAD = "\u2713", "\u2717"  # ✓ ✗
CSS_OK = "#1a7f37"
CSS_BAD = "#b42318"
CSS_PARTIAL = "#9a6700"


@dataclass
class Part:
    """One graded statement about the student's work."""

    description: str
    passed: bool
    points: float = 1.0
    message: str = ""
    hint: str = ""

    def to_dict(self) -> dict:
        return {"name": self.description, "passed": bool(self.passed), "points": self.points,
                "message": self.message, "hint": "" if self.passed else self.hint}


@dataclass
class Result:
    """The outcome of one check: its parts plus the identity the registry gives it.

    ``check_id``, ``title`` and ``max_points`` are filled in by the evaluator from the
    registered check (a check function never decides how much it is worth).
    """

    parts: list = field(default_factory=list)
    check_id: str = ""
    title: str = ""
    max_points: float = 0.0
    #: Set by the evaluator when the check could not run (not answered, an error, a timeout).
    note: str = ""
    #: The check stopped early (a missing answer): parts it did not reach are unknown, so the
    #: score counts at least the check's full points as the denominator (never inflated).
    incomplete: bool = False

    # -- building ---------------------------------------------------------------------------
    def part(self, description: str, passed, points: float = 1.0, message: str = "",
             hint: str = "") -> bool:
        """Add a part; returns ``passed`` (as a bool) so checks can chain on it."""
        passed = bool(passed)
        self.parts.append(Part(str(description), passed, float(points), str(message or ""),
                               str(hint or "")))
        return passed

    def fail(self, message: str, hint: str = "") -> "Result":
        """The whole check fails with one message (e.g. "there is no Deployment named web")."""
        self.parts.append(Part(message, False, 1.0, "", hint))
        return self

    # -- scoring ----------------------------------------------------------------------------
    @property
    def fraction(self) -> float:
        total = sum(p.points for p in self.parts)
        if self.incomplete:
            total = max(total, self.max_points)
        if total <= 0:
            return 0.0
        return sum(p.points for p in self.parts if p.passed) / total

    @property
    def score(self) -> float:
        return round(self.max_points * self.fraction, 2)

    @property
    def passed(self) -> bool:
        """True when every part passed (and there is at least one)."""
        return bool(self.parts) and all(p.passed for p in self.parts)

    @property
    def status(self) -> str:
        """``passed``, ``partial`` or ``failed``."""
        if self.passed:
            return "passed"
        return "partial" if self.score > 0 else "failed"

    @property
    def summary(self) -> str:
        """One sentence for the student."""
        if self.note:
            return self.note
        if self.passed:
            return "All parts pass: well done!"
        good = sum(1 for p in self.parts if p.passed)
        if not self.parts:
            return "This check found nothing to grade."
        return f"{good} of {len(self.parts)} parts pass."

    @property
    def feedback(self) -> str:
        """Plain-text feedback: the summary and the failing parts with their hints."""
        lines = [self.summary]
        for p in self.parts:
            if not p.passed:
                lines.append(f"{BAD} {p.description}" + (f": {p.message}" if p.message else ""))
                if p.hint:
                    lines.append(f"  hint: {p.hint}")
        return "\n".join(lines)

    # -- rendering --------------------------------------------------------------------------
    def _points(self, value: float) -> str:
        return f"{value:g}"

    def headline(self) -> str:
        mark = OK if self.passed else BAD
        name = f"{self.check_id}" + (f" ({self.title})" if self.title else "")
        return (f"{mark} {name}: {self._points(self.score)}/{self._points(self.max_points)} "
                f"points. {self.summary}")

    def __repr__(self) -> str:
        lines = [self.headline()]
        for p in self.parts:
            mark = OK if p.passed else BAD
            lines.append(f"  {mark} {p.description}" + (f": {p.message}" if p.message else ""))
            if not p.passed and p.hint:
                lines.append(f"      hint: {p.hint}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = CSS_OK if self.passed else (CSS_PARTIAL if self.score > 0 else CSS_BAD)
        esc = html.escape
        rows = []
        for p in self.parts:
            c = CSS_OK if p.passed else CSS_BAD
            text = esc(p.description) + (f": {esc(p.message)}" if p.message else "")
            hint = (f'<div style="margin-left:1.4em;color:#555"><i>hint:</i> {esc(p.hint)}</div>'
                    if not p.passed and p.hint else "")
            rows.append(f'<li style="list-style:none"><span style="color:{c}">'
                        f'{OK if p.passed else BAD}</span> {text}{hint}</li>')
        title = esc(self.check_id) + (f" &middot; {esc(self.title)}" if self.title else "")
        return (f'<div class="labkit-check" style="border-left:4px solid {colour};'
                f'padding:4px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{OK if self.passed else BAD} {title}</b> '
                f'<span>{self._points(self.score)}/{self._points(self.max_points)} points</span>'
                f'<div>{esc(self.summary)}</div>'
                f'<ul style="margin:4px 0;padding-left:4px">{"".join(rows)}</ul></div>')

    def to_markdown(self) -> str:
        mark = OK if self.passed else BAD
        out = [f"### {mark} `{self.check_id}`" + (f" {self.title}" if self.title else "")
               + f": {self._points(self.score)}/{self._points(self.max_points)}", "",
               self.summary, ""]
        for p in self.parts:
            out.append(f"- {OK if p.passed else BAD} {p.description}"
                       + (f": {p.message}" if p.message else ""))
            if not p.passed and p.hint:
                out.append(f"  - *hint:* {p.hint}")
        return "\n".join(out).rstrip() + "\n"

    def to_metadata(self) -> dict:
        """The machine-readable form (cell output metadata, gradebook details)."""
        return {"check": self.check_id, "title": self.title, "points": self.score,
                "max": self.max_points, "passed": self.passed, "status": self.status,
                "message": self.summary, "note": self.note, "incomplete": self.incomplete,
                "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def from_metadata(cls, data: dict) -> "Result":
        """Rebuild a result from :meth:`to_metadata` (the grader's stored results)."""
        parts = [Part(p["name"], p["passed"], p.get("points", 1.0), p.get("message", ""),
                      p.get("hint", "")) for p in data.get("parts", [])]
        r = cls(parts, data["check"], data.get("title", ""), data.get("max", 0.0))
        r.note = data.get("note", "")
        r.incomplete = bool(data.get("incomplete"))
        return r


def coerce(value) -> Result:
    """Accept the short forms a check may return: a Result, a bool, ``(bool, message)``,
    or ``None`` (meaning: nothing to grade)."""
    if isinstance(value, Result):
        return value
    r = Result()
    if value is None:
        return r
    if isinstance(value, tuple) and len(value) == 2:
        ok, message = value
        r.part(str(message), bool(ok))
        return r
    if isinstance(value, bool):
        r.part("correct" if value else "not correct yet", value)
        return r
    raise TypeError(f"a check must return a Result, a bool or (bool, message), not {type(value).__name__}")
