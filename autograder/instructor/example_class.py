"""The example class that `make demo` grades: one student of each kind an instructor meets.

Submissions are made from the released notebooks at demo time, so the class
always matches the current lessons.
"""
import random

from autograder.instructor.course import fill, solution_answers
from autograder.instructor.lessons import lesson as find_lesson

STUDENTS = {
    "ada": "every answer right",
    "blake": "submitted the blank notebook",
    "casey": "typical mistakes",
    "dana": "one cell never finishes (an infinite loop)",
}

# The share of each written answer's points the instructor gives, as if graded in formgrader.
WRITTEN_ANSWER_CREDIT = {"ada": 1.0, "blake": 0.0, "casey": 0.5, "dana": 1.0}

NEVER_FINISHES = "while True:  # the student's loop never ends\n    pass\n"


def submission(student, lesson, released):
    """The notebook `student` hands in for `lesson`, made from the released notebook."""
    if student == "blake":
        return released
    answers = solution_answers(lesson)
    if student == "casey":
        module = find_lesson(lesson).hidden()
        answers.update({name: module.WRONG[name][mistake] for name, mistake in module.TYPICAL_MISTAKES.items()})
        answers.update({name: "Gates are switches and tanh is better." for name in find_lesson(lesson).written})
    if student == "dana":
        last = list(find_lesson(lesson).exercises)[-1]
        answers[last] = NEVER_FINISHES + answers[last]
    return fill(released, answers)


def grown_class(size, lesson, released, seed=0):
    """{student: notebook} for a class of `size`: the four above, then students who each slip on a few functions."""
    rng = random.Random(f"{seed}-{lesson}")
    module = find_lesson(lesson).hidden()
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
