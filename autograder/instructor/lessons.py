"""The lesson registry, read from the solution notebooks: the one text of the course's contract.

A lesson's exercises are its code solution cells. Each defines one function or class, and its
grade_id is that name in snake_case. An exercise belongs to the first lesson that asks for it;
later lessons may carry it along (lesson 04 brings the forward pass of lesson 03), and then their
solution is the same text. The checks of an exercise live in `autograder/<topic>.py` (visible)
and `autograder/instructor/<topic>.py` (hidden) of the lesson it belongs to.

`python -m autograder.instructor.lessons` writes `reference.py` from the solution cells.
"""
import ast
import importlib
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nbgrader.utils import is_grade, is_solution

from autograder.instructor.course import SOLUTIONS, grade_id, read_notebook, solution_answers, solution_source

REFERENCE = Path(__file__).with_name("reference.py")
REFERENCE_HEADER = '''"""Every contract function as its solution cell has it. Instructor-only: the tests and the catalogue of variants use it.

Generated from the solution cells by `make lessons` (python -m autograder.instructor.lessons): edit the solutions, not this file.
"""
import numpy as np
import torch
'''


@dataclass(frozen=True)
class Lesson:
    """One lesson: its exercises and graded cells, as its solution notebook has them."""

    name: str
    exercises: dict   # grade_id -> the name its cell defines, in notebook order, carried ones included
    functions: tuple  # the grade_ids of the exercises this lesson introduces: its part of the contract
    tests: dict       # grade_id -> points, of the autograded test cells
    checks: dict      # test cell grade_id -> what its first check checks: check_x(...) or check_x_hidden(...) -> 'x'
    written: dict     # grade_id -> points, of the answers a reader grades

    @property
    def topic(self):
        """'03_lstm_cell' -> 'lstm_cell', the name of its check modules."""
        return self.name.split("_", 1)[1]

    @property
    def notebook(self):
        return SOLUTIONS / self.name / f"{self.name}.ipynb"

    def visible(self):
        """The checks learners see: autograder.<topic>."""
        return importlib.import_module(f"autograder.{self.topic}")

    def hidden(self):
        """The instructor's hidden checks and catalogue of variants: autograder.instructor.<topic>."""
        return importlib.import_module(f"autograder.instructor.{self.topic}")


def defined_name(source):
    """The one function or class a solution cell defines."""
    names = [node.name for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    if len(names) != 1:
        raise ValueError(f"a solution cell defines exactly one function or class, not {names}")
    return names[0]


def checked(source):
    """'x' for a test cell whose first call of a check is check_x(...) or check_x_hidden(...), else None."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("check_"):
            return node.func.id[len("check_"):].removesuffix("_hidden")
    return None


def read_lesson(name, introduced):
    """The Lesson `name`, given the grade_ids that earlier lessons introduced."""
    cells = read_notebook(SOLUTIONS / name / f"{name}.ipynb").cells
    exercises = {grade_id(c): defined_name(solution_source(c)) for c in cells if c.cell_type == "code" and is_solution(c)}
    return Lesson(
        name=name,
        exercises=exercises,
        functions=tuple(g for g in exercises if g not in introduced),
        tests={grade_id(c): c.metadata.nbgrader.points for c in cells if c.cell_type == "code" and is_grade(c) and not is_solution(c)},
        checks={grade_id(c): checked(c.source) for c in cells if c.cell_type == "code" and is_grade(c) and not is_solution(c)},
        written={grade_id(c): c.metadata.nbgrader.points for c in cells if is_grade(c) and is_solution(c)},
    )


@cache
def lessons():
    """Every lesson, in order."""
    found, introduced = [], set()
    for folder in sorted(SOLUTIONS.iterdir()):
        if (folder / f"{folder.name}.ipynb").exists():
            found.append(read_lesson(folder.name, introduced))
            introduced.update(found[-1].functions)
    return tuple(found)


def names():
    """The names of all lessons, in order."""
    return [lesson.name for lesson in lessons()]


def lesson(name):
    """The Lesson called `name`."""
    return next(found for found in lessons() if found.name == name)


def home(wanted):
    """The lesson that introduces the exercise `wanted` (a grade_id)."""
    return next(found for found in lessons() if wanted in found.functions)


def solution(wanted):
    """The solution of an exercise, as the lesson that introduces it has it."""
    return solution_answers(home(wanted).name)[wanted]


def reference_source():
    """The text of reference.py: every exercise's solution, lesson by lesson."""
    parts = [REFERENCE_HEADER]
    for found in lessons():
        parts.append(f"\n\n# {found.name}\n")
        answers = solution_answers(found.name)  # one read of the notebook per lesson
        parts.extend(f"\n{answers[name].strip()}\n\n" for name in found.functions)
    return "".join(parts).rstrip("\n") + "\n"


def main():
    REFERENCE.write_text(reference_source())
    print(f"wrote {REFERENCE.relative_to(SOLUTIONS.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
