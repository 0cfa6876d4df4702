"""The gradebook and the feedback files, written from the per-submission results.

* ``grades.csv``: one row per submission: ``student``, one column per check (points), ``total``,
  ``max``, ``status`` (ok, errors, timeout, kernel-died, invalid, wrong-notebook, grader-error),
  ``notes`` (the reasons, "; "-separated) and ``submission`` (the file);
* ``report.html``: summary, score histogram (inline SVG), per-check pass rates and the
  gradebook (pandas Styler);
* ``feedback/<student>.md`` and ``.html``: each check with its message and hints; never the
  checks' code.

Everything is deterministic (no timestamps; fixed SVG ids), so grading the same submissions
again rewrites the same bytes.
"""
from __future__ import annotations

import html
import io
from pathlib import Path

from .result import Result

STATUS_ORDER = ["ok", "errors", "timeout", "kernel-died", "wrong-notebook", "invalid",
                "grader-error"]


def gradebook(results: list[dict], checks) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd
    rows = []
    for res in results:
        row = {"student": res["student"]}
        for chk in checks:
            row[chk.id] = float(res["checks"].get(chk.id, {}).get("points", 0.0))
        row.update(total=float(res.get("total", 0.0)), max=float(res.get("max", 0.0)),
                   status=res.get("status", "grader-error"), notes="; ".join(res.get("notes") or []),
                   submission=res.get("submission", ""))
        rows.append(row)
    columns = ["student", *[c.id for c in checks], "total", "max", "status", "notes", "submission"]
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values("student", kind="stable").reset_index(drop=True)


def write_all(out: Path, results: list[dict], checks, notebook: str):
    out = Path(out)
    df = gradebook(results, checks)
    df.to_csv(out / "grades.csv", index=False, float_format="%g", lineterminator="\n")
    (out / "report.html").write_text(report_html(df, results, checks, notebook), encoding="utf-8")
    fb = out / "feedback"
    fb.mkdir(exist_ok=True)
    for res in results:
        (fb / f"{res['student']}.md").write_text(feedback_markdown(res, checks, notebook),
                                                 encoding="utf-8")
        (fb / f"{res['student']}.html").write_text(feedback_html(res, checks, notebook),
                                                   encoding="utf-8")
    return df


# -- per student ---------------------------------------------------------------------------------
def _results(res: dict, checks) -> list[tuple[Result, str]]:
    out = []
    for chk in checks:
        data = res["checks"].get(chk.id) or {"check": chk.id, "max": chk.points, "parts": [],
                                             "note": "not graded"}
        r = Result.from_metadata(data)
        r.title = r.title or chk.title
        out.append((r, data.get("evidence", "")))
    return out


def feedback_markdown(res: dict, checks, notebook: str) -> str:
    lines = [f"# Feedback: {notebook}", "", f"**{res['student']}**: "
             f"**{res.get('total', 0):g} / {res.get('max', 0):g} points** "
             f"(status: {res.get('status')})", ""]
    if res.get("notes"):
        lines += ["What happened while grading:", ""] + [f"- {n}" for n in res["notes"]] + [""]
    for r, evidence in _results(res, checks):
        lines.append(r.to_markdown().rstrip())
        if evidence and evidence != "none":
            lines.append(f"\n*graded on the state {evidence}*")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def feedback_html(res: dict, checks, notebook: str) -> str:
    esc = html.escape
    notes = "".join(f"<li>{esc(n)}</li>" for n in res.get("notes") or [])
    body = "".join(r._repr_html_() + (f"<p><i>graded on the state {esc(e)}</i></p>"
                                      if e and e != "none" else "")
                   for r, e in _results(res, checks))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Feedback: "
            f"{esc(notebook)}</title></head><body style=\"font-family:sans-serif;max-width:50em\">"
            f"<h1>Feedback: {esc(notebook)}</h1><p><b>{esc(res['student'])}</b>: "
            f"<b>{res.get('total', 0):g} / {res.get('max', 0):g} points</b> "
            f"(status: {esc(str(res.get('status')))})</p>"
            + (f"<p>What happened while grading:</p><ul>{notes}</ul>" if notes else "")
            + body + "</body></html>\n")


# -- the class report ----------------------------------------------------------------------------
def pass_rates(results: list[dict], checks) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd
    rows = []
    n = max(len(results), 1)
    for chk in checks:
        statuses = [res["checks"].get(chk.id, {}).get("status", "failed") for res in results]
        points = [float(res["checks"].get(chk.id, {}).get("points", 0.0)) for res in results]
        rows.append({"check": chk.id, "title": chk.title, "max": chk.points,
                     "mean points": round(sum(points) / n, 2),
                     "passed %": round(100 * statuses.count("passed") / n, 1),
                     "partial %": round(100 * statuses.count("partial") / n, 1),
                     "failed %": round(100 * statuses.count("failed") / n, 1)})
    return pd.DataFrame(rows)


def histogram_svg(totals, top: float) -> str:
    """A score histogram as inline SVG, byte-identical for the same scores."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    with matplotlib.rc_context({"svg.hashsalt": "labkit-grades", "svg.fonttype": "path",
                                "font.size": 9}):
        fig, ax = plt.subplots(figsize=(6, 2.6))
        bins = max(1, min(20, int(top) if top >= 1 else 1))
        ax.hist(list(totals), bins=bins, range=(0, max(top, 1e-9)), color="#4c72b0",
                edgecolor="white")
        ax.set_xlabel("total points")
        ax.set_ylabel("submissions")
        ax.set_title("Score distribution")
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def report_html(df, results: list[dict], checks, notebook: str) -> str:
    esc = html.escape
    top = float(df["max"].max()) if len(df) else sum(c.points for c in checks)
    counts = df["status"].value_counts() if len(df) else {}
    status_line = ", ".join(f"{s}: {int(counts[s])}" for s in STATUS_ORDER if s in counts)
    mean = f"{df['total'].mean():.2f}" if len(df) else "-"
    median = f"{df['total'].median():g}" if len(df) else "-"
    check_cols = [c.id for c in checks]
    styler = (df.style.set_uuid("gradebook").hide(axis="index")
              .format({c: "{:g}" for c in [*check_cols, "total", "max"]}))
    if len(df):
        styler = styler.background_gradient(subset=check_cols + ["total"], cmap="RdYlGn",
                                            vmin=0).apply(_status_colours, subset=["status"])
    rates = pass_rates(results, checks).style.set_uuid("rates").hide(axis="index").format(
        {"max": "{:g}", "mean points": "{:g}", "passed %": "{:g}", "partial %": "{:g}",
         "failed %": "{:g}"})
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Grades: {esc(notebook)}"
            "</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:"
            "collapse;font-size:90%}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>"
            f"</head><body><h1>Grades: {esc(notebook)}</h1>"
            f"<p>{len(df)} submissions; mean {mean} / {top:g} points, median {median}. "
            f"Status: {esc(status_line or '-')}.</p>"
            f"{histogram_svg(df['total'] if len(df) else [], top)}"
            f"<h2>Per check</h2>{rates.to_html()}"
            f"<h2>Gradebook</h2>{styler.to_html()}</body></html>\n")


def _status_colours(col):
    colours = {"ok": "", "errors": "background-color:#fff4d6",
               "timeout": "background-color:#ffe2cc", "kernel-died": "background-color:#ffd6d6"}
    return [colours.get(v, "background-color:#ffd6d6") for v in col]
