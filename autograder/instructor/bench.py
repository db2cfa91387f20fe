"""`make bench`: how long each lesson takes, and how fast the class grader is.

1. For each solution notebook, the wall time to run it top to bottom as a learner
   would, and of real `nbgrader autograde` on a submission with every answer right
   (nbgrader sets NBGRADER_EXECUTION, so experiments shrink). Budgets on 2 cores:
   60 s in full, 15 s autograded.
2. The example class grown to 20 students, every lesson: stock sequential
   `nbgrader autograde` against `make grade` with 2 workers on the same submissions,
   with the ratio (goal: 1.7x on 2 cores) and a check that every cell's points agree.
3. The grader's overhead per notebook above executing it with plain nbclient, one
   worker, on a sample of the class (goal: under 0.5 s), and the examiner's share.
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

from nbclient import NotebookClient

from autograder.instructor.course import SOLUTIONS, Course, fill, read_notebook, solution_answers, tool_environment
from autograder.instructor import lessons
from autograder.instructor.example_class import grown_class
from autograder.instructor.grade import grade

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
        scores, max_scores = course.scores(lesson)["bench"], course.max_scores(lesson, autograded=True)
        return seconds, all(scores[cell] == points for cell, points in max_scores.items())


def verdict(seconds, budget):
    return "ok" if seconds <= budget else "OVER BUDGET"


def lesson_table(names):
    """Part 1: each lesson's full run and autograded time."""
    print(f"{'lesson':28} {'full run':>10} {'':12} {'autograded':>11} {'':12} full marks")
    for lesson in names:
        full = time_full_run(lesson)
        graded, full_marks = time_autograde(lesson)
        print(f"{lesson:28} {full:9.1f}s {verdict(full, FULL_BUDGET):12} {graded:10.1f}s "
              f"{verdict(graded, AUTOGRADE_BUDGET):12} {'yes' if full_marks else 'NO'}", flush=True)
    print(f"budgets: {FULL_BUDGET:.0f} s full run, {AUTOGRADE_BUDGET:.0f} s autograded (one submission, "
          f"nbgrader's start-up included), on {os.cpu_count()} cores")


def class_course(root, size, names, cell_timeout=15):
    """A course with the grown example class submitted to every lesson.

    The example class has a cell that never ends: a limit shorter than the course's keeps the bench short.
    """
    course = Course(root, names, cell_timeout=cell_timeout)
    for lesson in names:
        for student, notebook in grown_class(size, lesson, course.released(lesson)).items():
            course.submit(student, lesson, notebook)
    return course


def stock_against_grader(size):
    """Part 2: stock sequential autograde against the class grader with 2 workers, same submissions."""
    names = lessons.names()
    with tempfile.TemporaryDirectory(prefix="lstm-bench-stock-") as a, tempfile.TemporaryDirectory(prefix="lstm-bench-ours-") as b:
        stock, ours = class_course(Path(a), size, names), class_course(Path(b), size, names)
        count = size * len(names)
        print(f"\nthe example class grown to {size} students, {len(names)} lessons: {count} notebooks", flush=True)
        started = time.perf_counter()
        for lesson in names:
            stock.autograde(lesson)
        stock_seconds = time.perf_counter() - started
        print(f"stock nbgrader autograde, sequential: {stock_seconds:7.1f} s  ({stock_seconds / count:.2f} s per submission)", flush=True)
        summary = grade(ours.root, names, workers=2, progress=False)
        ours_seconds = summary["seconds"]
        print(f"make grade, 2 workers:                {ours_seconds:7.1f} s  ({ours_seconds / count:.2f} s per submission)")
        agree = all(stock.scores(lesson) == ours.scores(lesson) for lesson in names)
        print(f"speed-up: {stock_seconds / ours_seconds:.2f}x (goal 1.7x); points per cell agree: {'yes' if agree else 'NO'}", flush=True)


def overhead(per_lesson=2):
    """Part 3: the grader with one worker against plain nbclient, on the same prepared notebooks."""
    names = lessons.names()
    with tempfile.TemporaryDirectory(prefix="lstm-bench-overhead-") as root:
        course = class_course(Path(root), per_lesson, names)
        from autograder.instructor.coursedir import load_course
        from autograder.instructor.grade import prepare
        config, coursedir = load_course(root)
        prepared = [prepare(coursedir, config, student, lesson, lesson, 1)[0]
                    for lesson in names for student in list(grown_class(per_lesson, lesson, course.released(lesson)))]
        env = {**tool_environment(), "NBGRADER_EXECUTION": "autograde"}
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            started = time.perf_counter()
            for notebook in prepared:
                NotebookClient(notebook, timeout=config.Execute.timeout, allow_errors=True, kernel_name="python3",
                               extra_arguments=config.Execute.extra_arguments,  # the course's, as the grader's kernels get them
                               resources={"metadata": {"path": root}}).execute()
            plain = time.perf_counter() - started
        finally:
            os.environ.clear()
            os.environ.update(saved)
        summary = grade(root, names, workers=1, progress=False)
        ours, count = summary["seconds"], len(prepared)
        examiner = sum(record.get("examiner seconds", 0.0) for record in summary["records"])
        print(f"\noverhead on {count} notebooks, one worker: plain nbclient {plain / count:.2f} s per notebook, "
              f"the grader {ours / count:.2f} s: {(ours - plain) / count:+.2f} s per notebook (goal under 0.5 s; "
              f"includes starting the Dask cluster, sanitizing, the sandbox and writing the gradebook)")
        print(f"the examiner (test cells run in the worker, the learner's functions called through the pipe): "
              f"{examiner / count:.2f} s per notebook, against the test cells run in the kernel by plain nbclient")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20, help="size of the grown example class (default 20)")
    parser.add_argument("--skip-lessons", action="store_true", help="only the grader's part")
    parser.add_argument("--lessons-only", action="store_true", help="only part 1, the lessons' times")
    parser.add_argument("lessons", nargs="*", help="time only these lessons (default: all)")
    args = parser.parse_args(argv)
    if not args.skip_lessons:
        lesson_table(args.lessons or lessons.names())
    if args.lessons_only:
        return
    stock_against_grader(args.students)
    overhead()


if __name__ == "__main__":
    main()
