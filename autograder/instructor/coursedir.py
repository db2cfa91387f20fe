"""The course directory as the class grader and its report read it: nbgrader's config, folders, the done-marker."""
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

MARKER = "grader.json"  # in autograded/<student>/<lesson>/: written last, when the submission is fully graded


def load_course(root):
    """The course's nbgrader config and CourseDirectory."""
    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config() \
        if (root / "nbgrader_config.py").exists() else None
    coursedir = CourseDirectory(config=config, root=str(root)) if config is not None else CourseDirectory(root=str(root))
    return config, coursedir


def grade_id(cell):
    """The cell's nbgrader grade_id, or None (also for a submission's malformed metadata)."""
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def folder(coursedir, kind, student, lesson):
    """A course folder such as submitted/<student>/<lesson>."""
    return Path(coursedir.format_path(getattr(coursedir, f"{kind}_directory"), student, lesson))


def autograded_maxima(notebook):
    """{grade_id: max score} of the autograded cells of a gradebook notebook.

    nbgrader scores by itself the code grade cells that are not also answer (solution) cells, its tests;
    it leaves the rest to a reader.
    """
    answers = {cell.name for cell in notebook.solution_cells}
    return {cell.name: cell.max_score for cell in notebook.grade_cells if cell.cell_type == "code" and cell.name not in answers}
