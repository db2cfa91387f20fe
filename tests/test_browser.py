"""Real-browser tests: Playwright drives Debian's Chromium through what a learner and an instructor see.

A learner in JupyterLab (as `make lab` starts it) types a wrong and then a right sigmoid into lesson 01 and
reads the check's message on the page; the feedback and the report of a graded class render and run no
script from a submission; the course site's first page renders with its navigation.

Chromium is never downloaded (no `playwright install`): the tests drive /usr/bin/chromium, Debian's
(`apt-get install -y chromium`). Without it they fail, saying so, unless SKIP_BROWSER_TESTS=1.
Screenshots of every step go to $BROWSER_SCREENSHOTS when it is set, else to the test's tmp_path.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

if os.environ.get("SKIP_BROWSER_TESTS") == "1":
    pytest.skip("SKIP_BROWSER_TESTS=1: the real-browser tests are skipped", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from autograder.instructor.course import REPO, Course, fill, solution_answers, tool_environment  # noqa: E402
from autograder.instructor.grade import grade  # noqa: E402
from autograder.instructor.lessons import lesson as find_lesson  # noqa: E402
from autograder.instructor.lessons import names  # noqa: E402
from autograder.instructor.report import write_report  # noqa: E402
from conftest import once  # noqa: E402

pytestmark = pytest.mark.slow  # about a minute without the site (grading a class, JupyterLab), minutes with it

CHROMIUM = "/usr/bin/chromium"
LESSON = "01_gates"
PATIENCE = 60_000  # ms: for anything on the page, on a loaded 2-core machine
SERVER_PATIENCE = 180  # s: for JupyterLab to answer
expect.set_options(timeout=PATIENCE)

WRONG_SIGMOID = "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))"  # overflows for large negative x
RIGHT_SIGMOID = ("def sigmoid(x):\n"
                 "    x = np.asarray(x, dtype=float)\n"
                 "    return np.where(x >= 0, 1/(1+np.exp(-np.abs(x))), np.exp(-np.abs(x))/(1+np.exp(-np.abs(x))))")

# What a hostile student puts into a notebook: it would log, retitle the page and raise a dialog if it ever ran.
PAYLOAD = "console.log('PWNED'); document.title='PWNED'; alert('PWNED')"
SCRIPT_OUTPUT = ("from IPython.display import HTML, display\n"
                 f"display(HTML(\"<script>{PAYLOAD}</script><img src=x onerror=\\\"{PAYLOAD}\\\">\"))")
SCRIPT_MARKDOWN = f"<img src=x onerror=\"{PAYLOAD}\"> <script>{PAYLOAD}</script> [click](javascript:alert('PWNED'))"
SCRIPT_FILE_NAME = f"<img src=x onerror=\"{PAYLOAD}\">.ipynb"


# ---------------------------------------------------------------------------------------------------------------
# The browser, and what the pages it opens say


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the real-browser tests need it. Install it with "
                    "`apt-get install -y chromium` (as root; .ci/run does), or set SKIP_BROWSER_TESTS=1 to skip them.",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, timeout=PATIENCE)
        yield chromium
        chromium.close()


class Page:
    """A fresh browser tab that records console messages, dialogs and uncaught errors, and can save screenshots."""

    def __init__(self, browser, shots, prefix, offline=True):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(PATIENCE)
        self.context.set_default_navigation_timeout(PATIENCE)
        if offline:  # file:// pages: nothing may come from the network (and nothing waits for it)
            self.context.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())
        self.page = self.context.new_page()
        self.console, self.dialogs, self.errors = [], [], []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.shots, self.prefix = shots, prefix

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def screenshot(self, name):
        path = self.shots / f"{self.prefix}-{name}.png"
        self.page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    def settle(self):
        """Wait until every console message and dialog raised so far has reached us (they arrive in order)."""
        with self.page.expect_console_message(lambda message: message.text == "browser-test-probe"):
            self.page.evaluate("console.log('browser-test-probe')")

    def assert_no_script_ran(self, title):
        self.settle()
        assert not [text for text in self.console if "PWNED" in text], self.console
        assert not self.dialogs, f"a dialog opened: {self.dialogs}"
        assert self.page.title() == title != "PWNED"
        assert self.page.locator("[onerror], [onload], script:not([src])").evaluate_all(
            "nodes => nodes.filter(node => /PWNED/.test(node.outerHTML)).length") == 0


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def tab(browser, shots):
    made = []

    def open_tab(prefix, offline=True):
        made.append(Page(browser, shots, prefix, offline))
        return made[-1]

    yield open_tab
    for page in made:
        page.context.close()


# ---------------------------------------------------------------------------------------------------------------
# 1. A learner in JupyterLab


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_lab_settings(settings):
    """The isolated user settings: no news prompt, and every cell of a notebook in the page (no windowing)."""
    for plugin, values in {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
                           "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture
def jupyter_lab(tmp_path):
    """JupyterLab as `make lab` starts it, on a copy of lessons/, with its own config, data and runtime folders."""
    lessons = tmp_path / "lessons"
    shutil.copytree(REPO / "lessons", lessons, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    env = tool_environment()
    for variable, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                             ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "matplotlib")]:
        env[variable] = str(tmp_path / folder)
        (tmp_path / folder).mkdir()
    for variable in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_TOKEN", "NBGRADER_EXECUTION"):
        env.pop(variable, None)
    write_lab_settings(tmp_path / "config" / "lab" / "user-settings")
    port, token = free_port(), "browser-test-token"
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lab", str(lessons), "--no-browser", "--ServerApp.open_browser=False",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    log = open(tmp_path / "jupyter.log", "w")
    server = subprocess.Popen(command, cwd=lessons, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_PATIENCE
        while True:  # until it answers: each attempt waits up to 5 s for a reply
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{(tmp_path / 'jupyter.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                    json.load(reply)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer in {SERVER_PATIENCE} s:\n{(tmp_path / 'jupyter.log').read_text()[-3000:]}")
                time.sleep(0.2)  # polling interval, not synchronisation
        yield base, token
    finally:
        server.terminate()  # JupyterLab shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        try:  # whatever it started and left behind (a kernel), by its process group
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def cell_source(cell):
    """The text of a cell's CodeMirror editor, line by line as shown."""
    return cell.locator(".cm-content").evaluate(
        "node => Array.from(node.querySelectorAll('.cm-line'), line => line.textContent).join('\\n')")


def replace_source(page, cell, source):
    """Put `source` into a cell through its editor, as typed; check the editor shows exactly it.

    Typed key by key, CodeMirror would indent each new line and close each bracket; inserted as one piece of
    text (what pasting does), the text arrives as it is.
    """
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)
    shown = cell_source(cell)
    if shown != source:  # not expected; then once more, by the clipboard, before saying what went wrong
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.evaluate("text => navigator.clipboard.writeText(text)", source)
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Control+V")
        shown = cell_source(cell)
    assert shown == source, f"the editor shows {shown!r}, not {source!r}"


def run(page, cell):
    """Run a cell as a learner does: click into it, Shift+Enter."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


def test_a_learner_in_jupyterlab_reads_the_sigmoid_checks_message(jupyter_lab, tab):
    base, token = jupyter_lab
    lab = tab("1-jupyterlab", offline=False)
    page = lab.page
    page.goto(f"{base}/lab/tree/{LESSON}/{LESSON}.ipynb?token={token}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    cells = notebook.locator(".jp-Cell")
    stub = cells.filter(has_text="def sigmoid(x):").first
    expect(stub).to_contain_text("YOUR CODE HERE")
    expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first).to_be_attached()  # the kernel is up
    index = cells.evaluate_all("cells => cells.findIndex(cell => cell.textContent.includes('def sigmoid(x):'))")
    setup, exercise, check = cells.nth(1), cells.nth(index), cells.nth(index + 1)
    expect(setup).to_contain_text("import numpy as np")
    expect(check).to_contain_text("check_sigmoid(sigmoid)")
    lab.screenshot("a-notebook-open")

    run(page, setup)
    expect(setup.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"))  # ran: numbered, no longer [*]
    replace_source(page, exercise, WRONG_SIGMOID)
    run(page, exercise)
    run(page, check)
    output = check.locator(".jp-OutputArea")
    printed = output.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
    expect(output).to_contain_text("sigmoid(-10000.0) gave the warning 'overflow encountered in exp'")
    expect(output).to_contain_text("Use a form that never takes exp of a large positive number")
    expect(printed).to_have_count(0)  # the pass message is not printed (the traceback quotes the line that prints it)
    check.scroll_into_view_if_needed()
    lab.screenshot("b-wrong-sigmoid-overflows")

    replace_source(page, exercise, RIGHT_SIGMOID)
    run(page, exercise)
    run(page, check)
    expect(printed).to_have_text("sigmoid passes the checks.")  # printed by this run: the old traceback is gone
    expect(output).not_to_contain_text("overflow")
    expect(output).not_to_contain_text("Error")
    check.scroll_into_view_if_needed()
    lab.screenshot("c-right-sigmoid-passes")


# ---------------------------------------------------------------------------------------------------------------
# 2. The feedback and the report of a graded class


def grade_hostile_class(root):
    """Lesson 01 graded in `root` for four students (honest; a script in outputs, in markdown, in the notebook's name)."""
    course = Course(root, [LESSON], cell_timeout=30)
    released = course.released(LESSON)
    answers = solution_answers(LESSON)
    course.submit("honest", LESSON, fill(released, answers))
    course.submit("script_in_outputs", LESSON, fill(released, {**answers, "sigmoid": answers["sigmoid"] + "\n" + SCRIPT_OUTPUT}))
    written = next(iter(find_lesson(LESSON).written))
    notebook = fill(released, {**answers, written: SCRIPT_MARKDOWN})
    added = nbformat.v4.new_markdown_cell(SCRIPT_MARKDOWN)
    if notebook.nbformat_minor < 5:
        added.pop("id", None)
    notebook.cells.insert(1, added)
    course.submit("script_in_markdown", LESSON, notebook)
    misnamed = course.submit("script_in_its_name", LESSON, fill(released, answers))  # flagged: the report names the file
    misnamed.rename(misnamed.with_name(SCRIPT_FILE_NAME))
    summary = grade(course.root, [LESSON], workers=2, progress=False)
    assert summary["failed"] == 0 and summary["graded"] == 4, summary
    course.nbgrader("generate_feedback", LESSON, "--force")
    write_report(course.root, summary)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """(the course folder, its report page) of the graded class, with feedback; graded once per run."""
    root = once(tmp_path_factory, "browser_class", grade_hostile_class)
    return root, next((root / "reports").glob("grading-*.html"))


@pytest.mark.parametrize("student", ["honest", "script_in_outputs", "script_in_markdown"])
def test_feedback_renders_and_runs_no_script_from_a_submission(graded_class, tab, student):
    root = graded_class[0]
    feedback = tab(f"2-feedback-{student}")
    page = feedback.page
    page.goto((root / "feedback" / student / LESSON / f"{LESSON}.html").as_uri())
    expect(page.locator("h1").first).to_contain_text("Gates are soft switches")
    expect(page.locator("body")).to_contain_text("sigmoid_is_exact_and_never_overflows")
    expect(page.locator("body")).to_contain_text(re.compile(r"Score: \d+(\.\d+)? / \d+"))
    if student == "honest":
        expect(page.locator("body")).to_contain_text("sigmoid passes the checks.")
    feedback.screenshot("top")
    if student != "honest":  # the submission's markup is there, shown as inert text
        shown = page.locator("pre" if student == "script_in_markdown" else ".output_html, [data-mime-type='text/html']")
        where = shown.filter(has_text="<script>").first
        expect(where).to_contain_text("onerror=")
        where.scroll_into_view_if_needed()
        feedback.screenshot("submission-markup")
    feedback.assert_no_script_ran(LESSON)


def test_the_report_renders_and_runs_no_script_from_a_submission(graded_class, tab):
    report = tab("2-report")
    page = report.page
    page.goto(graded_class[1].as_uri())
    expect(page.locator("h1")).to_contain_text("Grading report")
    expect(page.locator("h2").filter(has_text=LESSON)).to_be_visible()
    expect(page.locator("body")).to_contain_text("4 submissions")
    flagged = page.locator("tr", has_text="script_in_its_name")
    expect(flagged).to_contain_text("misnamed notebook")
    expect(flagged).to_contain_text("onerror=")  # the file's name, shown as text
    expect(page.locator("table").first).to_contain_text("sigmoid_is_exact_and_never_overflows")
    expect(page.locator("img[alt=histogram]")).to_be_visible()
    assert page.locator("img[alt=histogram]").evaluate("image => image.complete && image.naturalWidth > 0")
    flagged.scroll_into_view_if_needed()
    report.screenshot("page")
    report.assert_no_script_ran("Grading report")


# ---------------------------------------------------------------------------------------------------------------
# 3. The course site


def test_the_sites_first_page_renders_with_its_navigation(built_site, tab):
    site = Path(built_site)
    home = tab("3-site")
    page = home.page
    page.goto((site / "index.html").as_uri())
    expect(page).to_have_title(re.compile("LSTM from its parts"))
    expect(page.locator("h1").first).to_contain_text("LSTM from its parts")
    navigation = page.locator("nav.bd-links, nav.bd-docs-nav").first
    expect(navigation).to_contain_text("Lessons")
    for lesson in names():
        expect(navigation.locator(f"a[href='lessons/{lesson}/{lesson}.html']")).to_have_count(1)
    expect(navigation.get_by_role("link", name=re.compile("Running the course yourself"))).to_have_count(1)
    home.screenshot("home")
    navigation.locator(f"a[href='lessons/{LESSON}/{LESSON}.html']").click()
    expect(page.locator("h1").first).to_contain_text("Gates are soft switches")
    expect(page.locator("body")).to_contain_text("YOUR CODE HERE")
    home.screenshot("lesson-01")
    home.settle()
    assert not home.dialogs and not home.errors, (home.dialogs, home.errors)
