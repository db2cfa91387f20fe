"""`make site`: the course as a static HTML site in `site/`, built with Sphinx, myst-nb and sphinx-book-theme.

Each lesson's page is the student's notebook as a learner meets it: the released sources (exercise
stubs, the visible part of the test cells) with the outputs a right solution produces. To get them,
the solution answers are filled into the released notebook and run in the lesson's folder, outside
grading mode (without NBGRADER_EXECUTION, so experiments run in full and figures are drawn); then
every cell gets its released source back and keeps its outputs. These prepared notebooks, the home
page and "Running the course yourself" (both taken from README.md) and the Sphinx configuration
(`site_src/conf.py`) go into a build folder, and Sphinx reads them there with execution off.
MathJax is served from the site itself (the django-static-mathjax wheel's copy): nothing is fetched,
at build time or by the reader's browser.
"""
import argparse
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.instructor.course import REPO, fill, read_notebook, solution_answers, tool_environment
from autograder.instructor.lessons import names

SITE_SRC = REPO / "site_src"        # conf.py: the one hand-written part of the site
BUILD = REPO / "build" / "site"     # Sphinx's work: src/ (prepared notebooks, pages), doctrees, html (git-ignored)
OUTPUT = REPO / "site"              # the HTML (git-ignored)
WIDGET = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT = 600                  # seconds: the experiments run in full here
# MathJax 3's browser build and what it loads next to itself (fonts, TeX extensions, menu, accessibility).
MATHJAX_PARTS = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"]


def released_path(lesson):
    return REPO / "lessons" / lesson / f"{lesson}.ipynb"


def kernel_environment():
    """The kernels' environment: never grading mode (experiments in full, figures drawn), one thread each (they run side by side)."""
    environment = tool_environment()
    environment.pop("NBGRADER_EXECUTION", None)
    return environment


def prepare(lesson):
    """A lesson's released notebook with the outputs of a right solution: run filled, then shown with the released sources."""
    released = read_notebook(released_path(lesson))
    notebook = fill(released, solution_answers(lesson))
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",  # in the lesson's folder, so assets resolve
                   resources={"metadata": {"path": str(released_path(lesson).parent)}}).execute(env=kernel_environment())
    for shown, run in zip(released.cells, notebook.cells, strict=True):
        run.source = shown.source  # the stub, and the test cell as released; the outputs stay
        if run.cell_type == "code":  # progress bars are live widgets: on a static page they need a CDN and show 0%
            run.outputs = [output for output in run.outputs if WIDGET not in output.get("data", {})]
    notebook.metadata.pop("widgets", None)
    return notebook


def section(markdown, heading):
    """The body of the `## heading` section of a markdown text, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, flags=re.M | re.S)
    if not match:
        raise ValueError(f"README.md has no section '## {heading}'")
    return match.group(1).strip()


def home_page(readme):
    """README's title, introduction and table of lessons (its links name the notebooks, which the site has at the same paths)."""
    intro = readme.split("\n## ", 1)[0].strip()
    toctree = "\n".join(["", "```{toctree}", ":maxdepth: 1", ":caption: Lessons", ":hidden:", "",
                         *[f"lessons/{lesson}/{lesson}" for lesson in names()], "```", "",
                         "```{toctree}", ":maxdepth: 1", ":hidden:", "", "running", "```", ""])
    return f"{intro}\n\nHow to run the notebooks on your own machine: [Running the course yourself](running.md).\n{toctree}"


def running_page(readme):
    """README's quick start and its advice for self-learners, with the commands a learner needs."""
    quick = section(readme, "Quick start")
    start, table = quick.split("| command |", 1)
    rows = ("| command |" + table).split("\n")
    wanted = [row for row in rows[2:] if row.startswith(("| `make lab`", "| `make check"))]
    learner_table = "\n".join(rows[:2] + wanted)
    rest = [line for line in ("| command |" + table).split("\n") if not line.startswith("|")]
    return "\n\n".join(["# Running the course yourself", start.strip(), learner_table,
                        "\n".join(rest).strip(), "## For self-learners", section(readme, "For self-learners")]) + "\n"


def mathjax_folder():
    """The folder of MathJax 3's browser build, as the django-static-mathjax package installs it."""
    import mathjax  # django-static-mathjax: MathJax's files, and no Django

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def write_sources(build, notebooks):
    """Lay out what Sphinx reads: the configuration, the pages, the notebooks and the local MathJax."""
    build.mkdir(parents=True)
    shutil.copy(SITE_SRC / "conf.py", build / "conf.py")
    readme = (REPO / "README.md").read_text()
    (build / "index.md").write_text(home_page(readme))
    (build / "running.md").write_text(running_page(readme))
    for lesson, notebook in notebooks.items():
        folder = build / "lessons" / lesson
        folder.mkdir(parents=True)
        nbformat.write(notebook, str(folder / f"{lesson}.ipynb"))
    source = mathjax_folder()
    for part in MATHJAX_PARTS:
        target = build / "_static" / "mathjax" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (source / part).is_dir() else shutil.copy)(source / part, target)
    shutil.copy(source.parent / "LICENSE", build / "_static" / "mathjax" / "LICENSE")  # Apache-2.0: it travels with the copy


def build_site(output=OUTPUT, build=BUILD, lessons=None, workers=2):
    """Execute every lesson, write the sources, run Sphinx; return the folder of the HTML."""
    lessons = list(lessons or names())
    slowest_first = sorted(lessons, reverse=True)  # the later lessons train networks
    with ThreadPoolExecutor(workers) as pool:
        prepared = dict(zip(slowest_first, pool.map(prepare, slowest_first)))
    build = Path(build)
    if build.exists():
        shutil.rmtree(build)
    write_sources(build / "src", {lesson: prepared[lesson] for lesson in lessons})
    from sphinx.cmd.build import build_main

    # Sphinx writes into the build folder (myst-nb keeps its images beside the output: build/jupyter_execute), then the HTML moves.
    status = build_main(["-b", "html", "-q", "-W", "--keep-going", "-j", "auto",
                         "-d", str(build / "doctrees"), str(build / "src"), str(build / "html")])
    if status:
        raise RuntimeError(f"sphinx-build failed with status {status}")
    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    shutil.move(build / "html", output)
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=str(OUTPUT))
    parser.add_argument("--workers", type=int, default=2, help="notebooks executed side by side")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    output = build_site(args.output, workers=args.workers)
    pages = [page for page in output.rglob("*.html") if "_static" not in page.relative_to(output).parts]
    print(f"Built {output} in {time.perf_counter() - start:.0f} s: {len(pages)} pages "
          f"({len(names())} lessons, home, running the course, search, general index).", file=sys.stderr)


if __name__ == "__main__":
    main()
