"""The class grader (`make grade`): hostile submissions, agreement with stock nbgrader, Dask, resuming, feedback, report, `make check`."""
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.instructor.check import check
from autograder.instructor.course import REPO, SOLUTIONS, Course, fill, grade_id, read_notebook, solution_answers, tool_environment
from autograder.instructor.lessons import lesson as find_lesson
from autograder.instructor.lessons import names
from autograder.instructor.example_class import STUDENTS, submission
from autograder.instructor.grade import MARKER, cheats, grade, imported_names
from autograder.instructor.report import write_report
from autograder.instructor.worker.sandbox import bubblewrap_available

LESSON = "01_gates"  # the quickest lesson to grade
HIDDEN = "### BEGIN HIDDEN TESTS\n"


def answers(**replace):
    """The solution's answers to LESSON, some replaced."""
    return {**solution_answers(LESSON), **replace}


SECRET_VARIABLE, SECRET = "LSTM_COURSE_INSTRUCTOR_TOKEN", "instructor-token-never-in-a-kernel"
FORGED_MARK = Path(tempfile.gettempdir()) / "lstm-course-forged-test-cell-ran"
WRONG_SIGMOID_GRAD = "def sigmoid_grad(x):\n    return sigmoid(x)\n"  # a wrong answer each cheat tries to pass off
CHEATED = "sigmoid_grad_matches_s_times_one_minus_s"


def cheat(code):
    """Answers with a wrong sigmoid_grad and `code`, which tries to make it earn points, in the same cell."""
    return answers(sigmoid_grad=WRONG_SIGMOID_GRAD + "\n" + code)


# Attacks on the grader: each with a wrong sigmoid_grad, which must earn nothing, and the class of attack it belongs to.
CHEATS = {
    # the static scan bypassed
    "exec_patches_numpy": 'exec("np.all" + "close = lambda *a, **k: True")',
    "dict_patches_numpy": 'np.__dict__["allclose"] = lambda *a, **k: True',
    "alias_patches_numpy": "m = np\nm.allclose = lambda *a, **k: True\nm.testing.assert_allclose = lambda *a, **k: None",
    "replaces_checks_module": "from sys import modules\nimport types\nfake = types.ModuleType('autograder.gates')\n"
                              "fake.check_sigmoid_grad = lambda f: None\nmodules['autograder.gates'] = fake",
    # the true answer stolen from the check's stack
    "steals_want_from_frames": """
import inspect
_wrong = sigmoid_grad
def sigmoid_grad(x):
    frame = inspect.currentframe().f_back
    while frame is not None:
        for name in ("want", "expected", "s"):
            if name in frame.f_locals and np.shape(frame.f_locals[name]) == np.shape(x):
                return frame.f_locals[name] * 0 + frame.f_locals[name]
        frame = frame.f_back
    return _wrong(x)
""",
    "steals_want_with_settrace": """
import sys
_seen = {}
def _tracer(frame, event, arg):
    if "want" in frame.f_locals:
        _seen["want"] = frame.f_locals["want"]
    return _tracer
sys.settrace(_tracer)
_wrong = sigmoid_grad
def sigmoid_grad(x):
    want = _seen.get("want")
    return want if want is not None and np.shape(want) == np.shape(x) else _wrong(x)
""",
    # the reference read at grade time
    "reads_reference_file": """
import autograder, pathlib
_wrong = sigmoid_grad
def sigmoid_grad(x):
    try:
        namespace = {"np": np}
        exec(pathlib.Path(autograder.__file__).parent.joinpath("instructor", "reference.py").read_text(), namespace)
        return namespace["sigmoid_grad"](x)
    except Exception:
        return _wrong(x)
""",
    # the kernel made to lie
    "input_transformer_skips_checks": "get_ipython().input_transformers_post.append("
                                      "lambda lines: ['pass\\n'] if any('check_' in line for line in lines) else lines)",
    "ast_transformer_empties_cells": """
import ast
class Empty(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[ast.Pass()], type_ignores=[])
get_ipython().ast_transformers.append(Empty())
""",
    "custom_exc_clears_errors": """
ip = get_ipython()
ip.set_custom_exc((Exception,), lambda self, etype, value, tb, tb_offset=None: None)
def _clear(result):
    result.error_in_exec = None
ip.events.register("post_run_cell", _clear)
""",
    "replaces_do_execute": """
kernel = get_ipython().kernel
async def _ok(*args, **kwargs):
    return {"status": "ok", "execution_count": 1, "user_expressions": {}, "payload": []}
kernel.do_execute = _ok
""",
    # of my own, as a hostile student would
    "agent_replaced": "import autograder.agent\nautograder.agent.serve = lambda: None",
    "agent_answers_forged": """
import autograder.agent, builtins
_input = builtins.input
def _forge(prompt=""):
    reply = _input(prompt)
    if '"op":"call"' in reply:
        return _input('{"value": 0.25}')
    return reply
autograder.agent.ask = lambda message: autograder.agent.wire.loads(_forge(autograder.agent.wire.dumps(message)))
""",
    "input_ends_the_agent": "import builtins\nbuiltins.input = lambda prompt='': '{\"op\": \"end\"}'",
    "array_subclass_equal_to_all": """
class Equal(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)
_wrong = sigmoid_grad
def sigmoid_grad(x):
    return np.asarray(_wrong(x)).view(Equal)
""",
    "returns_object_that_fakes_closeness": """
class Close:
    def __array__(self, dtype=None, copy=None):
        return np.full(3, 0.25)
    def __wire__(self):
        return {"__array__": {"dtype": "object", "shape": [1], "data": ""}}
def sigmoid_grad(x):
    return Close()
""",
    "returns_a_gigabyte": "def sigmoid_grad(x):\n    return np.zeros(2**27)",
    "kills_its_parent": "import os, signal\n_wrong = sigmoid_grad\ndef sigmoid_grad(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return _wrong(x)",
    "reads_worker_memory": """
import os, re
_wrong = sigmoid_grad
def sigmoid_grad(x):
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if b"reference" in open(f"/proc/{pid}/cmdline", "rb").read():
                return open(f"/proc/{pid}/mem", "rb").read(8)
        except OSError:
            pass
    return _wrong(x)
""",
    "git_show_hidden_tests": """
import subprocess, autograder, pathlib
root = pathlib.Path(autograder.__file__).parents[1]
print(subprocess.run(["git", "-C", str(root), "show", "HEAD:solutions/01_gates/01_gates.ipynb"], capture_output=True, text=True).stdout[:3000])
print(sorted(p.name for p in (root / "solutions").glob("*")), sorted(p.name for p in (root / "autograder" / "instructor").glob("*")))
""",
    "prints_history_and_hidden_sources": """
import inspect
print(In)
try:
    import autograder.instructor.gates as hidden
    print(inspect.getsource(hidden))
except Exception as error:
    print("no hidden checks here:", error)
""",
    "sends_a_huge_module_description": """
class Bomb:
    def __wire__(self):
        return {"__module__": "LSTM", "sizes": {"input_size": 1, "hidden_size": 1, "num_layers": 25000}, "state": {"__dict__": {}}}
def sigmoid_grad(x):
    return Bomb()
""",
    "injects_into_other_kernels": """
import glob, time, json
from jupyter_client import BlockingKernelClient
attacked = 0
for _ in range(30):
    for path in glob.glob("/tmp/**/kernel.json", recursive=True) + glob.glob("/tmp/*/*/kernel.json"):
        try:
            client = BlockingKernelClient(connection_file=path)
            client.load_connection_file()
            client.start_channels()
            client.execute("def sigmoid_grad(x):\\n    return x * 0\\ndef gate(x, W, b):\\n    return x[:, :1] * 0")
            attacked += 1
        except Exception:
            pass
    time.sleep(0.1)
print("kernels attacked:", attacked)
""",
}


def hostile_catalog(root):
    """{student: (what they hand in, phrase the grader's flag must contain, or None)} for the hostile and broken submissions."""
    right = answers()
    prefixed = lambda code, cell="gate": answers(**{cell: code + "\n" + right[cell]})  # noqa: E731
    appended = lambda code, cell="gate": answers(**{cell: right[cell] + "\n" + code})  # noqa: E731
    return {
        "infinite_loop": (prefixed("while True:\n    pass"), "cell timeout"),
        "infinite_loop_after_its_answer": (appended("while True:\n    pass", "sigmoid"), "cell timeout"),
        "sleeps_forever": (appended("import time\ntime.sleep(10**6)", "sigmoid_grad"), "wall-clock"),
        "memory_bomb": (prefixed("hog = []\nwhile True:\n    hog.append(np.ones(2**27))"), "memory limit"),
        "fork_bomb": (prefixed("import os, time\nfor _ in range(200):\n    if os.fork() == 0:\n        time.sleep(20)\n        os._exit(0)"), "process limit"),
        "exit": (prefixed("import os\nos._exit(0)"), "kernel died"),
        "segfault": (prefixed("import faulthandler\nfaulthandler._sigsegv()"), "kernel died"),
        "output_flood": (prefixed("while True:\n    print('spam' * 1000)"), "output limit"),
        "patches_numpy": (cheat("np.allclose = lambda *args, **kwargs: True"), "replaces np.allclose"),
        "patches_checks": (cheat("import autograder.checking\nautograder.checking.expect_close = lambda *a, **k: None"),
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
        "forged_test_cell": (("forge", "gate_matches_sigmoid_of_affine"), "unknown graded cell"),
        "corrupt_notebook": ("{\"cells\": [", "unreadable notebook"),
        "empty_notebook": ("", "unreadable notebook"),
        "misnamed_notebook": (("misname", "my homework.ipynb"), "misnamed notebook"),
        "script_in_its_name": (("misname", "<img src=x onerror=alert(1)>.ipynb"), "misnamed notebook"),
        "script_in_outputs": (appended("from IPython.display import HTML, Javascript, display\n"
                                       "display(HTML('<script>alert(1)</script><img src=x onerror=alert(2)>'))\n"
                                       "display(Javascript('alert(3)'))", "sigmoid"), None),
        "script_in_markdown": (("answer", "<img src=x onerror=alert(4)> <script>alert(5)</script> [click](javascript:alert(6))"), None),
        "script_url_with_entities": (("answer", "[click me](java&#115;cript:alert(7)) [me too](&#106;avascript&colon;alert(8))"), None),
        "huge_markdown": (("answer", "x" * 12_000_000), "source limit"),
        "lone_surrogate": (("surrogate", "\udcff"), None),
        "invalid_display": (appended("from IPython.display import publish_display_data\npublish_display_data({'text/html': 5})",
                                     "sigmoid"), None),
        "reads_environment": (appended(f"import os\nprint('ENV', os.environ.get({SECRET_VARIABLE!r}))", "sigmoid"), None),
        **{name: (cheat(code), None) for name, code in CHEATS.items()},
    }


def hand_in(course, student, what):
    """Submit what a catalog entry describes."""
    released = course.released(LESSON)
    if isinstance(what, str):
        return course.submit(student, LESSON, what)
    if isinstance(what, dict):
        return course.submit(student, LESSON, fill(released, what))
    action, detail = what
    if action in ("answer", "surrogate"):  # the written answer, in markdown; a lone surrogate only in escaped JSON
        written = next(iter(find_lesson(LESSON).written))
        notebook = fill(released, {**answers(), written: detail})
        return course.submit(student, LESSON, notebook if action == "answer" else json.dumps(notebook, ensure_ascii=True))
    notebook = fill(released, answers())
    index = next((k for k, c in enumerate(notebook.cells) if grade_id(c) == detail), None)
    if action == "delete":
        del notebook.cells[index]
    elif action == "duplicate":
        notebook.cells.insert(index, nbformat.from_dict(json.loads(json.dumps(notebook.cells[index]))))
    elif action == "retype":
        notebook.cells[index].cell_type = "markdown"  # as JupyterLab's cell-type menu does
        del notebook.cells[index]["outputs"], notebook.cells[index]["execution_count"]
    elif action == "forge":  # a test cell of its own: were it run by the examiner, it would run outside the sandbox
        forged = nbformat.v4.new_code_cell(f"open({str(FORGED_MARK)!r}, 'w').write('run outside the sandbox')")
        forged.metadata["nbgrader"] = {"grade": True, "grade_id": "extra_credit", "points": 50, "solution": False,
                                       "locked": True, "schema_version": 3}
        if notebook.nbformat_minor < 5:  # cell ids came with nbformat 4.5
            forged.pop("id", None)
        notebook.cells.insert(index, forged)
    path = course.submit(student, LESSON, notebook)
    if action == "misname":
        path.rename(path.with_name(detail))
    return path


NEEDS_THE_SANDBOX = {"reads_reference_file", "injects_into_other_kernels", "git_show_hidden_tests", "reads_worker_memory",
                     "writes_gradebook"}  # what only bubblewrap stops (the README says so)


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    """A class of honest and hostile submissions to LESSON, graded in one batch."""
    root = tmp_path_factory.mktemp("hostile")
    course = Course(root, [LESSON], cell_timeout=5)
    for student in ["honest", "honest_too"]:
        course.submit(student, LESSON, fill(course.released(LESSON), answers()))
    course.submit("honest_with_mistakes", LESSON, submission("casey", LESSON, course.released(LESSON)))
    course.submit("friend", LESSON, fill(course.released(LESSON), answers(sigmoid_grad=WRONG_SIGMOID_GRAD)))
    catalog = {student: entry for student, entry in hostile_catalog(root).items()
               if bubblewrap_available() or student not in NEEDS_THE_SANDBOX}
    for student, (what, _) in catalog.items():
        hand_in(course, student, what)
    before = (root / "submitted" / "honest" / LESSON / f"{LESSON}.ipynb").read_bytes()
    FORGED_MARK.unlink(missing_ok=True)
    os.environ[SECRET_VARIABLE] = SECRET  # in the grader's environment, as an instructor's token would be
    try:
        summary = grade(root, [LESSON], workers=2, progress=False, limits={"memory": 4 * 2**30, "wall_factor": 3})
    finally:
        del os.environ[SECRET_VARIABLE]
    return course, catalog, summary, before


HONEST = ["honest", "honest_too"]


@pytest.mark.slow
def test_hostile_submissions_are_contained_flagged_and_earn_nothing_for_a_cheat(hostile_course):
    course, catalog, summary, before = hostile_course
    assert summary["failed"] == 0 and summary["graded"] == len(catalog) + 4
    scores, max_scores = course.scores(LESSON), course.max_scores(LESSON)
    auto = set(course.max_scores(LESSON, autograded=True))
    full = sum(max_scores[cell] for cell in auto)
    for student in HONEST:  # beside every attack, the honest grades are untouched
        assert sum(scores[student][cell] for cell in auto) == full, f"{student}'s grade was disturbed: {scores[student]}"
    builds_on_it = {CHEATED, "gated_product_grads_match_autograd"}  # the friend's wrong sigmoid_grad, and what uses it
    assert {c: scores["friend"][c] for c in auto} == {c: (0 if c in builds_on_it else max_scores[c]) for c in auto}
    assert 0 < sum(scores["honest_with_mistakes"][c] for c in auto) < full
    flags = {record["student"]: " | ".join(record["flags"]) for record in summary["records"]}
    for student, (_, phrase) in catalog.items():
        assert phrase is None or phrase in flags[student], f"{student}: flags {flags[student]!r} do not say {phrase!r}"
        assert sum(scores[student][cell] for cell in auto) <= full, student
    cheats = [student for student in catalog if student in CHEATS or student in ("patches_numpy", "patches_checks", "uses_reference")]
    for cheat in cheats:  # every cheat's wrong function earns nothing
        assert scores[cheat][CHEATED] == 0, f"{cheat} earned {scores[cheat][CHEATED]} for a wrong sigmoid_grad"
    intact = ["deleted_test_cell", "duplicated_test_cell", "retyped_test_cell", "forged_test_cell", "misnamed_notebook",
              "script_in_its_name", "infinite_loop_after_its_answer", "sleeps_forever", "script_in_outputs",
              "lone_surrogate", "invalid_display", "reads_environment"]
    for student in intact:  # a broken or slow notebook with honest answers keeps every point of them
        assert sum(scores[student][cell] for cell in auto) == full, f"{student} lost the points of its honest answers: {scores[student]}"
    assert not FORGED_MARK.exists(), "a test cell written by a student ran outside the sandbox"
    assert (course.root / "submitted" / "honest" / LESSON / f"{LESSON}.ipynb").read_bytes() == before
    assert course.scores(LESSON)["honest"] == scores["honest"]  # the gradebook is readable and unchanged by the attempts
    with Gradebook(course.db_url) as gradebook:  # consistent: one submission per student, every cell scored
        submissions = gradebook.find_assignment(LESSON).submissions
        assert len(submissions) == len(catalog) + 4
        assert all(grade.score is not None for s in submissions for nb in s.notebooks for grade in nb.grades)


LIVE_SCRIPT = [re.compile(pattern, re.I) for pattern in
               [r"<script[^>]*>[^<]*alert\(", r"<[a-z][^>]*\son\w+\s*=", r"href\s*=\s*[\"']?\s*javascript:"]]


@pytest.mark.slow
def test_nothing_from_a_submission_is_live_html_or_unbounded(hostile_course):
    course = hostile_course[0]
    course.nbgrader("generate_feedback", LESSON, "--force")
    for student in ["script_in_outputs", "script_in_markdown", "script_url_with_entities", "script_in_its_name", "huge_markdown"]:
        graded = course.root / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        assert graded.stat().st_size < 2 * 2**20, f"{student}'s graded notebook is not capped"
        notebook = read_notebook(graded)
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                assert "application/javascript" not in output.get("data", {}), student
        page = (course.root / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        assert "alert(" not in "".join(re.findall(r"<a\s[^>]*>", page)), f"{student}'s feedback links to script"
        for pattern in LIVE_SCRIPT:
            assert not pattern.search(page.split("</style>")[-1]), f"{student}'s feedback has live script: {pattern.pattern}"
        formgrader = formgrader_page(graded, student)  # what the instructor's browser shows of the submission
        assert not re.search(r"<[^>]*alert\(|<script[^>]*>[^<]*alert\(", formgrader), f"{student}: live script in formgrader"


def formgrader_page(path, student):
    """The graded notebook rendered as formgrader's submission page renders it."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    resources = {"assignment_id": LESSON, "notebook_id": LESSON, "submission_id": student, "index": 0, "total": 1,
                 "base_url": "", "student": student, "last_name": "", "first_name": "", "notebook_path": str(path)}
    return HTMLExporter(config=config).from_filename(str(path), resources=resources)[0]


def as_text(page):
    """What a feedback page says, without its HTML tags and syntax highlighting."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


@pytest.mark.slow
def test_no_secret_of_the_grader_reaches_a_kernel(hostile_course):
    course = hostile_course[0]
    for path in (course.root / "autograded").rglob("*.ipynb"):
        text = path.read_text()
        assert SECRET not in text, f"{path} shows the grader's environment"
    leaks = read_notebook(course.root / "autograded" / "git_show_hidden_tests" / LESSON / f"{LESSON}.ipynb") \
        if bubblewrap_available() else None
    if leaks is not None:
        printed = "".join(output.get("text", "") for cell in leaks.cells for output in cell.get("outputs", []))
        assert "BEGIN HIDDEN TESTS" not in printed and "reference.py" not in printed, printed[:500]


@pytest.mark.slow
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


@pytest.mark.slow
def test_report_shows_scores_pass_rates_mistakes_and_flags(hostile_course):
    course, catalog, summary, _ = hostile_course
    page = write_report(course.root, summary).read_text()
    assert "data:image/png;base64" in page and "full marks" in page
    assert "Mistakes the checks diagnosed most often" in page
    assert "Flagged submissions (" in page and "fork_bomb" in page
    for pattern in LIVE_SCRIPT:
        assert not pattern.search(page), pattern.pattern
    assert list((course.root / "reports").glob("grades-*.csv"))


def test_the_lessons_and_every_catalogued_answer_pass_the_cheat_scan():
    for lesson in names():
        released = read_notebook(REPO / "lessons" / lesson / f"{lesson}.ipynb")
        imported = imported_names(released)
        module = find_lesson(lesson).hidden()
        sources = [cell.source for cell in released.cells if cell.cell_type == "code" and grade_id(cell) not in find_lesson(lesson).tests]
        sources += list(solution_answers(lesson).values())
        sources += [source for table in (module.WRONG, module.RIGHT) for variants in table.values() for source in variants.values()]
        for source in sources:
            assert not cheats(source, imported), (lesson, source[:200], cheats(source, imported))


def example_course(root, lesson_names, students=tuple(STUDENTS)):
    """The example class (or some of its students), submitted to a fresh course."""
    course = Course(root, lesson_names, cell_timeout=5)
    for lesson in lesson_names:
        for student in students:
            course.submit(student, lesson, submission(student, lesson, course.released(lesson)))
    return course


@pytest.mark.slow
@pytest.mark.parametrize("lesson", names())
def test_points_per_cell_agree_with_stock_nbgrader_autograde(tmp_path, lesson):
    stock, ours = example_course(tmp_path / "stock", [lesson]), example_course(tmp_path / "ours", [lesson])
    stock.autograde(lesson)
    assert grade(ours.root, [lesson], workers=2, progress=False)["failed"] == 0
    assert ours.scores(lesson) == stock.scores(lesson), lesson


COURSE_CONFIG = """
from nbconvert.preprocessors import Preprocessor
from nbgrader.converters import Autograde
from traitlets import Bool


class Stamp(Preprocessor):
    enabled = Bool(True)

    def preprocess(self, nb, resources):
        nb.metadata["stamped_by_the_course"] = True
        return nb, resources


c.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default() + [Stamp]
"""


LYING_PROBE = """
exec(\"\"\"
import autograder.switches_and_counters as m
_honest_probe = m.probe_cell
def probe_cell(cls, input_size, hidden_size, options, state=None, inputs=None, weights=None, name=None):
    got = _honest_probe(cls, input_size, hidden_size, options, state, inputs, weights, name)
    k = hidden_size ** -0.5
    got["parameters"] = {key: np.random.default_rng(0).uniform(-k, k, size=np.shape(v)) for key, v in got["parameters"].items()}
    return got
m.probe_cell = probe_cell
\"\"\")
"""


@pytest.mark.slow
def test_a_kernel_that_lies_about_its_objects_earns_nothing(tmp_path):
    lesson = "06_switches_and_counters"
    right = solution_answers(lesson)["lstm_variant_cell"]
    zero_init = right
    for shape in ["4 * hidden_size, input_size", "4 * hidden_size, hidden_size", "4 * hidden_size"]:
        zero_init = zero_init.replace(f"torch.empty({shape}).uniform_(-k, k)", f"torch.zeros({shape})")
    assert zero_init.count("torch.zeros") == 4
    course = Course(tmp_path, [lesson], cell_timeout=30)
    for student, cell in {"honest": right, "zero_init": zero_init, "zero_init_lying_probe": zero_init + LYING_PROBE}.items():
        course.submit(student, lesson, fill(course.released(lesson), {**solution_answers(lesson), "lstm_variant_cell": cell}))
    assert grade(course.root, [lesson], workers=2, progress=False)["failed"] == 0
    scores = course.scores(lesson)
    checked = "lstm_variant_cell_matches_torch_and_each_option"
    assert scores["honest"][checked] > 0
    assert scores["zero_init"][checked] == scores["zero_init_lying_probe"][checked] == 0


def test_the_courses_nbgrader_config_is_obeyed(tmp_path):
    course = Course(tmp_path, [LESSON], cell_timeout=5)
    course.submit("ada", LESSON, fill(course.released(LESSON), answers()))
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(COURSE_CONFIG)
    assert grade(course.root, [LESSON], workers=1, progress=False)["failed"] == 0
    graded = read_notebook(course.root / "autograded" / "ada" / LESSON / f"{LESSON}.ipynb")
    assert graded.metadata.get("stamped_by_the_course") is True


@pytest.mark.slow
def test_a_loaded_machine_costs_no_points(tmp_path):
    # ada's honest heavy cells and dana's endless loop, graded while every core has two busy processes besides
    quiet, busy = example_course(tmp_path / "quiet", [LESSON], ["ada", "dana"]), example_course(tmp_path / "busy", [LESSON], ["ada", "dana"])
    assert grade(quiet.root, [LESSON], workers=2, progress=False)["failed"] == 0
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2 * (os.cpu_count() or 2))]
    try:
        summary = grade(busy.root, [LESSON], workers=2, progress=False)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert summary["failed"] == 0
    assert busy.scores(LESSON) == quiet.scores(LESSON)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
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
    auto = list(course.max_scores(LESSON, autograded=True))
    assert all(scores["ada"][cell] == max_scores[cell] for cell in auto)
    assert sum(scores["blake"].values()) == 0
    assert 0 < sum(scores["dana"][cell] for cell in auto) < sum(max_scores[cell] for cell in auto)


@pytest.mark.slow
def test_an_interrupted_run_resumes_and_ends_like_an_uninterrupted_one(tmp_path):
    interrupted, straight = Course(tmp_path / "interrupted", [LESSON]), Course(tmp_path / "straight", [LESSON])
    for course in (interrupted, straight):
        for k in range(4):
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
    assert 2 <= done_before < 4
    summary = grade(interrupted.root, [LESSON], workers=2, progress=False)
    assert summary["already graded"] == done_before and summary["graded"] == 4 - done_before
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
