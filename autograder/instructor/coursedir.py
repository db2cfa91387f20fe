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


def folder(coursedir, kind, student, lesson):
    """A course folder such as submitted/<student>/<lesson>."""
    return Path(coursedir.format_path(getattr(coursedir, f"{kind}_directory"), student, lesson))
