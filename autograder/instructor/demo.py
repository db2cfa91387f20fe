"""`make demo`: the instructor's whole pipeline, on the bundled example class.

Release the lessons into a throw-away nbgrader course, submit the example
class, grade it with the class grader (`make grade`: nbgrader's own grading,
in parallel, sandboxed), grade the written answers as an instructor would,
run `nbgrader generate_feedback` and `export`, write the instructor's report,
and print the gradebook.
"""
import argparse
import tempfile
import time
from pathlib import Path

from autograder.instructor import lessons
from autograder.instructor.course import Course
from autograder.instructor.coursedir import autograded_maxima
from autograder.instructor.example_class import STUDENTS, WRITTEN_ANSWER_CREDIT, submission
from autograder.instructor.grade import grade, print_summary
from autograder.instructor.report import write_report


def step(message):
    """Announce a step of the pipeline."""
    print(f"\n== {message}", flush=True)


def grade_written_answers(course, lesson):
    """Give each written answer its share of points, as the instructor would in formgrader."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        autograded = autograded_maxima(gradebook.find_notebook(lesson, lesson))
        for student in STUDENTS:
            notebook = gradebook.find_submission_notebook(lesson, lesson, student)
            for entry in notebook.grades:
                if entry.name not in autograded:
                    entry.manual_score = WRITTEN_ANSWER_CREDIT[student] * entry.max_score
        gradebook.db.commit()


def gradebook_table(course, names):
    """Rows of 'points of max' per student and lesson, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    header = ["student", *names, "total", "who"]
    rows = []
    with Gradebook(course.db_url) as gradebook:
        for student in STUDENTS:
            cells, total, total_max = [], 0.0, 0.0
            for lesson in names:
                max_score = gradebook.find_assignment(lesson).max_score
                try:
                    score = gradebook.find_submission(lesson, student).score
                    cells.append(f"{score:g} / {max_score:g}")
                except MissingEntry:
                    score = 0.0
                    cells.append(f"not graded / {max_score:g}")
                total, total_max = total + score, total_max + max_score
            rows.append([student, *cells, f"{total:g} / {total_max:g}", STUDENTS[student]])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header, *rows])


def run(root, cell_timeout=15, names=None):
    """The whole pipeline in the course folder `root`, for every lesson or those `names`; returns the graded Course.

    The example class has a cell that never ends: a limit shorter than the course's keeps the demo short.
    """
    names = names or lessons.names()
    started = time.perf_counter()

    step(f"Releasing {', '.join(names)} into a throw-away nbgrader course at {root}")
    course = Course(root, names, cell_timeout=cell_timeout)

    step(f"Submitting the example class: {len(STUDENTS)} students")
    for student, who in STUDENTS.items():
        print(f"  {student:8} {who}")
        for lesson in names:
            course.submit(student, lesson, submission(student, lesson, course.released(lesson)))

    step(f"Grading {len(STUDENTS) * len(names)} notebooks with the class grader (2 workers)")
    summary = grade(root, names, workers=2)
    print_summary(summary)
    for lesson in names:
        grade_written_answers(course, lesson)
    print("  written answers graded (the demo gives each student a fixed share, as an instructor would in formgrader)")

    step("nbgrader generate_feedback and export")
    for lesson in names:
        course.nbgrader("generate_feedback", lesson, "--force")
    course.nbgrader("export")

    report = write_report(root, summary)
    step("Gradebook (points of max)")
    print(gradebook_table(course, names))
    print(f"\nFeedback for each student: {root / 'feedback'}/<student>/<lesson>/<lesson>.html")
    print(f"Gradebook export (CSV):    {root / 'grades.csv'}")
    print(f"Instructor's report:       {report}")
    print(f"Formgrader on this course: cd {root} && jupyter lab  (then Nbgrader > Formgrader)")
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    return course


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--course-dir", help="where to build the throw-away course (default: a new temporary folder)")
    parser.add_argument("--cell-timeout", type=int, default=15, help="seconds a cell may run while grading")
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help=f"the lessons (default: all of {', '.join(lessons.names())})")
    args = parser.parse_args(argv)
    if set(args.lessons) - set(lessons.names()):
        parser.error(f"no lesson {', '.join(sorted(set(args.lessons) - set(lessons.names())))}")
    run(Path(args.course_dir or tempfile.mkdtemp(prefix="lstm-course-demo-")), args.cell_timeout, args.lessons)


if __name__ == "__main__":
    main()
