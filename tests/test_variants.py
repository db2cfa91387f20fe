"""Every lesson's catalogue of variants, checked in-process (fast): each wrong variant fails its
function's checks, and each right one passes every check of the lesson, its own and those of the
functions that use it. test_grading.py grades the same variants through real nbgrader.
"""
import importlib
import inspect

import pytest

from autograder.instructor.example_class import lesson_module
from conftest import CONTRACT, learner_namespace


def checks(lesson, name):
    """The visible and the hidden check of a contract function."""
    module = lesson_module(lesson)
    visible = importlib.import_module(f"autograder.{module.__name__.rsplit('.', 1)[1]}")
    return getattr(visible, f"check_{name}"), getattr(module, f"check_{name}_hidden")


def run_checks(lesson, name, namespace, seed):
    """Run a function's visible and hidden checks, giving each the learner's functions its parameters name."""
    for check in checks(lesson, name):
        arguments = [namespace[p] for p in inspect.signature(check).parameters if p != "seed"]
        check(*arguments, **({"seed": seed} if "seed" in inspect.signature(check).parameters else {}))


@pytest.mark.parametrize("lesson", sorted(CONTRACT))
def test_catalogue_covers_the_contract(lesson):
    module = lesson_module(lesson)
    assert set(module.WRONG) == set(module.RIGHT) == set(CONTRACT[lesson])
    for name in CONTRACT[lesson]:
        assert len(module.WRONG[name]) >= 3, name
        assert len(module.RIGHT[name]) >= 2, name


@pytest.mark.parametrize("lesson", sorted(CONTRACT))
def test_checks_accept_the_solutions(lesson):
    namespace = learner_namespace(lesson)
    for name in CONTRACT[lesson]:
        run_checks(lesson, name, namespace, seed=7)


VARIANTS = [(lesson, kind, name, label) for lesson in sorted(CONTRACT)
            for kind in ("WRONG", "RIGHT") for name, table in getattr(lesson_module(lesson), kind).items() for label in table]


@pytest.mark.parametrize("lesson, kind, name, label", VARIANTS)
def test_checks_reject_wrong_and_accept_right_variants(lesson, kind, name, label):
    namespace = learner_namespace(lesson, {name: getattr(lesson_module(lesson), kind)[name][label]})
    if kind == "RIGHT":
        for other in CONTRACT[lesson]:
            run_checks(lesson, other, namespace, seed=11)
    else:
        with pytest.raises(AssertionError):
            run_checks(lesson, name, namespace, seed=11)


DIAGNOSES = [(lesson, *row) for lesson in sorted(CONTRACT) for row in lesson_module(lesson).DIAGNOSES]


@pytest.mark.parametrize("lesson, name, label, phrase", DIAGNOSES)
def test_failure_messages_name_the_mistake(lesson, name, label, phrase):
    namespace = learner_namespace(lesson, {name: lesson_module(lesson).WRONG[name][label]})
    visible, _ = checks(lesson, name)
    with pytest.raises(AssertionError) as failure:
        visible(*[namespace[p] for p in inspect.signature(visible).parameters])
    assert phrase in str(failure.value), str(failure.value)
