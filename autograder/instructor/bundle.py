"""`make bundle`: the zip an instructor gives students, and nothing more.

It holds the released lessons, the assets they load, the student-side checks
(`autograder/` without `autograder/instructor/`), and what installs them. No
solution, no hidden test, no reference implementation.
"""
import argparse
import zipfile
from pathlib import Path

from autograder.instructor.course import REPO
from autograder.instructor.lessons import names

INCLUDED = ["assets", "autograder", "requirements.txt", "pyproject.toml", "environment.yml"]  # and each lesson's folder
EXCLUDED_PARTS = {"instructor", "__pycache__", ".ipynb_checkpoints"}

STUDENT_README = """# LSTM from its parts: your lessons

1. Install once (Python 3.10+):
       python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/pip install --no-deps -e .
2. Start JupyterLab on the lessons:
       .venv/bin/jupyter lab lessons
3. Work through the notebooks in order. Under each exercise, a check tells you what is wrong, if anything.
   Your instructor grades with more cases than you see: make your functions right, not just the visible cases.
"""


def bundle_files(root=REPO):
    """The repository files that belong in the student bundle, as paths relative to `root`."""
    files = []
    for name in [f"lessons/{lesson}" for lesson in names()] + INCLUDED:
        path = root / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p.relative_to(root) for p in candidates
                  if not EXCLUDED_PARTS & set(p.relative_to(root).parts) and p.suffix != ".pyc"]
    return files


def build(destination):
    """Write the student bundle as a zip file at `destination`; return its path."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in bundle_files():
            archive.write(REPO / path, f"lstm-from-parts/{path.as_posix()}")
        archive.writestr("lstm-from-parts/README.md", STUDENT_README)
    return destination


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=str(REPO / "dist" / "student_bundle.zip"))
    path = build(parser.parse_args(argv).output)
    print(f"Wrote {path} ({path.stat().st_size / 1024:.0f} KiB): lessons, assets and the student-side checks.")


if __name__ == "__main__":
    main()
