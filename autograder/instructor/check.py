"""`make check LESSON=03_lstm_cell`: grade your own notebook as an instructor would, hidden tests included.

No course to set up: the lesson is released into a throw-away nbgrader course, your
notebook in lessons/ is submitted to it and graded by the class grader, and the points
of every exercise are printed with the checks' messages.
"""
import argparse
import sys
import tempfile
from pathlib import Path

import nbformat

from autograder.instructor.course import REPO, Course, grade_id
from autograder.instructor.lessons import names
from autograder.instructor.coursedir import folder, load_course
from autograder.instructor.grade import grade


def failure_message(cell):
    """The error a test cell ended with, as the learner saw it, or ''."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}".strip()
    return ""


def check(lesson, notebook_path=None, out=None):
    """Grade one learner notebook; print points per exercise; return (points, max points)."""
    out = out or sys.stdout
    notebook_path = Path(notebook_path or REPO / "lessons" / lesson / f"{lesson}.ipynb")
    with tempfile.TemporaryDirectory(prefix="lstm-course-check-") as root:
        course = Course(root, [lesson])
        coursedir = load_course(root)[1]
        submitted = folder(coursedir, "submitted", "you", lesson)
        submitted.mkdir(parents=True)
        (submitted / f"{lesson}.ipynb").write_bytes(notebook_path.read_bytes())
        summary = grade(root, [lesson], workers=1, progress=False)
        scores, maxima = course.scores(lesson).get("you", {}), course.max_scores(lesson)
        autograded = course.max_scores(lesson, autograded=True)
        graded = folder(coursedir, "autograded", "you", lesson) / f"{lesson}.ipynb"
        cells = nbformat.read(str(graded), as_version=4).cells if graded.exists() else []
    print(f"{lesson}: {notebook_path}", file=out)
    for flag in (summary["records"][0]["flags"] if summary["records"] else []):
        print(f"  ! {flag}", file=out)
    points = 0.0
    for cell in cells:
        name = grade_id(cell)
        if name not in maxima:
            continue
        if name not in autograded:
            print(f"  ?  {name}: written answer, {maxima[name]:g} points given by a reader; "
                  f"compare yours with the model answer in solutions/{lesson}/", file=out)
            continue
        got = scores.get(name, 0.0)
        points += got
        mark = "ok" if got >= maxima[name] else "XX"
        print(f"  {mark} {name}: {got:g} / {maxima[name]:g}", file=out)
        if got < maxima[name]:
            print("     " + failure_message(cell).replace("\n", "\n     "), file=out)
    auto_max = sum(autograded.values())
    print(f"autograded points: {points:g} / {auto_max:g}", file=out)
    return points, auto_max


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson", choices=names())
    parser.add_argument("--notebook", help="the notebook to check (default: lessons/<lesson>/<lesson>.ipynb)")
    args = parser.parse_args(argv)
    points, maximum = check(args.lesson, args.notebook)
    return 0 if points == maximum else 1


if __name__ == "__main__":
    sys.exit(main())
