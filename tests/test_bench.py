"""`make bench`'s parts run: a lesson autograded by stock nbgrader, timed, earns full marks."""
from autograder.instructor.bench import AUTOGRADE_BUDGET, time_autograde, verdict


def test_an_autograded_lesson_is_timed_and_earns_full_marks():
    seconds, full_marks = time_autograde("02_cell_state")
    assert full_marks and seconds > 0
    assert verdict(seconds, AUTOGRADE_BUDGET) in ("ok", "OVER BUDGET")  # a busy machine may be slow: a number, not a test
