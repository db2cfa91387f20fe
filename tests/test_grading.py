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

from autograder.instructor.course import Course, fill, grade_id, read_notebook, solution_answers
from autograder.instructor.lessons import lesson as find_lesson
from autograder.instructor.lessons import names
from autograder.instructor.grade import grade


def students(lesson):
    """{student id: (kind, function, label, answers)} for a lesson's graded class."""
    module = find_lesson(lesson).hidden()
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
    """Grade one shard of a lesson's class; return (scores by student, max score by autograded cell, the grader's summary)."""
    root = tempfile.mkdtemp(prefix=f"lstm-course-test-{lesson}-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    course = Course(root, [lesson])
    released = course.released(lesson)
    for student, (_, _, _, answers) in students(lesson).items():
        if shard(lesson, student) == number:
            course.submit(student, lesson, released if answers is None else fill(released, answers))
    summary = grade(course.root, [lesson], workers=1, progress=False)
    return course.scores(lesson), course.max_scores(lesson, autograded=True), summary


@functools.lru_cache(maxsize=None)
def checked_function(lesson):
    """{test cell grade_id: the contract function it checks}, read from the calls in the solution notebook."""
    found = {}
    for cell in read_notebook(find_lesson(lesson).notebook).cells:
        match = re.search(r"\bcheck_(\w+?)(_hidden)?\(", cell.source)
        if grade_id(cell) in find_lesson(lesson).tests and match:
            found[grade_id(cell)] = match.group(1)
    return found


def problems(lesson, student, scores, max_scores):
    """What is wrong with one student's grades, given what their answers deserve."""
    kind, name, label, _ = students(lesson)[student]
    if student not in scores:
        return [f"{student}: not graded"]
    got = scores[student]
    auto = set(max_scores)
    if kind in ("solution", "right"):
        lost = {c: got[c] for c in auto if got[c] < max_scores[c]}
        return [f"{student} ({kind} {name or ''}: {label or ''}) lost points on {lost}"] if lost else []
    if kind == "blank":
        return [f"blank notebook earned {sum(got.values())} points"] if sum(got.values()) else []
    failing = [c for c in auto if got[c] < max_scores[c]]
    if not any(checked_function(lesson).get(c) == name for c in failing):
        return [f"{student} (wrong {name}: {label!r}) lost no points on {name}'s own check (failed: {failing})"]
    return []


@pytest.mark.parametrize("lesson, number", [(lesson, n) for lesson in names() for n in range(SHARDS)])
def test_graded_by_nbgrader(lesson, number):
    scores, max_scores, summary = graded(lesson, number)
    assert summary["failed"] == 0, [r for r in summary["records"] if r["status"] == "failed"]
    found = [p for student in students(lesson) if shard(lesson, student) == number
             for p in problems(lesson, student, scores, max_scores)]
    assert not found, "\n".join(found)
