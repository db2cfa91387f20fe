"""The worker's side of grading: run one prepared notebook in an isolated kernel, examine its test cells.

`run_notebook(job)` needs nothing of the course directory: it gets the notebook and
the limits in `job` and returns the executed notebook. Execution is nbgrader's own
`Execute` preprocessor, except for the autograded test cells: the examiner runs those
here, in this process, calling the student's functions in the kernel through a pipe
(`examiner.py`), so that no verdict depends on what the student's process says and
no hidden test or reference ever enters it. The kernel starts
- inside bubblewrap when it is installed: no network, a read-only view of the system,
  the course's private paths and the repository's instructor files hidden, its own
  /tmp and scratch directory (its connection file and sockets there, out of other
  kernels' reach);
- in every case under limits: address space and file size (`prlimit`), CPU time per cell
  (nbgrader's timeout, counted in CPU seconds so a busy machine costs nobody points, with
  a wall-clock backstop), wall time per notebook, processes, and output size.
A cell that runs too long is interrupted (the signal goes to the kernel itself, inside the
sandbox) and the rest of the notebook still runs. A kernel that dies, or is killed for
breaking a limit, ends the run: the cells it did not finish get an error output, so they
earn nothing, and the reason is flagged.
"""
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from autograder.instructor.coursedir import grade_id
from autograder.instructor.worker.examiner import Channel, examine

REPO = Path(__file__).resolve().parents[3]
SECRETS = ["autograder/instructor", ".git", "solutions", "tests", "reports", "dist", "source", "release",  # of the repository
           "lstm_from_parts.egg-info", ".pytest_cache", "site"]
KERNEL_VARIABLES = ["PATH", "LANG", "LANGUAGE", "TZ", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHASHSEED",
                    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]  # all the kernel gets of the worker's environment
LIMITS = {  # and "cell_timeout", CPU seconds per cell: the course's Execute.timeout, sent with each job
    "wall_factor": 8,  # a cell is also stopped after this many times cell_timeout in wall-clock seconds
    "notebook_timeout": 900,  # wall-clock seconds for the whole notebook
    "memory": 8 * 2**30,  # bytes of address space (torch alone maps about 2 GiB)
    "processes": 64,  # processes the kernel may have below it at once
    "output": 2 * 2**20,  # bytes of output kept for a notebook
    "file_size": 256 * 2**20,  # bytes, the largest file the kernel may write
}
THREAD_VARIABLES = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"]


@functools.lru_cache(maxsize=None)
def kernel_repository():
    """The repository the kernel's Python imports `autograder` from (with the kernel's environment, not ours)."""
    found = subprocess.run([sys.executable, "-c", "import autograder, pathlib; print(pathlib.Path(autograder.__file__).resolve().parents[1])"],
                           capture_output=True, text=True, cwd="/", env=kernel_environment(Path("/nonexistent")))
    return Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else REPO


def hidden_from_kernel(hidden):
    """Every path the kernel must not see: the course's (from the job) and the repository's instructor files."""
    paths = [Path(path) for path in hidden] + [root / secret for root in {REPO, kernel_repository()} for secret in SECRETS]
    return [path for path in paths if path.exists()]


def sandbox_prefix(scratch, hidden, limits):
    """The command that runs a kernel under the limits, inside bubblewrap when it is installed."""
    prefix = [shutil.which("prlimit") or "prlimit", f"--as={limits['memory']}", f"--fsize={limits['file_size']}",
              f"--nproc={limits['processes'] * 4}", "--core=0", "--"]
    bwrap = shutil.which("bwrap")
    if bwrap and sys.platform.startswith("linux"):
        prefix += [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--unshare-all", "--die-with-parent", "--new-session",
                   "--unsetenv", "JPY_PARENT_PID",  # its parent is not visible in the new pid namespace
                   "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]  # a private /tmp: no other kernel's files or sockets
        for needed in {REPO, kernel_repository(), Path(sys.prefix).resolve()}:  # the course and its Python, even in /tmp
            prefix += ["--ro-bind", str(needed), str(needed)]
        empty = scratch.parent / "empty"
        empty.touch()
        for path in hidden_from_kernel(hidden):
            if path.is_dir():
                prefix += ["--tmpfs", str(path), "--remount-ro", str(path)]
            else:  # an empty read-only file in its place: reads find nothing, writes fail
                prefix += ["--ro-bind", str(empty), str(path)]
        prefix += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return prefix


def bubblewrap_available():
    """Whether kernels will run inside bubblewrap here."""
    return bool(shutil.which("bwrap")) and sys.platform.startswith("linux")


def process_tree(pid):
    """The process and every process below it (psutil), or [] if it is gone."""
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


def kernel_process(pid):
    """The kernel's own Python process below the launcher (prlimit, bubblewrap), or None."""
    for process in process_tree(pid):
        try:
            command = process.cmdline()
            if command and Path(command[0]).name.startswith("python") and any("ipykernel" in part for part in command):
                return process
        except psutil.Error:
            continue
    return None


def cpu_seconds(processes):
    """CPU time used so far by these processes and the children they have waited for."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            continue
    return total


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that launches the kernel behind a command prefix, talking over unix sockets.

    Interrupts go to the kernel's own process: a signal to the launcher never reaches inside the sandbox.
    """

    prefix = []

    def format_kernel_cmd(self, extra_arguments=None):
        return self.prefix + super().format_kernel_cmd(extra_arguments)

    def launcher_pid(self):
        process = getattr(getattr(self, "provisioner", None), "process", None)
        return None if process is None else process.pid

    async def _async_interrupt_kernel(self):
        kernel = kernel_process(self.launcher_pid()) if self.launcher_pid() else None
        if kernel is None:
            return await super()._async_interrupt_kernel()
        with_suppressed(lambda: kernel.send_signal(signal.SIGINT))

    interrupt_kernel = _async_interrupt_kernel


def with_suppressed(action):
    """Run `action`, ignoring a process that has gone."""
    try:
        action()
    except (psutil.Error, OSError):
        pass


class SandboxedExecute(Execute):
    """nbgrader's Execute in a sandboxed kernel, with CPU-time limits, the examiner for test cells, and a record of what went wrong."""

    def __init__(self, scratch, hidden, limits, tests, **kwargs):
        super().__init__(**kwargs)
        self.scratch, self.hidden, self.limits, self.tests = scratch, hidden, limits, tests
        self.flags, self.output_bytes, self.stopped = [], 0, None
        self.cell = None  # (index, CPU seconds at its start, whether it was interrupted)
        self.examiner_seconds = 0.0

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.prefix = sandbox_prefix(self.scratch, self.hidden, self.limits)
        km.transport, km.ip = "ipc", str(self.scratch / "kernel")
        km.connection_file = str(self.scratch / "kernel.json")
        return km

    def output(self, outs, msg, display_id, cell_index):
        """Keep outputs until the notebook's output budget is spent; then drop the rest, once with a note."""
        size = len(json.dumps(msg.get("content", {})))
        self.output_bytes += size
        if self.output_bytes > self.limits["output"]:
            if "output limit" not in " ".join(self.flags):
                self.flags.append(f"output limit: more than {self.limits['output'] // 2**10} KiB of output; the rest was dropped")
                outs.append(nbformat.v4.new_output("stream", name="stderr", text="[grader: output limit reached, the rest is dropped]\n"))
            return None
        try:
            return super().output(outs, msg, display_id, cell_index)
        except nbformat.ValidationError:  # a display of a number as HTML, say: dropped, so that it fails nothing else
            outs.append(nbformat.v4.new_output("stream", name="stderr", text="[grader: an output that is not valid nbformat was dropped]\n"))
            return None

    def kernel_tree(self):
        """The kernel's processes, launcher included."""
        pid = self.km.launcher_pid() if self.km is not None else None
        return process_tree(pid) if pid else []

    def start_cell(self, index):
        """Note where the CPU clock stands as cell `index` starts."""
        self.cell = (index, cpu_seconds(self.kernel_tree()), False)

    def watch(self, done):
        """Interrupt a cell past its CPU time; kill the kernel past the notebook's time, or with too many processes."""
        deadline = time.monotonic() + self.limits["notebook_timeout"]
        interrupted_at = None
        while not done.wait(0.2):
            tree = self.kernel_tree()
            if not tree:
                continue
            reason = None
            if time.monotonic() > deadline:
                reason = f"notebook timeout: still running after {self.limits['notebook_timeout']} s"
            elif len(tree) - 1 > self.limits["processes"]:
                reason = f"process limit: more than {self.limits['processes']} processes"
            elif self.cell is not None:
                index, started, interrupted = self.cell
                used = cpu_seconds(tree) - started
                if not interrupted and used > self.limits["cell_timeout"]:
                    kernel = kernel_process(tree[0].pid)
                    if kernel is not None:
                        with_suppressed(lambda: kernel.send_signal(signal.SIGINT))
                    self.cell, interrupted_at = (index, started, True), time.monotonic()
                    flag = f"cell timeout: a cell used more than {self.limits['cell_timeout']} s of CPU and was interrupted"
                    if flag not in self.flags:
                        self.flags.append(flag)
                elif interrupted and time.monotonic() - interrupted_at > 15 and used > self.limits["cell_timeout"] + 10:
                    reason = f"cell timeout: cell {index} did not stop when interrupted"
            if reason:
                self.stopped = reason
                for process in tree:
                    with_suppressed(process.kill)
                return

    def preprocess_cell(self, cell, resources, index):
        """Run a cell in the kernel; a test cell is examined here instead."""
        self.start_cell(index)
        name = grade_id(cell)
        if cell.cell_type == "code" and name in self.tests:
            started = time.perf_counter()
            outputs = examine(self.tests[name], self.channel, label=f"test cell {name}")
            self.examiner_seconds += time.perf_counter() - started
            cell.outputs = [nbformat.from_dict(output) for output in outputs]
            cell.execution_count = None
            if self.stopped:
                raise DeadKernelError(self.stopped)
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

    def alive(self):
        """Whether the kernel's process still runs."""
        pid = self.km.launcher_pid() if self.km is not None else None
        return bool(pid) and psutil.pid_exists(pid) and self.stopped is None

    def preprocess(self, nb, resources=None, km=None):
        """Execute cell by cell; if the kernel dies, every cell from there on gets an error output."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        done, current = threading.Event(), -1
        watcher = threading.Thread(target=self.watch, args=(done,), daemon=True)
        self.channel = None
        try:
            with self.setup_kernel(env=self.kernel_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                watcher.start()
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                patience = self.limits["cell_timeout"] * self.limits["wall_factor"]
                self.channel = Channel(self.km.get_connection_info(), patience, self.alive)
                try:
                    for current, cell in enumerate(self.nb.cells):
                        self.preprocess_cell(cell, resources, current)
                finally:
                    self.channel.close()
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as error:
            if current < 0:
                raise RuntimeError(f"the kernel did not start: {error}") from error
            if self.stopped:
                reason = self.stopped
            elif isinstance(error, CellTimeoutError):
                reason = f"cell timeout: cell {current} ran past its time and did not stop when interrupted"
            else:
                reason = f"kernel died: the kernel stopped while running cell {current} (os._exit, a crash, or killed)"
            self.flags.append(reason)
            for index, cell in enumerate(self.nb.cells[current:], start=current):
                if cell.cell_type == "code":
                    text = reason if index == current else f"not run: {reason.split(':')[0]} in cell {current}"
                    cell.outputs.append(NotebookNode(output_type="error", ename="GraderStopped", evalue=text,
                                                     traceback=[f"GraderStopped: {text}"]))
        finally:
            done.set()
        self.flag_errors()
        return self.nb, self.resources

    def flag_errors(self):
        """Flag the errors that mean a limit or the sandbox stopped something, once each."""
        said = {
            "CellTimeoutError": f"cell timeout: a cell ran longer than {self.limits['cell_timeout'] * self.limits['wall_factor']} s "
                                "of wall-clock time and was interrupted",
            "MemoryError": f"memory limit: a cell ran out of its {self.limits['memory'] / 2**30:g} GiB",
            "Read-only file system": "write outside its scratch folder: the sandbox refused it (read-only file system)",
        }
        for cell in self.nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") != "error":
                    continue
                for key, flag in said.items():
                    if key in f"{output.get('ename')}: {output.get('evalue')}" and flag not in self.flags:
                        self.flags.append(flag)


def kernel_environment(scratch):
    """The kernel's environment: an allow-list of the worker's (no tokens), grading mode, one thread, a writable scratch folder."""
    env = {key: value for key, value in os.environ.items() if key in KERNEL_VARIABLES or key.startswith("LC_")}
    env.update({name: "1" for name in THREAD_VARIABLES})
    env.update(NBGRADER_EXECUTION="autograde", HOME=str(scratch), TMPDIR=str(scratch), MPLCONFIGDIR=str(scratch / "mpl"),
               IPYTHONDIR=str(scratch / "ipython"), JUPYTER_RUNTIME_DIR=str(scratch), PYTHONDONTWRITEBYTECODE="1")
    return env


def run_notebook(job):
    """Execute the prepared notebook of one submission; return a plain dict: status, executed notebook, flags, seconds."""
    limits = {**LIMITS, **job.get("limits", {})}
    started = time.perf_counter()
    # under /tmp, which every sandbox replaces with its own: no kernel can see another's folder, whatever TMPDIR says
    parent = Path(tempfile.mkdtemp(prefix="lstm-grader-", dir="/tmp" if bubblewrap_available() else None))
    scratch = parent / "scratch"
    scratch.mkdir()
    result = {"key": job["key"], "flags": [], "status": "graded"}
    try:
        notebook = nbformat.reads(job["notebook"], as_version=4)
        config = Config(job.get("config", {}))
        config.Execute.timeout = limits["cell_timeout"] * limits["wall_factor"]
        executor = SandboxedExecute(scratch, job.get("hidden", []), limits, job.get("tests", {}), config=config,
                                    kernel_manager_class=SandboxedKernelManager)
        executor.kernel_env = kernel_environment(scratch)
        executor.preprocess(notebook, {"metadata": {"path": str(scratch)}})
        result.update(notebook=nbformat.writes(notebook), flags=executor.flags, examiner_seconds=executor.examiner_seconds)
        try:
            from distributed import get_worker

            result["worker"] = get_worker().name
        except (ImportError, ValueError):
            pass
    except Exception as error:  # the infrastructure failed, not the student: report it, grade nothing
        result.update(status="failed", error=f"{type(error).__name__}: {error}")
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    result["seconds"] = time.perf_counter() - started
    return result
