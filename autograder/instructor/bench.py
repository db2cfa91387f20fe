"""`make bench`: how long each lesson takes, executed in full and autograded.

For each solution notebook it prints the wall time to run it top to bottom as a
learner would, and the wall time of real `nbgrader autograde` on a submission
with every answer right (nbgrader sets NBGRADER_EXECUTION, so experiments
shrink). Budgets on 2 cores: 60 s in full, 15 s autograded.
"""
import os
import tempfile
import time

from nbclient import NotebookClient

from autograder.instructor.course import SOLUTIONS, Course, fill, lessons, read_notebook, solution_answers

FULL_BUDGET = 60.0
AUTOGRADE_BUDGET = 15.0


def time_full_run(lesson):
    """Seconds to execute the solution notebook top to bottom, outside grading mode."""
    notebook = read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb")
    grading = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        started = time.perf_counter()
        NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(SOLUTIONS / lesson)}}).execute()
        return time.perf_counter() - started
    finally:
        if grading is not None:
            os.environ["NBGRADER_EXECUTION"] = grading


def time_autograde(lesson):
    """Seconds for `nbgrader autograde` of one all-right submission, and whether it earned full marks."""
    with tempfile.TemporaryDirectory(prefix="lstm-course-bench-") as root:
        course = Course(root, [lesson])
        course.submit("bench", lesson, fill(course.released(lesson), solution_answers(lesson)))
        started = time.perf_counter()
        course.autograde(lesson)
        seconds = time.perf_counter() - started
        scores, max_scores = course.scores(lesson)["bench"], course.max_scores(lesson)
        auto = [cell for cell in max_scores if not cell.startswith("written_answer")]
        return seconds, all(scores[cell] == max_scores[cell] for cell in auto)


def verdict(seconds, budget):
    return "ok" if seconds <= budget else "OVER BUDGET"


def main():
    print(f"{'lesson':28} {'full run':>10} {'':12} {'autograded':>11} {'':12} full marks")
    for lesson in lessons():
        full = time_full_run(lesson)
        graded, full_marks = time_autograde(lesson)
        print(f"{lesson:28} {full:9.1f}s {verdict(full, FULL_BUDGET):12} {graded:10.1f}s "
              f"{verdict(graded, AUTOGRADE_BUDGET):12} {'yes' if full_marks else 'NO'}", flush=True)
    print(f"budgets: {FULL_BUDGET:.0f} s full run, {AUTOGRADE_BUDGET:.0f} s autograded (one submission, "
          f"nbgrader's start-up included), on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
