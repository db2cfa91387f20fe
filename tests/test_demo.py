"""`make demo` end to end on lesson 01: the example class graded by the class grader, with feedback, a CSV export and
the report. (test_grader.py grades the example class of every lesson against stock nbgrader.)"""
import csv

from nbgrader.api import Gradebook

from autograder.instructor.demo import run
from autograder.instructor.example_class import STUDENTS


def test_demo_grades_the_example_class(tmp_path, capsys):
    names = ["01_gates"]
    course = run(tmp_path / "course", cell_timeout=5, names=names)
    printed = capsys.readouterr().out
    with Gradebook(course.db_url) as gradebook:
        for lesson in names:
            max_score = gradebook.find_assignment(lesson).max_score
            score = {student: gradebook.find_submission(lesson, student).score for student in STUDENTS}
            assert score["ada"] == max_score, lesson
            assert score["blake"] == 0, lesson
            assert 0 < score["casey"] < max_score, lesson
            assert 0 < score["dana"] < max_score, lesson  # graded despite the cell that never finished
            for student in STUDENTS:
                feedback = (tmp_path / "course" / "feedback" / student / lesson / f"{lesson}.html").read_text()
                for secret in ["BEGIN HIDDEN TESTS", "_hidden(", "autograder.instructor"]:
                    assert secret not in feedback, f"{student}'s feedback on {lesson} shows hidden tests"
    with open(tmp_path / "course" / "grades.csv") as export:
        rows = list(csv.DictReader(export))
    assert {row["student_id"] for row in rows} == set(STUDENTS)
    assert "Gradebook (points of max)" in printed and "ada" in printed and "grades.csv" in printed
    assert "flagged dana" in printed and "cell timeout" in printed
    report = next((tmp_path / "course" / "reports").glob("grading-*.html")).read_text()
    assert "Flagged submissions (" in report and "dana" in report and "data:image/png" in report
