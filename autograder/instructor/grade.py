"""`make grade`: grade every collected submission of a course, in parallel, safely, resumably.

Run from an nbgrader course directory (or pass --course). The coordinator reads the
submissions, prepares each notebook with nbgrader's own sanitizing preprocessors
(hidden tests restored from the gradebook), and hands it to a worker through Dask:
a local cluster by default, or the scheduler at --scheduler. A worker only executes
(`sandbox.run_notebook`) and returns the notebook; the coordinator alone writes the
gradebook, with nbgrader's own SaveAutoGrades, so that formgrader, `generate_feedback`
and `export` work as usual and every cell earns what `nbgrader autograde` gives it.

What stock nbgrader would stop on or silently score is caught and flagged instead:
a corrupt, empty or misnamed notebook, deleted, duplicated or retyped graded cells,
and code that reaches for the checks, numpy's internals, the reference or the
gradebook. A flagged cell is replaced before grading, so a cheat earns nothing.
A finished submission is marked in its autograded folder; a run that is interrupted
loses nothing, and the next run grades only what is missing.
"""
import argparse
import ast
import html
import hashlib
import json
import logging
import re
import shutil
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import nbformat
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from tqdm.auto import tqdm
from traitlets.utils.importstring import import_item

from autograder.instructor.coursedir import MARKER, autograded_maxima, folder, grade_id, load_course
from autograder.instructor.worker.sandbox import LIMITS, REPO, bubblewrap_available, run_notebook



def autograde_steps(config):
    """nbgrader's Autograde preprocessors as the course configures them: (sanitizing, before execution, after execution).

    The worker executes the notebook where nbgrader's Execute stands in the list; the rest run here, as nbgrader runs them.
    """
    chosen = {}
    for name in ["sanitize_preprocessors", "autograde_preprocessors"]:
        given = config.Autograde.get(name) if config is not None and "Autograde" in config else None
        steps = given if given is not None else Autograde.class_traits()[name].default()
        chosen[name] = [import_item(step) if isinstance(step, str) else step for step in steps]
    steps = chosen["autograde_preprocessors"]
    at = next((k for k, step in enumerate(steps) if issubclass(step, Execute)), None)
    before, after = (steps[:at], steps[at + 1:]) if at is not None else ([], steps)
    return chosen["sanitize_preprocessors"], before, after


def execute_settings(config):
    """The course's Execute settings that can travel to a worker: {'Execute': {...}}, the timeout and kernel arguments among them."""
    given = config.Execute if config is not None and "Execute" in config else {}
    plain = {key: value for key, value in given.items() if isinstance(value, (bool, int, float, str, list, dict, type(None)))}
    return {"Execute": plain}
SOURCE_LIMIT = 100_000  # characters of a submitted cell's source; the rest is cut, as outputs are capped


def collected(coursedir, lessons):
    """[(student, lesson)] for every submission of the chosen lessons (all of the gradebook's if None)."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        known = [assignment.name for assignment in gradebook.assignments]
    chosen = [lesson for lesson in (lessons or known) if lesson in known]
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    return [(student.name, lesson) for student in sorted(submitted.iterdir()) if student.is_dir()
            for lesson in chosen if (student / lesson).is_dir()]


def fingerprint(path):
    """A hash of everything in a submission folder: a re-submission is graded again."""
    digest = hashlib.sha256()
    for file in sorted(p for p in Path(path).rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def already_graded(coursedir, student, lesson):
    """Whether this exact submission was graded to the end by an earlier run."""
    marker = folder(coursedir, "autograded", student, lesson) / MARKER
    if not marker.exists():
        return False
    return json.loads(marker.read_text()).get("fingerprint") == fingerprint(folder(coursedir, "submitted", student, lesson))


# What a student's own code may not do, found by reading it (the sandbox stops what reading misses).
INTERPRETER = {"__builtins__": "the interpreter's builtins", "builtins": "the interpreter's builtins",
               "sys.modules": "the module table", "_getframe": "the call stack", "gc": "the garbage collector's objects",
               "ctypes": "raw memory", "__import__": "hidden imports", "importlib": "hidden imports",
               "get_ipython": "the notebook's kernel", "__code__": "compiled code"}
COURSE_FILES = ["gradebook", "submitted", "autograded", "nbgrader", "solutions", "release"]


def dotted(node):
    """'np.linalg.norm' for an attribute chain, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id] + parts[::-1]) if isinstance(node, ast.Name) else None


def imported_names(notebook):
    """Names bound by imports anywhere in the notebook: modules, and functions such as the checks."""
    names = set()
    for cell in notebook.cells:
        try:
            tree = ast.parse(cell.source) if cell.cell_type == "code" else None
        except SyntaxError:
            continue
        for node in ast.walk(tree) if tree else []:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def cheats(source, imported):
    """Reasons this cell's code reaches for what grading depends on; empty if none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            if any(module.startswith("autograder.instructor") for module in modules):
                found.append("imports autograder.instructor, the instructor's reference and hidden checks")
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        while any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):  # a, np.x = ...
            targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else
                                                      [t.value] if isinstance(t, ast.Starred) else [t])]
        for target in targets:
            name = dotted(target) if isinstance(target, ast.Attribute) else None
            if name and name.split(".")[0] in imported:
                found.append(f"replaces {name}, part of a module the checks use")
            if isinstance(target, ast.Name) and target.id in imported and target.id.startswith(("check_", "compare_")):
                found.append(f"redefines the check {target.id}")
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("check_", "compare_")) and node.name in imported:
            found.append(f"redefines the check {node.name}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr", "vars"):
            if node.args and (dotted(node.args[0]) or "").split(".")[0] in imported:
                found.append(f"changes a module the checks use through {node.func.id}()")
        name = dotted(node) if isinstance(node, (ast.Attribute, ast.Name)) else None
        for key, what in INTERPRETER.items():
            if name and (name == key or name.endswith("." + key) or name.startswith(key + ".")):
                found.append(f"reaches into {what} ({name})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(word in node.value for word in COURSE_FILES):
                found.append(f"refers to the course's files ({node.value[:40]!r})")
    return sorted(set(found))


def is_test_cell(cell):
    """An autograded test cell: restored from the gradebook, so not the student's code."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def trusted_tests(coursedir, lesson, name):
    """{grade_id: source} of the notebook's autograded test cells, hidden tests included, from the gradebook."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        notebook = gradebook.find_notebook(name, lesson)
        graded = autograded_maxima(notebook)
        return {cell.name: cell.source for cell in notebook.source_cells if cell.name in graded}


def restore_deleted_cells(notebook, released):
    """Put back graded and solution cells a student deleted, from the released notebook; return what was restored."""
    present = {grade_id(cell) for cell in notebook.cells}
    restored, position = [], 0
    for cell in released.cells:
        name = grade_id(cell)
        if not name:
            continue
        if name in present:
            position = next(k for k, c in enumerate(notebook.cells) if grade_id(c) == name) + 1
        else:
            notebook.cells.insert(position, cell)
            restored.append(name)
            position += 1
    return restored


def resources(coursedir, student, lesson, name):
    """What nbgrader's preprocessors read: which notebook of whom, and where the gradebook is."""
    return {"unique_key": name, "nbgrader": {"student": student, "assignment": lesson, "notebook": name,
                                             "db_url": coursedir.db_url}}


def find_notebook(submitted, name, expected_count):
    """(path, flags) of the submitted notebook `name`, accepting one misnamed notebook when only one is expected."""
    path = submitted / f"{name}.ipynb"
    if path.exists():
        return path, []
    others = sorted(p for p in submitted.glob("*.ipynb") if not p.name.startswith("."))
    if expected_count == 1 and len(others) == 1:
        return others[0], [f"misnamed notebook: graded {others[0].name} as {name}.ipynb"]
    return None, [f"missing notebook: no {name}.ipynb was submitted"]


def prepare(coursedir, config, student, lesson, name, expected_count):
    """The sanitized notebook to execute (or None if there is nothing to grade) and the flags raised on the way."""
    submitted = folder(coursedir, "submitted", student, lesson)
    path, flags = find_notebook(submitted, name, expected_count)
    if path is None:
        return None, flags
    try:
        # lenient, like nbgrader: a small schema slip is still graded
        notebook = nbformat.reads(encodable(path.read_bytes().decode("utf-8", "replace")), as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("it has no cells")
    except Exception as error:
        return None, flags + [f"unreadable notebook: {path.name} is not a valid notebook ({type(error).__name__}: {str(error)[:160]})"]
    released = nbformat.read(str(folder(coursedir, "release", ".", lesson) / f"{name}.ipynb"), as_version=4)
    flags += cap_sources(notebook) + forget_unknown_grade_cells(notebook, released)
    ids = [grade_id(cell) for cell in notebook.cells]
    duplicated = sorted({i for i in ids if i and ids.count(i) > 1})
    if duplicated:
        flags.append(f"duplicated graded cells: {', '.join(duplicated)} (the first copy is graded)")
        seen = set()
        for cell in notebook.cells:  # later copies become plain cells (nbgrader's DeduplicateIds leaves them invalid)
            cell_id = grade_id(cell)
            if cell_id and cell_id in seen:
                del cell.metadata["nbgrader"]
            seen.add(cell_id)
    types = {grade_id(c): c.cell_type for c in released.cells if grade_id(c)}
    retyped = sorted({i for i, c in zip(ids, notebook.cells) if i in types and c.cell_type != types[i]})
    if retyped:
        flags.append(f"retyped graded cells: {', '.join(retyped)} (set back)")
        for cell in notebook.cells:  # set back here: nbgrader's OverwriteCells would add an id a 4.4 notebook may not have
            wanted = types.get(grade_id(cell), cell.cell_type)
            if cell.cell_type != wanted:
                cell.cell_type = wanted
                if wanted == "code":
                    cell.outputs, cell.execution_count = [], None
                else:
                    cell.pop("outputs", None), cell.pop("execution_count", None)
    restored = restore_deleted_cells(notebook, released)
    if restored:
        flags.append(f"deleted graded cells: {', '.join(restored)} (restored from the release)")
    found = resources(coursedir, student, lesson, name)
    sanitizing, before, _ = autograde_steps(config)
    for preprocessor in sanitizing + before:
        notebook, found = preprocessor(config=config)(notebook, found)
    imported = imported_names(notebook)
    for index, cell in enumerate(notebook.cells):  # a courtesy to the instructor: the examiner's verdicts need no scan
        reasons = cheats(cell.source, imported) if cell.cell_type == "code" and not is_test_cell(cell) else []
        if reasons:
            where = grade_id(cell) or f"cell {index}"
            flags.append(f"suspicious {where}: it {'; '.join(reasons)}")
    return notebook, flags


def cap_sources(notebook):
    """Cut every cell's source to SOURCE_LIMIT characters; return the flags."""
    flags = []
    for index, cell in enumerate(notebook.cells):
        if isinstance(cell.get("source"), str) and len(cell.source) > SOURCE_LIMIT:
            flags.append(f"source limit: cell {index} has {len(cell.source)} characters; the grader kept the first {SOURCE_LIMIT}")
            cell.source = cell.source[:SOURCE_LIMIT]
    return flags


def forget_unknown_grade_cells(notebook, released):
    """Cells that claim nbgrader metadata the release does not have become plain cells; return the flags."""
    known = {grade_id(cell) for cell in released.cells} - {None}
    flags = []
    for index, cell in enumerate(notebook.cells):
        if "nbgrader" in cell.metadata and grade_id(cell) not in known:
            flags.append(f"unknown graded cell: cell {index} claims grade_id {str(grade_id(cell))[:60]!r}, graded as a plain cell")
            del cell.metadata["nbgrader"]
    return flags


def zero_notebook(coursedir, student, lesson, name):
    """Score a notebook that cannot be graded 0, as stock nbgrader does for a missing one."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for grade in gradebook.find_submission_notebook(name, lesson, student).grades:
            grade.auto_score, grade.needs_manual_grade = 0, False
        gradebook.db.commit()


def open_submission(coursedir, student, lesson):
    """Create the student and the submission in the gradebook, with its timestamp; return the notebook names."""
    timestamp = coursedir.get_existing_timestamp(str(folder(coursedir, "submitted", student, lesson)))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(lesson, student, **({"timestamp": timestamp} if timestamp else {}))
        return [notebook.name for notebook in gradebook.find_assignment(lesson).notebooks]


SCRIPT_URL = re.compile(r"(javascript|vbscript):|data:text", re.I)


def make_inert(notebook, released):
    """No live script from a submission: outputs sanitized always, markdown the release does not have sanitized too.

    Markdown that names a script URL scheme, however it is spelled (entities, spaces, case), is shown as plain text.
    """
    sanitizer = SanitizeHTML()
    instructors = {cell.source for cell in released.cells if cell.cell_type == "markdown"}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and cell.source in instructors:
            continue
        original = cell.get("source", "")
        sanitizer.preprocess_cell(cell, {}, index)
        if cell.cell_type != "code" and SCRIPT_URL.search(re.sub(r"[\s\x00-\x1f]+", "", html.unescape(original))):
            cell.source = "<pre>" + escaped(original).replace("\n", "&#10;") + "</pre>"
    return notebook


def escaped(text):
    """Student-supplied text, safe to put in markdown or HTML: tags, entities and link syntax shown as text."""
    return html.escape(str(text)).replace("[", "&#91;").replace("]", "&#93;").replace("`", "&#96;").replace("$", "&#36;")


def encodable(text):
    """Notebook JSON with any lone surrogate replaced, so that it can be written as UTF-8 (and into the gradebook)."""
    return text.encode("utf-8", "replace").decode("utf-8")


def save(coursedir, config, student, lesson, name, executed, flags):
    """Score the executed notebook into the gradebook with nbgrader's own preprocessors, and write it out, inert."""
    notebook = nbformat.reads(encodable(executed), as_version=4)
    found = resources(coursedir, student, lesson, name)
    for preprocessor in autograde_steps(config)[2]:
        notebook, found = preprocessor(config=config)(notebook, found)
    make_inert(notebook, nbformat.read(str(folder(coursedir, "release", ".", lesson) / f"{name}.ipynb"), as_version=4))
    if flags:
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            "**Flagged by the grader** for your instructor:\n\n" + "\n".join(f"- {escaped(flag)}" for flag in flags)))
    out = folder(coursedir, "autograded", student, lesson)
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(out / f"{name}.ipynb"))


def finish(coursedir, student, lesson, record):
    """Copy the submission's other files (its timestamp) and write the marker: this submission is done."""
    submitted, out = folder(coursedir, "submitted", student, lesson), folder(coursedir, "autograded", student, lesson)
    out.mkdir(parents=True, exist_ok=True)
    for file in submitted.iterdir():
        if file.is_file() and file.suffix != ".ipynb":
            shutil.copy(file, out / file.name)
    record["fingerprint"] = fingerprint(submitted)
    (out / MARKER).write_text(json.dumps(record, indent=1))


def hidden_paths(coursedir):
    """What a student's kernel must not see of the course: all of it, or, if the course holds this repository, its folders."""
    root = Path(coursedir.root).resolve()
    if root not in [REPO, *REPO.parents]:
        return [str(root)]
    paths = [Path(coursedir.db_url.replace("sqlite:///", ""))]  # the gradebook, the one file
    paths += [root / getattr(coursedir, f"{kind}_directory") for kind in ["source", "submitted", "autograded", "feedback"]]
    return [str(path) for path in paths + [root / "reports"]]


def timed_out_by_the_clock(result):
    """Whether a limit in wall-clock time (not CPU time) stopped something in this notebook."""
    return any("wall-clock" in flag or "notebook timeout" in flag for flag in result["flags"])


def patient(job):
    """The same job with four times the wall-clock limits."""
    limits = {**LIMITS, **job["limits"]}
    return {**job, "limits": {**limits, "wall_factor": limits["wall_factor"] * 4, "notebook_timeout": limits["notebook_timeout"] * 4}}


def start_client(scheduler, workers):
    """A Dask client: on the scheduler given, or on a local cluster of `workers` single-threaded processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def grade(root=".", lessons=None, scheduler=None, workers=2, force=False, limits=None, progress=True):
    """Grade every collected submission not yet graded; return the run's summary (see `summarise`)."""
    started = time.perf_counter()
    warnings.filterwarnings("ignore", message=".*not in session")  # nbgrader's own SQLAlchemy chatter
    config, coursedir = load_course(root)
    submissions = collected(coursedir, lessons)
    todo = [(s, l) for s, l in submissions if force or not already_graded(coursedir, s, l)]
    gradebook = coursedir.db_url.replace("sqlite:///", "")
    for path in hidden_paths(coursedir):  # a folder made later (autograded/) could not be hidden from kernels
        if path != gradebook:
            Path(path).mkdir(parents=True, exist_ok=True)
    jobs, records, notebook_flags = [], {}, {}
    execution = execute_settings(config)
    cell_timeout = int(execution["Execute"].get("timeout") or Execute.class_traits()["timeout"].default())
    for student, lesson in todo:
        names = open_submission(coursedir, student, lesson)
        record = records[student, lesson] = {"student": student, "lesson": lesson, "flags": [], "status": "graded",
                                             "waiting": len(names), "seconds": 0.0}
        for name in names:
            try:
                notebook, flags = prepare(coursedir, config, student, lesson, name, len(names))
            except Exception as error:  # whatever nbgrader's sanitizing refuses is graded 0 and flagged, never fatal
                notebook, flags = None, [f"unusable notebook: {type(error).__name__}: {str(error)[:200]}"]
            record["flags"] += flags
            notebook_flags[student, lesson, name] = flags
            if notebook is None:
                zero_notebook(coursedir, student, lesson, name)
                record["waiting"] -= 1
            else:
                jobs.append({"key": (student, lesson, name), "notebook": nbformat.writes(notebook), "config": execution,
                             "tests": trusted_tests(coursedir, lesson, name), "hidden": hidden_paths(coursedir),
                             "limits": {"cell_timeout": cell_timeout, **(limits or {})}})
    for (student, lesson), record in records.items():
        if record["waiting"] == 0:
            finish(coursedir, student, lesson, record)
    bar = tqdm(total=len(jobs), desc="grading", unit="notebook", disable=not progress, file=sys.stdout)
    counts = Counter()
    client = cluster = None
    try:
        if jobs:
            from distributed import as_completed

            client, cluster = start_client(scheduler, workers)
            by_key = {tuple(job["key"]): job for job in jobs}
            running = as_completed([client.submit(run_notebook, job, pure=False) for job in jobs])
            for future in running:
                result = future.result()
                student, lesson, name = result["key"]
                record = records[student, lesson]
                record["seconds"] += result["seconds"]
                record["examiner seconds"] = record.get("examiner seconds", 0.0) + result.get("examiner_seconds", 0.0)
                record["worker"] = result.get("worker")
                if result["status"] == "graded" and timed_out_by_the_clock(result) and not record.get("retried"):
                    record["retried"] = True  # a busy machine must not cost points: once more, with more patience
                    running.add(client.submit(run_notebook, patient(by_key[tuple(result["key"])]), pure=False))
                    continue
                if result["status"] == "graded":
                    record["flags"] += result["flags"]
                    try:
                        save(coursedir, config, student, lesson, name, result["notebook"],
                             notebook_flags[student, lesson, name] + result["flags"])
                    except Exception as error:  # nbgrader refused what the kernel left: this one fails, the batch goes on
                        record["status"], record["error"] = "failed", f"saving the grades: {type(error).__name__}: {str(error)[:300]}"
                else:
                    record["status"], record["error"] = "failed", result["error"]
                record["waiting"] -= 1
                if record["waiting"] == 0 and record["status"] == "graded":
                    finish(coursedir, student, lesson, record)
                counts[record["status"]] += 1
                bar.set_postfix(counts, refresh=False)
                bar.update()
    finally:
        bar.close()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    return summarise(list(records.values()), len(submissions) - len(todo), time.perf_counter() - started)


def summarise(records, skipped, seconds):
    """Counts of the run, and every flagged or failed submission with its reasons."""
    return {
        "graded": sum(r["status"] == "graded" for r in records),
        "failed": sum(r["status"] == "failed" for r in records),
        "timed out": sum(any("timeout" in flag for flag in r["flags"]) for r in records),
        "flagged": sum(bool(r["flags"]) for r in records),
        "retried": sum(bool(r.get("retried")) for r in records),
        "already graded": skipped,
        "seconds": seconds,
        "records": records,
    }


def print_summary(summary, out=None):
    """The end-of-run summary an instructor reads."""
    out = out or sys.stdout
    print(f"graded {summary['graded']}, failed {summary['failed']}, timed out {summary['timed out']}, "
          f"flagged {summary['flagged']}, retried {summary['retried']} (already graded before this run: {summary['already graded']}) "
          f"in {summary['seconds']:.0f} s", file=out)
    for record in summary["records"]:
        if record["status"] == "failed":
            print(f"  FAILED  {record['student']} / {record['lesson']}: {record.get('error')} (run again to retry)", file=out)
        if record.get("retried"):
            print(f"  retried {record['student']} / {record['lesson']}: a wall-clock limit stopped it, so it was graded "
                  "again with more time", file=out)
        for flag in record["flags"]:
            print(f"  flagged {record['student']} / {record['lesson']}: {flag}", file=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lessons to grade (default: every lesson in the gradebook)")
    parser.add_argument("--course", default=".", help="the nbgrader course directory (default: here)")
    parser.add_argument("--scheduler", help="address of a Dask scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default: 2)")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    parser.add_argument("--report", action="store_true", help="also write the instructor's HTML report")
    args = parser.parse_args(argv)
    if not bubblewrap_available():
        print("warning: bubblewrap (bwrap) is not installed. The examiner's verdicts still hold: student code cannot earn "
              "points for a wrong answer by tampering with its kernel. But kernels run with resource limits only, not "
              "isolated: student code can read this machine's files (the reference, the solutions, the gradebook, other "
              "submissions) and reach other students' kernels. Grade untrusted classes on Linux with bubblewrap "
              "(apt-get install bubblewrap).", file=sys.stderr)
    summary = grade(args.course, args.lessons or None, args.scheduler, args.workers, args.force)
    print_summary(summary)
    if args.report:
        from autograder.instructor.report import write_report

        print(f"report: {write_report(args.course, summary)}")
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
