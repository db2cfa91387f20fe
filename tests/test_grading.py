"""Grading through nbgrader: the solutions earn full marks, blank lessons 0, and every
wrong variant of a contract function loses points while every alternative correct one earns them all.

Each variant replaces one solution cell of the released notebook, the rest answered as in the
solutions. A lesson's class is split into SHARDS courses released by `nbgrader generate_assignment`,
each graded by the class grader (nbgrader's own grading preprocessors, sandboxed; test_grader.py
proves it gives the points of stock `nbgrader autograde`), so that pytest-xdist keeps every core busy.
"""
import atexit
import functools
import os
import re
import shutil
import tempfile

import pytest

from autograder.instructor.course import SOLUTIONS, Course, fill, lessons, read_notebook, solution_answers
from autograder.instructor.example_class import lesson_module
from autograder.instructor.grade import grade


def students(lesson):
    """{student id: (kind, function, label, answers)} for a lesson's graded class."""
    module = lesson_module(lesson)
    class_ = {"solution": ("solution", None, None, solution_answers(lesson)), "blank": ("blank", None, None, None)}
    for kind, table in [("wrong", module.WRONG), ("right", module.RIGHT)]:
        for name, variants in table.items():
            for number, (label, source) in enumerate(variants.items()):
                class_[f"{kind}-{name.replace('_', '-')}-{number}"] = (kind, name, label, {**solution_answers(lesson), name: source})
    return class_


SHARDS = min(max(os.cpu_count() or 2, 2), 8)


def shard(lesson, student):
    """Which of the lesson's courses grades this student."""
    return list(students(lesson)).index(student) % SHARDS


@functools.lru_cache(maxsize=None)
def graded(lesson, number):
    """Grade one shard of a lesson's class; return (scores by student, max score by cell, the grader's summary)."""
    root = tempfile.mkdtemp(prefix=f"lstm-course-test-{lesson}-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    course = Course(root, [lesson])
    released = course.released(lesson)
    for student, (_, _, _, answers) in students(lesson).items():
        if shard(lesson, student) == number:
            course.submit(student, lesson, released if answers is None else fill(released, answers))
    summary = grade(course.root, [lesson], workers=1, progress=False)
    return course.scores(lesson), course.max_scores(lesson), summary


@functools.lru_cache(maxsize=None)
def checked_function(lesson):
    """{test cell grade_id: the contract function it checks}, read from the calls in the solution notebook."""
    notebook = read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb")
    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        match = re.search(r"\bcheck_(\w+?)(_hidden)?\(", cell.source)
        if meta.get("grade") and not meta.get("solution") and match:
            found[meta["grade_id"]] = match.group(1)
    return found


def auto_cells(max_scores, lesson):
    """The autograded cells (written answers are graded by hand)."""
    return {cell for cell in max_scores if not cell.startswith("written_answer")}


def problems(lesson, student, scores, max_scores):
    """What is wrong with one student's grades, given what their answers deserve."""
    kind, name, label, _ = students(lesson)[student]
    if student not in scores:
        return [f"{student}: not graded"]
    got = scores[student]
    auto = auto_cells(max_scores, lesson)
    if kind in ("solution", "right"):
        lost = {c: got[c] for c in auto if got[c] < max_scores[c]}
        return [f"{student} ({kind} {name or ''}: {label or ''}) lost points on {lost}"] if lost else []
    if kind == "blank":
        return [f"blank notebook earned {sum(got.values())} points"] if sum(got.values()) else []
    failing = [c for c in auto if got[c] < max_scores[c]]
    if not any(checked_function(lesson).get(c) == name for c in failing):
        return [f"{student} (wrong {name}: {label!r}) lost no points on {name}'s own check (failed: {failing})"]
    return []


@pytest.mark.parametrize("lesson, number", [(lesson, n) for lesson in lessons() for n in range(SHARDS)])
def test_graded_by_nbgrader(lesson, number):
    scores, max_scores, summary = graded(lesson, number)
    assert summary["failed"] == 0, [r for r in summary["records"] if r["status"] == "failed"]
    found = [p for student in students(lesson) if shard(lesson, student) == number
             for p in problems(lesson, student, scores, max_scores)]
    assert not found, "\n".join(found)
