"""The notebooks themselves: committed clean, valid nbgrader metadata, lessons/ generated from solutions/."""
import ast
import filecmp
import re
import subprocess
import sys

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.utils import is_grade, is_locked, is_solution

from autograder.instructor import lessons as registry
from autograder.instructor.course import grade_id, read_notebook, solution_source, tool_environment
from conftest import REPO

NOTEBOOKS = sorted(str(p.relative_to(REPO)) for p in [*REPO.glob("solutions/*/*.ipynb"), *REPO.glob("lessons/*/*.ipynb")])
SOLUTIONS = [f"solutions/{name}/{name}.ipynb" for name in registry.names()]


def read(path):
    return nbformat.read(str(REPO / path), as_version=4)


def nbgrader_cells(notebook):
    return [cell for cell in notebook.cells if "nbgrader" in cell.metadata]


def test_every_lesson_is_released():
    for name in registry.names():
        assert (REPO / "lessons" / name / f"{name}.ipynb").exists(), f"run `make lessons`: lessons/{name} is missing"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_committed_without_outputs_or_execution_counts(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path}: clear the outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_valid_nbformat(path):
    """Cell ids, for one, belong to nbformat 4.5: a 4.4 notebook that has them is invalid."""
    nbformat.validate(read(path))


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_nbgrader_metadata_is_valid(path):
    notebook = read(path)
    MetadataValidator().validate_nb(notebook)
    ids = [grade_id(cell) for cell in nbgrader_cells(notebook)]
    assert len(ids) == len(set(ids)), f"{path}: duplicate grade_ids"
    for name in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), f"{path}: grade_id {name!r} is not snake_case"
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", SOLUTIONS)
def test_each_test_cell_starts_with_a_docstring_and_checks_something(path):
    for cell in nbgrader_cells(read(path)):
        if is_grade(cell) and not is_solution(cell):
            first = ast.parse(cell.source).body[0]
            assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str) and "\n" not in first.value.value.strip(), \
                f"{grade_id(cell)}: a test cell starts with a one-line docstring"
            assert cell.metadata.nbgrader.points > 0 and is_locked(cell)


@pytest.mark.parametrize("lesson", registry.lessons(), ids=registry.names())
def test_each_exercise_cell_defines_its_grade_id(lesson):
    for name, defined in lesson.exercises.items():
        snake = re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z][a-z])", r"_\1\2", defined).lower()
        assert name == snake, f"the cell {name!r} defines {defined!r}: a solution cell's grade_id is its name in snake_case"


@pytest.mark.parametrize("lesson", registry.lessons(), ids=registry.names())
def test_carried_exercises_are_the_same_text(lesson):
    """A lesson that brings an earlier exercise along has the same solution for it: one text of each function."""
    cells = {grade_id(cell): cell for cell in read_notebook(lesson.notebook).cells}
    for name in set(lesson.exercises) - set(lesson.functions):
        assert solution_source(cells[name]) == registry.solution(name), \
            f"{lesson.name}'s {name} differs from {registry.home(name).name}'s: copy the solution over"


def test_reference_is_generated_from_the_solutions():
    assert registry.REFERENCE.read_text() == registry.reference_source(), \
        "autograder/instructor/reference.py is out of date: run `make lessons`"


@pytest.mark.parametrize("lesson", registry.lessons(), ids=registry.names())
def test_manual_answers_and_a_summary(lesson):
    notebook = read_notebook(lesson.notebook)
    assert notebook.cells[0].cell_type == "markdown" and "build" in notebook.cells[0].source
    assert lesson.written, "each lesson has a written answer, graded by hand"
    assert all(cell.cell_type == "markdown" for cell in notebook.cells if grade_id(cell) in lesson.written)
    assert any("Summary" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_lessons_are_exactly_what_nbgrader_generates(tmp_path):
    for lesson in registry.names():
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson, "--no-db", "--force",
                        f"--CourseDirectory.release_directory={tmp_path}"],
                       cwd=REPO, check=True, capture_output=True, env=tool_environment())
    comparison = filecmp.dircmp(REPO / "lessons", tmp_path)
    assert sorted(comparison.left_list) == sorted(comparison.right_list)
    for lesson in registry.names():
        for name in (tmp_path / lesson).iterdir():
            committed = REPO / "lessons" / lesson / name.name
            assert committed.exists() and committed.read_bytes() == name.read_bytes(), \
                f"lessons/{lesson}/{name.name} differs from what nbgrader generates: run `make lessons`"


@pytest.mark.parametrize("lesson", registry.names())
def test_released_notebook_has_no_solution_and_no_hidden_test(lesson):
    text = (REPO / "lessons" / lesson / f"{lesson}.ipynb").read_text()
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "autograder.instructor"]:
        assert marker not in text
