"""Where the lessons find their figures and pretrained weights (the repository's `assets/` folder).

Notebooks reach it through the installed course package, not by a relative path, so that they
also run where nbgrader puts them (`autograded/<student>/<lesson>/`).
"""
from pathlib import Path

# Trained weights and other files the lessons load; `make lessons` never touches them.
ASSETS = Path(__file__).resolve().parents[1] / "assets"
