"""The class grader (`make grade`): hostile submissions, agreement with stock nbgrader, Dask, resuming, feedback, report, `make check`."""
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.instructor.check import check
from autograder.instructor.course import REPO, SOLUTIONS, Course, fill, lessons, read_notebook, solution_answers, tool_environment
from autograder.instructor.example_class import lesson_module, submission
from autograder.instructor.grade import MARKER, cheats, grade, imported_names
from autograder.instructor.report import write_report
from autograder.instructor.worker.sandbox import bubblewrap_available

LESSON = "01_gates"  # the quickest lesson to grade
HIDDEN = "### BEGIN HIDDEN TESTS\n"


def answers(**replace):
    """The solution's answers to LESSON, some replaced."""
    return {**solution_answers(LESSON), **replace}


def hostile_catalog(root):
    """{student: (what they hand in, phrase the grader's flag must contain)} for the hostile and broken submissions."""
    right = answers()
    prefixed = lambda code, cell="gate": answers(**{cell: code + "\n" + right[cell]})  # noqa: E731
    return {
        "infinite_loop": (prefixed("while True:\n    pass"), "cell timeout"),
        "memory_bomb": (prefixed("hog = []\nwhile True:\n    hog.append(np.ones(2**27))"), "memory limit"),
        "fork_bomb": (prefixed("import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(20)\n        os._exit(0)"), "process limit"),
        "exit": (prefixed("import os\nos._exit(0)"), "kernel died"),
        "segfault": (prefixed("import faulthandler\nfaulthandler._sigsegv()"), "kernel died"),
        "output_flood": (prefixed("while True:\n    print('spam' * 1000)"), "output limit"),
        "patches_numpy": (prefixed("np.allclose = lambda *args, **kwargs: True", "sigmoid_grad"), "replaces np.allclose"),
        "patches_checks": (prefixed("import autograder.checking\nautograder.checking.expect_close = lambda *a, **k: None", "sigmoid_grad"),
                           "replaces autograder.checking.expect_close"),
        "uses_reference": (answers(sigmoid_grad="from autograder.instructor.reference import sigmoid_grad"), "autograder.instructor"),
        "reads_gradebook": (prefixed(f"print(open({str(root) + '/gradebook.db'!r}, 'rb').read()[:100])", "sigmoid_grad"), "course's files"),
        "reads_other_student": (prefixed(f"print(open({str(root) + '/submitted/honest/' + LESSON + '/' + LESSON + '.ipynb'!r}).read())",
                                         "sigmoid_grad"), "course's files"),
        **({"writes_gradebook": (prefixed(f"open({str(root)!r} + '/grade' + 'book.db', 'w').write('')", "sigmoid_grad"),
                                 "outside its scratch folder")} if bubblewrap_available() else {}),  # unsafe without the sandbox
        "deleted_test_cell": (("delete", "gate_matches_sigmoid_of_affine"), "deleted graded cells"),
        "duplicated_test_cell": (("duplicate", "gate_matches_sigmoid_of_affine"), "duplicated graded cells"),
        "retyped_test_cell": (("retype", "gate_matches_sigmoid_of_affine"), "retyped graded cells"),
        "corrupt_notebook": ("{\"cells\": [", "unreadable notebook"),
        "empty_notebook": ("", "unreadable notebook"),
        "misnamed_notebook": (("misname", None), "misnamed notebook"),
    }


def hand_in(course, student, what):
    """Submit what a catalog entry describes."""
    released = course.released(LESSON)
    if isinstance(what, str):
        return course.submit(student, LESSON, what)
    if isinstance(what, dict):
        return course.submit(student, LESSON, fill(released, what))
    action, grade_id = what
    notebook = fill(released, answers())
    index = next((k for k, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id), None)
    if action == "delete":
        del notebook.cells[index]
    elif action == "duplicate":
        notebook.cells.insert(index, nbformat.from_dict(json.loads(json.dumps(notebook.cells[index]))))
    elif action == "retype":
        notebook.cells[index].cell_type = "markdown"  # as JupyterLab's cell-type menu does
        del notebook.cells[index]["outputs"], notebook.cells[index]["execution_count"]
    path = course.submit(student, LESSON, notebook)
    if action == "misname":
        path.rename(path.with_name("my homework.ipynb"))
    return path


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    """A class of honest and hostile submissions to LESSON, graded in one batch."""
    root = tmp_path_factory.mktemp("hostile")
    course = Course(root, [LESSON], cell_timeout=5)
    course.submit("honest", LESSON, fill(course.released(LESSON), answers()))
    course.submit("honest_with_mistakes", LESSON, submission("casey", LESSON, course.released(LESSON)))
    catalog = hostile_catalog(root)
    for student, (what, _) in catalog.items():
        hand_in(course, student, what)
    before = (root / "submitted" / "honest" / LESSON / f"{LESSON}.ipynb").read_bytes()
    summary = grade(root, [LESSON], workers=2, progress=False, limits={"memory": 4 * 2**30})
    return course, catalog, summary, before


def test_hostile_submissions_are_contained_flagged_and_earn_nothing_for_a_cheat(hostile_course):
    course, catalog, summary, before = hostile_course
    assert summary["failed"] == 0 and summary["graded"] == len(catalog) + 2
    scores, max_scores = course.scores(LESSON), course.max_scores(LESSON)
    auto = {cell for cell in max_scores if not cell.startswith("written_answer")}
    honest = sum(scores["honest"][cell] for cell in auto)
    assert honest == sum(max_scores[cell] for cell in auto), "the honest student's grade was disturbed"
    assert 0 < sum(scores["honest_with_mistakes"][c] for c in auto) < honest
    flags = {record["student"]: " | ".join(record["flags"]) for record in summary["records"]}
    for student, (_, phrase) in catalog.items():
        assert phrase in flags[student], f"{student}: flags {flags[student]!r} do not say {phrase!r}"
        assert sum(scores[student][cell] for cell in auto) <= honest, student
    for cheat in ["patches_numpy", "patches_checks", "uses_reference"]:  # the cheats' functions earn nothing
        assert scores[cheat]["sigmoid_grad_matches_s_times_one_minus_s"] == 0, cheat
    for intact in ["deleted_test_cell", "duplicated_test_cell", "retyped_test_cell", "misnamed_notebook"]:
        assert sum(scores[intact][cell] for cell in auto) == honest, f"{intact} lost the points of its honest answers"
    assert (course.root / "submitted" / "honest" / LESSON / f"{LESSON}.ipynb").read_bytes() == before
    assert course.scores(LESSON)["honest"] == scores["honest"]  # the gradebook is readable and unchanged by the attempts
    with Gradebook(course.db_url) as gradebook:  # consistent: one submission per student, every cell scored
        submissions = gradebook.find_assignment(LESSON).submissions
        assert len(submissions) == len(catalog) + 2
        assert all(grade.score is not None for s in submissions for nb in s.notebooks for grade in nb.grades)


def as_text(page):
    """What a feedback page says, without its HTML tags and syntax highlighting."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_feedback_teaches_and_never_shows_hidden_tests(hostile_course):
    course = hostile_course[0]
    course.nbgrader("generate_feedback", LESSON, "--force")
    hidden_lines = {line.strip() for cell in read_notebook(SOLUTIONS / LESSON / f"{LESSON}.ipynb").cells
                    if HIDDEN in cell.source
                    for line in cell.source.split(HIDDEN)[1].split("### END HIDDEN TESTS")[0].splitlines() if line.strip()}
    assert hidden_lines
    feedback = as_text(course.root / "feedback" / "honest_with_mistakes" / LESSON / f"{LESSON}.html")
    assert "check_sigmoid_grad(sigmoid_grad)" in feedback  # the visible test
    assert "This is what you get if you" in feedback  # the check's diagnosis
    assert "sigmoid_grad_matches_s_times_one_minus_s" in feedback and "Score: 0.0 / 2.0" in feedback  # points
    for path in (course.root / "feedback").rglob("*.html"):
        text = as_text(path)
        for line in hidden_lines | {"BEGIN HIDDEN TESTS", "_hidden("}:
            assert line not in text, f"{path} shows the hidden test line {line!r}"


def test_report_shows_scores_pass_rates_mistakes_and_flags(hostile_course):
    course, catalog, summary, _ = hostile_course
    page = write_report(course.root, summary).read_text()
    assert "data:image/png;base64" in page and "full marks" in page
    assert "Mistakes the checks diagnosed most often" in page
    assert f"Flagged submissions ({len(catalog)})" in page and "fork_bomb" in page
    assert list((course.root / "reports").glob("grades-*.csv"))


def test_the_lessons_and_every_catalogued_answer_pass_the_cheat_scan():
    for lesson in lessons():
        released = read_notebook(REPO / "lessons" / lesson / f"{lesson}.ipynb")
        imported = imported_names(released)
        module = lesson_module(lesson)
        sources = [cell.source for cell in released.cells if cell.cell_type == "code"
                   and not (cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata["nbgrader"].get("solution"))]
        sources += list(solution_answers(lesson).values())
        sources += [source for table in (module.WRONG, module.RIGHT) for variants in table.values() for source in variants.values()]
        for source in sources:
            assert not cheats(source, imported), (lesson, source[:200], cheats(source, imported))


def example_course(root, lesson_names):
    """The example class, submitted to a fresh course."""
    course = Course(root, lesson_names, cell_timeout=5)
    for lesson in lesson_names:
        for student in ["ada", "blake", "casey", "dana"]:
            course.submit(student, lesson, submission(student, lesson, course.released(lesson)))
    return course


def test_points_per_cell_agree_with_stock_nbgrader_autograde(tmp_path):
    chosen = ["01_gates", "04_backprop"]
    stock, ours = example_course(tmp_path / "stock", chosen), example_course(tmp_path / "ours", chosen)
    for lesson in chosen:
        stock.autograde(lesson)
    assert grade(ours.root, chosen, workers=2, progress=False)["failed"] == 0
    for lesson in chosen:
        assert ours.scores(lesson) == stock.scores(lesson), lesson


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_grading_through_a_dask_scheduler_with_two_worker_processes(tmp_path):
    course = example_course(tmp_path / "course", [LESSON])
    address = f"tcp://127.0.0.1:{free_port()}"
    away = tmp_path / "elsewhere"  # the workers run far from the course directory
    away.mkdir()
    env = {**tool_environment(), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                   "--port", address.rsplit(":", 1)[1], "--no-dashboard"], cwd=away, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        processes += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                        "--nworkers", "1", "--no-dashboard", "--name", f"worker-{k}"], cwd=away, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(2)]
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        summary = grade(course.root, [LESSON], scheduler=address, progress=False)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    assert summary["graded"] == 4 and summary["failed"] == 0
    assert {record.get("worker") for record in summary["records"]} >= {"worker-0", "worker-1"}
    scores, max_scores = course.scores(LESSON), course.max_scores(LESSON)
    auto = [cell for cell in max_scores if not cell.startswith("written_answer")]
    assert all(scores["ada"][cell] == max_scores[cell] for cell in auto)
    assert sum(scores["blake"].values()) == 0
    assert 0 < sum(scores["dana"][cell] for cell in auto) < sum(max_scores[cell] for cell in auto)


def test_an_interrupted_run_resumes_and_ends_like_an_uninterrupted_one(tmp_path):
    interrupted, straight = Course(tmp_path / "interrupted", [LESSON]), Course(tmp_path / "straight", [LESSON])
    for course in (interrupted, straight):
        for k in range(6):
            who = ["ada", "casey", "blake"][k % 3]
            course.submit(f"student{k}", LESSON, submission(who, LESSON, course.released(LESSON)))
    run = subprocess.Popen([sys.executable, "-m", "autograder.instructor.grade", "--course", str(interrupted.root),
                            "--workers", "1", LESSON], env=tool_environment(), start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    markers = lambda: list((interrupted.root / "autograded").glob(f"*/*/{MARKER}"))  # noqa: E731
    deadline = time.monotonic() + 300
    while len(markers()) < 2 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)  # the whole run, workers and kernels with it
    run.wait()
    done_before = len(markers())
    assert 2 <= done_before < 6
    summary = grade(interrupted.root, [LESSON], workers=2, progress=False)
    assert summary["already graded"] == done_before and summary["graded"] == 6 - done_before
    grade(straight.root, [LESSON], workers=2, progress=False)
    assert interrupted.scores(LESSON) == straight.scores(LESSON)
    assert grade(interrupted.root, [LESSON], workers=2, progress=False)["graded"] == 0  # nothing left to do


def test_make_check_prints_points_and_the_checks_messages(tmp_path, capsys):
    notebook = fill(read_notebook(REPO / "lessons" / LESSON / f"{LESSON}.ipynb"),
                    answers(sigmoid_grad="def sigmoid_grad(x):\n    return sigmoid(x)\n"))
    path = tmp_path / "mine.ipynb"
    nbformat.write(notebook, str(path))
    points, maximum = check(LESSON, path)
    printed = capsys.readouterr().out
    assert 0 < points < maximum
    assert "XX sigmoid_grad_matches_s_times_one_minus_s: 0 / 2" in printed
    assert "ok sigmoid_is_exact_and_never_overflows: 2 / 2" in printed
    assert "return sigmoid(x) itself instead of its derivative" in printed
    assert "written answer" in printed
