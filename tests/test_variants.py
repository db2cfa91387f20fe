"""Every lesson's catalogue of variants, checked in-process (fast): each wrong variant fails its
function's checks, and each right one passes every check of the lesson, its own and those of the
functions that use it. test_grading.py grades the same variants through real nbgrader.
"""
import inspect
import subprocess
import sys

import pytest

from autograder.instructor import reference
from autograder.instructor.lessons import lesson as find_lesson
from autograder.instructor.lessons import names
from conftest import VARIANTS, learner_namespace


def checks(lesson, name):
    """The visible and the hidden check of a contract function."""
    return getattr(find_lesson(lesson).visible(), f"check_{name}"), getattr(find_lesson(lesson).hidden(), f"check_{name}_hidden")


def run_checks(lesson, name, namespace, seed):
    """Run a function's visible and hidden checks, giving each the learner's functions its parameters name."""
    for check in checks(lesson, name):
        arguments = [namespace[p] for p in inspect.signature(check).parameters if p != "seed"]
        check(*arguments, **({"seed": seed} if "seed" in inspect.signature(check).parameters else {}))


@pytest.mark.parametrize("lesson", names())
def test_catalogue_covers_the_contract(lesson):
    module = find_lesson(lesson).hidden()
    assert set(module.WRONG) == set(module.RIGHT) == set(find_lesson(lesson).functions)
    for name in find_lesson(lesson).functions:
        assert len(module.WRONG[name]) >= 3, name
        assert len(module.RIGHT[name]) >= 2, name


@pytest.mark.parametrize("lesson", names())
def test_hidden_checks_import_without_nbgrader(lesson):
    """Stock nbgrader imports the hidden checks in the kernel at grade time: importing nbgrader there costs seconds."""
    module = f"autograder.instructor.{find_lesson(lesson).topic}"
    probe = f"import sys, {module}; print('nbgrader' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split() == ["False"]


@pytest.mark.parametrize("lesson", names())
def test_checks_accept_the_reference(lesson):
    for name in find_lesson(lesson).functions:
        run_checks(lesson, name, vars(reference), seed=7)


@pytest.mark.parametrize("lesson", names())
def test_checks_accept_the_solutions(lesson):
    namespace = learner_namespace(lesson)
    for name in find_lesson(lesson).functions:
        run_checks(lesson, name, namespace, seed=7)


@pytest.mark.parametrize("lesson, kind, name, label", VARIANTS)
def test_checks_reject_wrong_and_accept_right_variants(lesson, kind, name, label):
    namespace = learner_namespace(lesson, {name: getattr(find_lesson(lesson).hidden(), kind)[name][label]})
    if kind == "RIGHT":
        for other in find_lesson(lesson).functions:
            run_checks(lesson, other, namespace, seed=11)
    else:
        with pytest.raises(AssertionError):
            run_checks(lesson, name, namespace, seed=11)


DIAGNOSES = [(lesson, *row) for lesson in names() for row in find_lesson(lesson).hidden().DIAGNOSES]


@pytest.mark.parametrize("lesson, name, label, phrase", DIAGNOSES)
def test_failure_messages_name_the_mistake(lesson, name, label, phrase):
    namespace = learner_namespace(lesson, {name: find_lesson(lesson).hidden().WRONG[name][label]})
    visible, _ = checks(lesson, name)
    with pytest.raises(AssertionError) as failure:
        visible(*[namespace[p] for p in inspect.signature(visible).parameters])
    assert phrase in str(failure.value), str(failure.value)
