"""The worker's side of grading: execute one prepared notebook in an isolated kernel, return it.

`run_notebook(job)` needs nothing of the course directory: it gets the notebook and
the limits in `job` and returns the executed notebook. Execution is nbgrader's own
`Execute` preprocessor (so a cell earns what it would under `nbgrader autograde`),
with the kernel started
- inside bubblewrap when it is installed: no network, a read-only view of the
  system, the course's private paths hidden, and a private scratch directory;
- in every case under limits: address space and file size (`prlimit`), wall time
  per cell (nbgrader's timeout) and per notebook, processes, and output size.
A kernel that dies, or is killed for breaking a limit, ends the run: the cells it
did not finish get an error output, so they earn nothing, and the reason is flagged.
"""
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
from jupyter_client import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets.config import Config

LIMITS = {
    "cell_timeout": 30,  # seconds per cell, as nbgrader's Execute.timeout
    "notebook_timeout": 600,  # seconds for the whole notebook
    "memory": 8 * 2**30,  # bytes of address space (torch alone maps about 2 GiB)
    "processes": 64,  # processes the kernel may have below it at once
    "output": 2 * 2**20,  # bytes of output kept for a notebook
    "file_size": 256 * 2**20,  # bytes, the largest file the kernel may write
}
THREAD_VARIABLES = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"]


def sandbox_prefix(scratch, hidden, limits):
    """The command that runs a kernel under the limits, inside bubblewrap when it is installed."""
    prefix = [shutil.which("prlimit") or "prlimit", f"--as={limits['memory']}", f"--fsize={limits['file_size']}",
              f"--nproc={limits['processes'] * 4}", f"--core=0", "--"]
    bwrap = shutil.which("bwrap")
    if bwrap and sys.platform.startswith("linux"):
        prefix += [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--unshare-all", "--die-with-parent",
                   "--unsetenv", "JPY_PARENT_PID"]  # its parent is not visible in the new pid namespace
        for path in hidden:
            if Path(path).is_dir():
                prefix += ["--tmpfs", str(path), "--remount-ro", str(path)]
            elif Path(path).exists():  # an empty read-only file in its place: reads find nothing, writes fail
                empty = scratch.parent / "empty"
                empty.touch()
                prefix += ["--ro-bind", str(empty), str(path)]
        prefix += ["--tmpfs", str(scratch.parent), "--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return prefix


def bubblewrap_available():
    """Whether kernels will run inside bubblewrap here."""
    return bool(shutil.which("bwrap")) and sys.platform.startswith("linux")


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that launches the kernel behind a command prefix, talking over unix sockets."""

    prefix = []

    def format_kernel_cmd(self, extra_arguments=None):
        return self.prefix + super().format_kernel_cmd(extra_arguments)


def descendants(pid):
    """The pids of every process below `pid`, read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class SandboxedExecute(Execute):
    """nbgrader's Execute, in a sandboxed kernel, with per-notebook limits and a record of what went wrong."""

    def __init__(self, scratch, hidden, limits, **kwargs):
        super().__init__(**kwargs)
        self.scratch, self.hidden, self.limits = scratch, hidden, limits
        self.flags, self.output_bytes, self.stopped = [], 0, None

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
        return super().output(outs, msg, display_id, cell_index)

    def watch(self, done):
        """Kill the kernel when the notebook runs out of time or starts too many processes."""
        deadline = time.monotonic() + self.limits["notebook_timeout"]
        while not done.wait(0.25):
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is None:
                continue
            below = descendants(process.pid)
            reason = None
            if time.monotonic() > deadline:
                reason = f"notebook timeout: still running after {self.limits['notebook_timeout']} s"
            elif len(below) > self.limits["processes"]:
                reason = f"process limit: more than {self.limits['processes']} processes"
            if reason:
                self.stopped = reason
                for pid in [process.pid] + below:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                return

    def preprocess(self, nb, resources=None, km=None):
        """Execute cell by cell; if the kernel dies, every cell from there on gets an error output."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        done, current = threading.Event(), -1
        watcher = threading.Thread(target=self.watch, args=(done,), daemon=True)
        try:
            with self.setup_kernel(env=self.kernel_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                watcher.start()
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                for current, cell in enumerate(self.nb.cells):
                    self.preprocess_cell(cell, resources, current)
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as error:
            if current < 0:
                raise RuntimeError(f"the kernel did not start: {error}") from error
            if self.stopped:
                reason = self.stopped
            elif isinstance(error, CellTimeoutError):
                reason = f"cell timeout: cell {current} ran past {self.limits['cell_timeout']} s and did not stop when interrupted"
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
            "CellTimeoutError": f"cell timeout: a cell ran longer than {self.limits['cell_timeout']} s and was interrupted",
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
    """The kernel's environment: grading mode, one thread per library, everything writable in the scratch folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JPY_", "DASK_"))}
    env.update({name: "1" for name in THREAD_VARIABLES})
    env.update(NBGRADER_EXECUTION="autograde", TMPDIR=str(scratch), MPLCONFIGDIR=str(scratch / "mpl"),
               IPYTHONDIR=str(scratch / "ipython"), JUPYTER_RUNTIME_DIR=str(scratch), PYTHONDONTWRITEBYTECODE="1")
    return env


def run_notebook(job):
    """Execute the prepared notebook of one submission; return a plain dict: status, executed notebook, flags, seconds."""
    limits = {**LIMITS, **job.get("limits", {})}
    started = time.perf_counter()
    parent = Path(tempfile.mkdtemp(prefix="lstm-grader-"))
    scratch = parent / "scratch"
    scratch.mkdir()
    result = {"key": job["key"], "flags": [], "status": "graded"}
    try:
        notebook = nbformat.reads(job["notebook"], as_version=4)
        config = Config(job.get("config", {}))
        config.Execute.timeout = limits["cell_timeout"]
        executor = SandboxedExecute(scratch, job.get("hidden", []), limits, config=config,
                                    kernel_manager_class=SandboxedKernelManager)
        executor.kernel_env = kernel_environment(scratch)
        executor.preprocess(notebook, {"metadata": {"path": str(scratch)}})
        result.update(notebook=nbformat.writes(notebook), flags=executor.flags)
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
