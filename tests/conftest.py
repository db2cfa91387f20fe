"""What the course's tests share: where things are, and the learner's functions run in-process."""
from pathlib import Path

import numpy as np
import pytest
import torch
from filelock import FileLock

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


def once(tmp_path_factory, name, make):
    """make(folder) run once for the whole session, pytest-xdist's workers included; returns the folder."""
    shared = tmp_path_factory.getbasetemp().parent  # the same for every worker of one run
    folder = shared / name
    with FileLock(str(shared / f"{name}.lock")):
        if not (folder / ".made").exists():
            make(folder)
            (folder / ".made").touch()
    return folder


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The course site's HTML folder, built once per run."""
    from autograder.instructor.site import build_site

    def make(folder):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("NBGRADER_EXECUTION", "autograde")  # a grading shell's variable must not reach the kernels
            build_site(output=folder / "html", build=folder / "work")
    return once(tmp_path_factory, "site", make) / "html"
