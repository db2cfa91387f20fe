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

from autograder.instructor.course import REPO, Course, lessons
from autograder.instructor.coursedir import MARKER, folder, load_course
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
        graded = folder(coursedir, "autograded", "you", lesson) / f"{lesson}.ipynb"
        cells = nbformat.read(str(graded), as_version=4).cells if graded.exists() else []
    print(f"{lesson}: {notebook_path}", file=out)
    for flag in (summary["records"][0]["flags"] if summary["records"] else []):
        print(f"  ! {flag}", file=out)
    points = 0.0
    for cell in cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in maxima:
            continue
        if grade_id.startswith("written_answer"):
            print(f"  ?  {grade_id}: written answer, {maxima[grade_id]:g} points given by a reader; "
                  f"compare yours with the model answer in solutions/{lesson}/", file=out)
            continue
        got = scores.get(grade_id, 0.0)
        points += got
        mark = "ok" if got >= maxima[grade_id] else "XX"
        print(f"  {mark} {grade_id}: {got:g} / {maxima[grade_id]:g}", file=out)
        if got < maxima[grade_id]:
            print("     " + failure_message(cell).replace("\n", "\n     "), file=out)
    auto_max = sum(v for k, v in maxima.items() if not k.startswith("written_answer"))
    print(f"autograded points: {points:g} / {auto_max:g}", file=out)
    return points, auto_max


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson", choices=lessons())
    parser.add_argument("--notebook", help="the notebook to check (default: lessons/<lesson>/<lesson>.ipynb)")
    args = parser.parse_args(argv)
    points, maximum = check(args.lesson, args.notebook)
    return 0 if points == maximum else 1


if __name__ == "__main__":
    sys.exit(main())
