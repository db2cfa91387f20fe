"""A throw-away nbgrader course: release the lessons, submit notebooks, grade them with real nbgrader.

The demo, the benchmarks and the course's own tests all grade through this.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions
from nbgrader.utils import is_solution

from autograder.instructor.coursedir import autograded_maxima, grade_id

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
SOLUTION_DELIMITERS = [ClearSolutions.class_traits()[f"{end}_solution_delimeter"].default() for end in ("begin", "end")]
MARKERS = re.compile(r"^[ \t]*### (" + "|".join(map(re.escape, SOLUTION_DELIMITERS)) + r")[ \t]*$\n?", flags=re.M)


def read_notebook(path):
    """Read a notebook file as nbformat v4."""
    return nbformat.read(str(path), as_version=4)


def solution_source(cell):
    """A solution cell's source without nbgrader's solution markers: the instructor's answer."""
    return MARKERS.sub("", cell.source)


def solution_answers(lesson):
    """The instructor's answer for every solution cell of a lesson, markers removed, by grade_id."""
    notebook = read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb")
    return {grade_id(cell): solution_source(cell) for cell in notebook.cells if is_solution(cell)}


def fill(notebook, answers):
    """A copy of a released notebook with the given cells' sources replaced, by grade_id."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    unknown = set(answers) - {grade_id(cell) for cell in notebook.cells}
    if unknown:
        raise KeyError(f"no cells with grade_id {sorted(unknown)}")
    for cell in notebook.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)].strip("\n")
    return notebook


def tool_environment():
    """The environment for nbgrader's subprocesses, with this Python's scripts (alembic, jupyter) first on PATH.

    Kernels run single-threaded: grading runs notebooks side by side, and their tensors are tiny.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


class Course:
    """An nbgrader course directory, outside the repository, with the lessons released into it."""

    def __init__(self, root, lessons, cell_timeout=None):
        self.root = Path(root)
        self.lessons = list(lessons)
        (self.root / "source").mkdir(parents=True, exist_ok=True)
        for lesson in self.lessons:
            shutil.copytree(SOLUTIONS / lesson, self.root / "source" / lesson, dirs_exist_ok=True)
        (self.root / "nbgrader_config.py").write_text(  # the repository's settings, in nbgrader's usual folders
            "c = get_config()\n"
            f"load_subconfig({str(REPO / 'nbgrader_config.py')!r})\n"
            "c.CourseDirectory.source_directory = 'source'\n"
            "c.CourseDirectory.release_directory = 'release'\n"
            + (f"c.Execute.timeout = {int(cell_timeout)}\n" if cell_timeout else ""))  # else the repository's
        for lesson in self.lessons:
            self.nbgrader("generate_assignment", lesson, "--force")

    @property
    def db_url(self):
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def nbgrader(self, *args, check=True):
        """Run one nbgrader command in the course directory; return the completed process."""
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root,
                              capture_output=True, text=True, env=tool_environment())
        if check and done.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def released(self, lesson):
        """The notebook students receive for a lesson."""
        return read_notebook(self.root / "release" / lesson / f"{lesson}.ipynb")

    def submit(self, student, lesson, notebook):
        """Place a student's notebook (a notebook object, or raw text for broken files) as submitted."""
        folder = self.root / "submitted" / student / lesson
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{lesson}.ipynb"
        if isinstance(notebook, str):
            path.write_text(notebook)
        else:
            nbformat.write(notebook, str(path))
        return path

    def autograde(self, lesson):
        """Run real `nbgrader autograde` on every submission of a lesson; return the finished process.

        nbgrader goes on past a submission it cannot grade and exits non-zero at the end.
        """
        return self.nbgrader("autograde", lesson, "--force", check=False)

    def scores(self, lesson):
        """{student: {grade_id: score}} for the graded cells of a lesson, from the gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        result = {}
        with Gradebook(self.db_url) as gradebook:
            for student in gradebook.students:
                try:
                    notebook = gradebook.find_submission_notebook(lesson, lesson, student.id)
                except MissingEntry:
                    continue
                result[student.id] = {grade.name: grade.score for grade in notebook.grades}
        return result

    def max_scores(self, lesson, autograded=False):
        """{grade_id: points} for the graded cells of a lesson, or only for those nbgrader grades by itself."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gradebook:
            notebook = gradebook.find_notebook(lesson, lesson)
            return autograded_maxima(notebook) if autograded else {cell.name: cell.max_score for cell in notebook.grade_cells}
