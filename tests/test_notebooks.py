"""The notebooks themselves: committed clean, valid nbgrader metadata, lessons/ generated from solutions/."""
import ast
import filecmp
import re
import subprocess
import sys

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.instructor.course import lessons, tool_environment
from conftest import CONTRACT, DEFINED_NAME, REPO

NOTEBOOKS = sorted(str(p.relative_to(REPO)) for p in [*REPO.glob("solutions/*/*.ipynb"), *REPO.glob("lessons/*/*.ipynb")])
SOLUTIONS = [f"solutions/{name}/{name}.ipynb" for name in lessons()]


def read(path):
    return nbformat.read(str(REPO / path), as_version=4)


def nbgrader_cells(notebook):
    return [cell for cell in notebook.cells if "nbgrader" in cell.metadata]


def test_every_lesson_is_in_the_contract_and_released():
    assert lessons() == sorted(CONTRACT)
    for name in lessons():
        assert (REPO / "lessons" / name / f"{name}.ipynb").exists(), f"run `make lessons`: lessons/{name} is missing"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_committed_without_outputs_or_execution_counts(path):
    for cell in read(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path}: clear the outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_nbgrader_metadata_is_valid(path):
    notebook = read(path)
    MetadataValidator().validate_nb(notebook)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in nbgrader_cells(notebook)]
    assert len(ids) == len(set(ids)), f"{path}: duplicate grade_ids"
    for grade_id in ids:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", grade_id), f"{path}: grade_id {grade_id!r} is not snake_case"
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", SOLUTIONS)
def test_each_test_cell_starts_with_a_docstring_and_checks_something(path):
    for cell in nbgrader_cells(read(path)):
        meta = cell.metadata["nbgrader"]
        if meta["grade"] and not meta["solution"]:
            tree = ast.parse(cell.source)
            first = tree.body[0]
            assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str) and "\n" not in first.value.value.strip(), \
                f"{meta['grade_id']}: a test cell starts with a one-line docstring"
            assert meta["points"] > 0 and meta["locked"]


@pytest.mark.parametrize("lesson", lessons())
def test_each_contract_function_has_its_own_solution_cell(lesson):
    notebook = read(f"solutions/{lesson}/{lesson}.ipynb")
    solution_cells = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nbgrader_cells(notebook)
                      if cell.metadata["nbgrader"]["solution"] and cell.cell_type == "code"}
    for name in CONTRACT[lesson]:
        assert name in solution_cells, f"no solution cell with grade_id {name!r}"
        defined = [node.name for node in ast.parse(solution_cells[name].source).body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        assert defined == [DEFINED_NAME.get(name, name)], f"cell {name!r} defines {defined}"


@pytest.mark.parametrize("lesson", lessons())
def test_manual_answers_and_a_summary(lesson):
    notebook = read(f"solutions/{lesson}/{lesson}.ipynb")
    assert notebook.cells[0].cell_type == "markdown" and "build" in notebook.cells[0].source
    manual = [c for c in nbgrader_cells(notebook) if c.cell_type == "markdown" and c.metadata["nbgrader"]["grade"]]
    assert manual, "each lesson has a written answer, graded by hand"
    assert any("Summary" in cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_lessons_are_exactly_what_nbgrader_generates(tmp_path):
    for lesson in lessons():
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", lesson, "--no-db", "--force",
                        f"--CourseDirectory.release_directory={tmp_path}"],
                       cwd=REPO, check=True, capture_output=True, env=tool_environment())
    comparison = filecmp.dircmp(REPO / "lessons", tmp_path)
    assert sorted(comparison.left_list) == sorted(comparison.right_list)
    for lesson in lessons():
        for name in (tmp_path / lesson).iterdir():
            committed = REPO / "lessons" / lesson / name.name
            assert committed.exists() and committed.read_bytes() == name.read_bytes(), \
                f"lessons/{lesson}/{name.name} differs from what nbgrader generates: run `make lessons`"


@pytest.mark.parametrize("lesson", lessons())
def test_released_notebook_has_no_solution_and_no_hidden_test(lesson):
    text = (REPO / "lessons" / lesson / f"{lesson}.ipynb").read_text()
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "autograder.instructor"]:
        assert marker not in text
