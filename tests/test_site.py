"""`make site`: every lesson as a learner meets it (stubs, visible tests, a right solution's outputs), and nothing secret."""
import html
import re

import pytest
from test_bundle import secret_lines

from autograder.instructor.lessons import names

pytestmark = pytest.mark.slow  # executes every notebook in full (once: see conftest.built_site)


@pytest.fixture
def site(built_site):
    return built_site


def page(site, lesson):
    return site / "lessons" / lesson / f"{lesson}.html"


def shown_text(markup):
    """What a page's markup says as text: tags (the highlighter's spans among them) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_one_page_per_lesson_a_running_page_and_search(site):
    for lesson in names():
        assert page(site, lesson).is_file(), lesson
    running = shown_text((site / "running.html").read_text())
    for command in ["make demo", "make test", "make lab", "make check LESSON="]:
        assert command in running, command
    assert (site / "search.html").is_file() and (site / "searchindex.js").is_file()
    home = (site / "index.html").read_text()
    for lesson in names():
        assert f'href="lessons/{lesson}/{lesson}.html"' in home, lesson


@pytest.mark.parametrize("lesson", names())
def test_lesson_page_shows_stubs_and_a_right_solutions_figures(site, lesson):
    markup = page(site, lesson).read_text()
    assert re.search(r'<img [^>]*src="[^"]*_images/[^"]+\.png"', markup), f"{lesson}: no figure"
    assert "YOUR CODE HERE" in shown_text(markup)
    assert "Traceback" not in markup and "NotImplementedError</span>:" not in markup
    assert re.search(r'class="math', markup), f"{lesson}: no math"
    assert "<details open" not in markup  # hints stay folded
    assert "widget" not in markup and "cdn" not in markup.lower()  # nothing but the site itself is loaded


def test_no_page_contains_a_solution_or_a_hidden_test(site):
    secrets = secret_lines()
    assert len(secrets) > 10
    pages = [path for path in site.rglob("*") if path.suffix in {".html", ".js", ".txt"}]
    assert len(pages) > len(names())
    for path in pages:
        text = path.read_text()
        text = shown_text(text) if path.suffix == ".html" else text
        for marker in ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "_hidden(", "autograder.instructor"]:
            assert marker not in text, f"{path.relative_to(site)} contains {marker!r}"
        leaked = {line.strip() for line in text.splitlines()} & secrets
        assert not leaked, f"{path.relative_to(site)} contains solution or hidden-test lines: {sorted(leaked)[:3]}"
