"""The instructor's report of a grading run: one HTML page, with the gradebook's CSV export beside it.

Per lesson it shows a histogram of the autograded scores, the pass rate of every test
cell, and the mistakes the checks diagnosed most often; then every flagged submission
with the grader's reasons. Everything is read from the gradebook and the autograded
notebooks, so the page describes the whole class, not only this run.
"""
import base64
import html
import io
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import matplotlib
import nbformat
from nbgrader.api import Gradebook, MissingEntry

from autograder.checking import DIAGNOSIS
from autograder.instructor.course import tool_environment
from autograder.instructor.coursedir import MARKER, autograded_maxima, folder, load_course

DIAGNOSED = re.compile(re.escape(DIAGNOSIS) + r" ([^\n]+?)\.?(?:\n|$)")


def lesson_scores(gradebook, lesson):
    """{student: {grade_id: score}} of the autograded cells, and {grade_id: max score}."""
    assignment = gradebook.find_assignment(lesson)
    maxima = {name: points for notebook in assignment.notebooks for name, points in autograded_maxima(notebook).items()}
    scores = {}
    for submission in assignment.submissions:
        scores[submission.student.id] = {grade.name: grade.score for notebook in submission.notebooks
                                         for grade in notebook.grades if grade.name in maxima}
    return scores, maxima


def histogram(totals, maximum):
    """A small histogram of total scores, as an inline PNG."""
    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 2.2))
    ax.hist(totals, bins=min(20, max(int(maximum), 1)), range=(0, maximum), color="#3b7dd8")
    ax.set(xlabel=f"autograded score (of {maximum:g})", ylabel="students")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return f'<img alt="histogram" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def diagnosed_mistakes(coursedir, lesson, students):
    """Counter of the mistakes the checks named in this lesson's autograded notebooks."""
    found = Counter()
    for student in students:
        for path in folder(coursedir, "autograded", student, lesson).glob("*.ipynb"):
            for cell in nbformat.read(str(path), as_version=4).cells:
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        found.update(set(DIAGNOSED.findall(str(output.get("evalue", "")))))
    return found


def flagged(coursedir):
    """[(student, lesson, flags)] from every finished submission's marker."""
    rows = []
    for marker in sorted(Path(coursedir.root, coursedir.autograded_directory).glob(f"*/*/{MARKER}")):
        record = json.loads(marker.read_text())
        if record.get("flags"):
            rows.append((record["student"], record["lesson"], record["flags"]))
    return rows


def export_csv(root, destination):
    """The gradebook as CSV, by `nbgrader export`."""
    subprocess.run([sys.executable, "-m", "nbgrader", "export", "--to", str(destination)], cwd=root,
                   capture_output=True, text=True, env=tool_environment(), check=True)
    return destination


def write_report(root=".", summary=None):
    """Write reports/grading-<time>.html and its grades CSV in the course directory; return the page's path."""
    _, coursedir = load_course(root)
    out = Path(coursedir.root) / "reports"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    csv = export_csv(coursedir.root, out / f"grades-{stamp}.csv")
    parts = [f"<h1>Grading report, {html.escape(coursedir.course_id or 'course')}</h1>",
             f"<p>{time.strftime('%Y-%m-%d %H:%M')}. Gradebook export: <a href='{csv.name}'>{csv.name}</a>.</p>"]
    if summary:
        parts.append(f"<p>This run: graded {summary['graded']}, failed {summary['failed']}, timed out {summary['timed out']}, "
                     f"flagged {summary['flagged']}, already graded before {summary['already graded']}, "
                     f"{summary['seconds']:.0f} s.</p>")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            try:
                scores, maxima = lesson_scores(gradebook, assignment.name)
            except MissingEntry:
                continue
            if not scores:
                continue
            totals = [sum(s.values()) for s in scores.values()]
            parts.append(f"<h2>{html.escape(assignment.name)}</h2><p>{len(scores)} submissions, mean "
                         f"{sum(totals) / len(totals):.1f} of {sum(maxima.values()):g}</p>")
            parts.append(histogram(totals, sum(maxima.values())))
            parts.append("<table><tr><th>test cell</th><th>points</th><th>full marks</th></tr>")
            for cell, maximum in maxima.items():
                rate = sum(s.get(cell, 0) >= maximum for s in scores.values()) / len(scores)
                parts.append(f"<tr><td>{html.escape(cell)}</td><td>{maximum:g}</td><td>{rate:.0%}</td></tr>")
            parts.append("</table>")
            mistakes = diagnosed_mistakes(coursedir, assignment.name, scores)
            if mistakes:
                parts.append("<p>Mistakes the checks diagnosed most often:</p><ol>")
                parts += [f"<li>{count} × {html.escape(text)}</li>" for text, count in mistakes.most_common(8)]
                parts.append("</ol>")
    rows = flagged(coursedir)
    parts.append(f"<h2>Flagged submissions ({len(rows)})</h2>")
    parts.append("<table><tr><th>student</th><th>lesson</th><th>why</th></tr>")
    parts += [f"<tr><td>{html.escape(s)}</td><td>{html.escape(l)}</td><td>{'<br>'.join(map(html.escape, f))}</td></tr>"
              for s, l, f in rows]
    parts.append("</table>")
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{padding:2px 10px;text-align:left}"
    page = out / f"grading-{stamp}.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><title>Grading report</title><style>{style}</style>"
                    + "\n".join(parts))
    return page
