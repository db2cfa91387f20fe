"""Grading: every wrong variant of a contract function loses points and every alternative correct one
earns them all, as the examiner decides them; the solutions earn full marks and blank lessons 0
through nbgrader.

Two layers, so that the whole catalogue stays cheap to grade:
- every variant, swapped into the solutions, has each test cell of its lesson examined through the
  examiner's real pipe (JSON, agent and examiner as at grade time), without a kernel (`loopback.py`);
- per lesson, a class graded by the class grader through real nbgrader (release, sandboxed kernels,
  nbgrader's own grading preprocessors; test_grader.py proves it gives stock `nbgrader autograde`'s
  points): the solution, the blank notebook, each typical mistake, and students who answer every
  function with one of its alternative correct versions.
"""
import functools

import pytest

from autograder.instructor.course import Course, fill, grade_id, read_notebook, solution_answers
from autograder.instructor.grade import grade
from autograder.instructor.lessons import lesson as find_lesson
from autograder.instructor.lessons import names
from conftest import VARIANTS, learner_namespace
from loopback import examined, failed


@functools.lru_cache(maxsize=None)
def trusted_sources(lesson):
    """{grade_id: source} of a lesson's autograded test cells, hidden tests included."""
    return {grade_id(cell): cell.source for cell in read_notebook(find_lesson(lesson).notebook).cells
            if grade_id(cell) in find_lesson(lesson).tests}


def own_cells(lesson, function):
    """The test cells that check `function` itself."""
    return [cell for cell, checked in find_lesson(lesson).checks.items() if checked == function]


@pytest.mark.parametrize("lesson, kind, name, label", VARIANTS)
def test_the_examiner_rejects_wrong_and_accepts_right_variants(lesson, kind, name, label):
    namespace = learner_namespace(lesson, {name: getattr(find_lesson(lesson).hidden(), kind)[name][label]})
    if kind == "RIGHT":
        for cell, source in trusted_sources(lesson).items():
            outputs = examined(source, namespace)
            assert not failed(outputs), f"{cell}: {outputs[-1]['evalue']}"
    else:
        assert own_cells(lesson, name), f"no test cell checks {name}"
        assert any(failed(examined(trusted_sources(lesson)[cell], namespace)) for cell in own_cells(lesson, name)), \
            f"{name} ({label!r}) passed its own checks"


def right_mixes(lesson):
    """Notebooks' answers where every function is one of its alternative correct versions, the k-th for mix k."""
    right = find_lesson(lesson).hidden().RIGHT
    count = max(len(variants) for variants in right.values())
    return [{**solution_answers(lesson), **{name: list(variants.values())[k % len(variants)] for name, variants in right.items()}}
            for k in range(count)]


def graded_class(lesson):
    """{student: (what they handed in, the function they got wrong or None, their answers)} for a lesson's class."""
    hidden = find_lesson(lesson).hidden()
    class_ = {"solution": ("right", None, solution_answers(lesson)), "blank": ("blank", None, None)}
    for name, label in hidden.TYPICAL_MISTAKES.items():
        class_[f"typical-{name.replace('_', '-')}"] = ("wrong", name, {**solution_answers(lesson), name: hidden.WRONG[name][label]})
    for k, answers in enumerate(right_mixes(lesson)):
        class_[f"right-mix-{k}"] = ("right", None, answers)
    return class_


@pytest.mark.slow
@pytest.mark.parametrize("lesson", names())
def test_graded_by_nbgrader(tmp_path, lesson):
    course = Course(tmp_path, [lesson])
    released = course.released(lesson)
    class_ = graded_class(lesson)
    for student, (_, _, answers) in class_.items():
        course.submit(student, lesson, released if answers is None else fill(released, answers))
    summary = grade(course.root, [lesson], workers=1, progress=False)
    assert summary["failed"] == 0, [r for r in summary["records"] if r["status"] == "failed"]
    scores, maxima = course.scores(lesson), course.max_scores(lesson, autograded=True)
    for student, (kind, name, _) in class_.items():
        got = scores[student]
        if kind == "right":
            assert all(got[cell] == points for cell, points in maxima.items()), f"{student} lost points: {got}"
        elif kind == "blank":
            assert sum(got.values()) == 0, got
        else:
            assert any(got[cell] < maxima[cell] for cell in own_cells(lesson, name)), f"{student} kept {name}'s points: {got}"
