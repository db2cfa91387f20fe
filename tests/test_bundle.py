"""What students receive: the lessons and the student-side checks, with no solution and no hidden test."""
import json
import re
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.instructor.bundle import build
from autograder.instructor.course import SOLUTIONS, fill, read_notebook, solution_answers
from autograder.instructor.lessons import names

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", flags=re.S)
HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", flags=re.S)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(build(folder / "student_bundle.zip")) as archive:
        archive.extractall(folder)
        names = archive.namelist()
    return folder / "lstm-from-parts", names


def secret_lines():
    """Lines of the solutions and hidden tests in solutions/ that appear nowhere in what the notebooks show openly."""
    secret, shown = set(), set()
    for lesson in names():
        for cell in read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb").cells:
            blocks = SOLUTION_BLOCK.findall(cell.source) + HIDDEN_BLOCK.findall(cell.source)
            secret |= {line.strip() for block in blocks for line in block.splitlines() if len(line.strip()) >= 12}
            open_part = HIDDEN_BLOCK.sub("", SOLUTION_BLOCK.sub("", cell.source))
            shown |= {line.strip() for line in open_part.splitlines()}
    return secret - shown


def test_bundle_holds_lessons_and_checks_but_nothing_instructor_only(bundle):
    _, names = bundle
    assert any(n.endswith("lessons/01_gates/01_gates.ipynb") for n in names)
    assert any(n.endswith("autograder/gates.py") for n in names)
    for name in names:
        assert "/instructor/" not in name and "/solutions/" not in name and "/tests/" not in name, name


def test_bundle_contains_no_solution_and_no_hidden_test(bundle):
    root, _ = bundle
    secrets = secret_lines()
    assert len(secrets) > 10
    for path in root.rglob("*"):
        if path.is_dir():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:  # trained weights: numbers only, and only in assets/
            assert path.relative_to(root).parts[0] == "assets", path
            continue
        if path.suffix == ".ipynb":  # compare sources, not JSON-escaped text
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        for marker in ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_hidden(", "autograder.instructor"]:
            assert marker not in text, f"{path.relative_to(root)} contains {marker!r}"
        leaked = {line.strip() for line in text.splitlines()} & secrets
        assert not leaked, f"{path.relative_to(root)} contains solution or hidden-test lines: {sorted(leaked)[:3]}"


SLOW_TO_RUN = {"05_vanishing_gradients", "06_switches_and_counters"}  # their experiments, in full


@pytest.mark.parametrize("lesson", [pytest.param(name, marks=[pytest.mark.slow] if name in SLOW_TO_RUN else []) for name in names()])
def test_visible_checks_run_from_the_bundle_alone(bundle, lesson, monkeypatch):
    root, _ = bundle
    monkeypatch.setenv("PYTHONPATH", str(root))
    folder = root / "lessons" / lesson
    notebook = fill(read_notebook(folder / f"{lesson}.ipynb"), solution_answers(lesson))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import sys\n"
        "used = {name: module.__file__ for name, module in sys.modules.items() if name.startswith('autograder')}\n"
        f"assert used and all(path.startswith({str(root)!r}) for path in used.values()), used"))
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(folder)}}).execute()
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors, errors[0]["evalue"]
