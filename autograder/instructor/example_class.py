"""The example class that `make demo` grades: one student of each kind an instructor meets.

Submissions are made from the released notebooks at demo time, so the class
always matches the current lessons.
"""
import importlib
import random

from autograder.instructor.course import fill, solution_answers

STUDENTS = {
    "ada": "every answer right",
    "blake": "submitted the blank notebook",
    "casey": "typical mistakes",
    "dana": "one cell never finishes (an infinite loop)",
}

# The share of each written answer's points the instructor gives, as if graded in formgrader.
WRITTEN_ANSWER_CREDIT = {"ada": 1.0, "blake": 0.0, "casey": 0.5, "dana": 1.0}

NEVER_FINISHES = "while True:  # the student's loop never ends\n    pass\n"


def lesson_module(lesson):
    """The instructor module of a lesson: '01_gates' -> autograder.instructor.gates."""
    return importlib.import_module(f"autograder.instructor.{lesson.split('_', 1)[1]}")


def written_cells(notebook):
    """The grade_ids of the manually graded answer cells of a notebook."""
    return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade")]


def submission(student, lesson, released):
    """The notebook `student` hands in for `lesson`, made from the released notebook."""
    if student == "blake":
        return released
    answers = solution_answers(lesson)
    if student == "casey":
        module = lesson_module(lesson)
        answers.update({name: module.WRONG[name][mistake] for name, mistake in module.TYPICAL_MISTAKES.items()})
        answers.update({name: "Gates are switches and tanh is better." for name in written_cells(released)})
    if student == "dana":
        code_answers = [cell.metadata["nbgrader"]["grade_id"] for cell in released.cells
                        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")]
        answers[code_answers[-1]] = NEVER_FINISHES + answers[code_answers[-1]]
    return fill(released, answers)


def grown_class(size, lesson, released, seed=0):
    """{student: notebook} for a class of `size`: the four above, then students who each slip on a few functions."""
    rng = random.Random(f"{seed}-{lesson}")
    module = lesson_module(lesson)
    names = list(STUDENTS) + [f"student{k:02d}" for k in range(size - len(STUDENTS))]
    notebooks = {}
    for name in names[:size]:
        if name in STUDENTS:
            notebooks[name] = submission(name, lesson, released)
            continue
        answers = solution_answers(lesson)
        for function in rng.sample(sorted(module.WRONG), k=rng.randint(0, 2)):
            answers[function] = rng.choice(list(module.WRONG[function].values()))
        for function in rng.sample(sorted(module.RIGHT), k=1):
            answers[function] = rng.choice(list(module.RIGHT[function].values()))
        notebooks[name] = fill(released, answers)
    return notebooks
