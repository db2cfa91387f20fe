"""What the course's tests share: where things are, and the learner's functions run in-process."""
from pathlib import Path

import numpy as np
import torch

from autograder.instructor.course import solution_answers
from autograder.instructor.lessons import lesson as find_lesson
from autograder.instructor.lessons import names

REPO = Path(__file__).resolve().parents[1]


def learner_namespace(lesson, replace=None):
    """Run a lesson's code solution cells in order in a fresh namespace, with `replace` ({grade_id: source}) swapped in."""
    answers = {**solution_answers(lesson), **(replace or {})}
    namespace = {"np": np, "torch": torch}
    for grade_id in find_lesson(lesson).exercises:
        exec(answers[grade_id], namespace)
    return namespace


# Every variant of the catalogues: (lesson, "WRONG" or "RIGHT", contract function, label).
VARIANTS = [(lesson, kind, name, label) for lesson in names() for kind in ("WRONG", "RIGHT")
            for name, table in getattr(find_lesson(lesson).hidden(), kind).items() for label in table]
