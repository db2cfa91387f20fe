"""Catalogue variants written as edits of the reference's text.

Kept apart from the lesson registry, which needs nbgrader: the hidden checks' modules hold the
catalogues too, and stock nbgrader imports them in the kernel at grade time, where importing
nbgrader would cost seconds per notebook.
"""
import inspect


def edited(solution, *edits):
    """A variant for the catalogue: the reference's text of `solution` with each (old, new) edit made.

    The reference is the solutions' text, so a slip written this way is one visible edit of the
    solution, and an edit whose `old` is no longer in it fails loudly instead of testing nothing.
    """
    text = inspect.getsource(solution)
    for old, new in edits:
        if old not in text:
            raise ValueError(f"{old!r} is not in the solution of {solution.__name__}")
        text = text.replace(old, new)
    return text
