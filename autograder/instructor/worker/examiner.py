"""The examiner: runs each test cell here, in the worker, and decides its points.

The student's kernel only runs the notebook's other cells. When a test cell comes, the
examiner runs its source (visible and hidden checks) in this process, with
each learner's name the cell uses replaced by a `Learner`: calling it sends the arguments
through the kernel's stdin channel to `autograder.agent` and brings back the answer, as plain
data (`autograder.wire`). The expected values are computed here and never enter the kernel;
whatever the kernel says is only the student's answer. The cell's outcome (what the checks
printed, or their error) becomes the cell's outputs, which nbgrader's SaveAutoGrades scores.
"""
import ast
import builtins
import contextlib
import functools
import io
import queue
import time
import warnings

import sys

import numpy as np
from jupyter_client import BlockingKernelClient

from autograder import wire
from autograder.checking import Forbidden

START_AGENT = "import autograder.agent\nautograder.agent.serve()"
KERNEL_OUTPUT_LIMIT = 64 * 2**10  # characters of what the learner's code prints during one test cell


class KernelSilent(Exception):
    """The kernel stopped answering: it died, was stopped, or its agent is gone."""


def exception_class(type_name):
    """An exception class of the learner's error's name, always a plain Exception here."""
    found = getattr(builtins, type_name, None)
    if isinstance(found, type) and issubclass(found, Exception) and not issubclass(found, Warning):
        return found
    name = type_name if type_name.isidentifier() and len(type_name) < 60 else "Error"
    return type(name, (Exception,), {})


class Channel:
    """The pipe to one kernel's agent, over the kernel's own channels."""

    def __init__(self, connection_info, patience, alive=lambda: True):
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection_info)
        self.client.start_channels()
        self.patience, self.alive = patience, alive
        self.callbacks, self.printed, self.msg_id, self.done = {}, [], None, False

    def close(self):
        self.client.stop_channels()

    def stash(self, value):
        """Examiner values that cannot cross: a function becomes a callback, anything else is refused."""
        if callable(value):
            number = len(self.callbacks) + 1
            self.callbacks[number] = value
            return {"__callback__": number}
        raise wire.WireError(f"a {type(value).__name__} cannot be sent to the kernel")

    def unstash(self, obj):
        """A handle from the kernel."""
        if isinstance(obj.get("__handle__"), int):
            return wire.Handle(obj["__handle__"], obj.get("type", "object"))
        raise wire.WireError("unexpected reference from the kernel")

    def decode(self, obj):
        """A value from the kernel: plain data and handles only (no module is built from the kernel's word)."""
        return wire.decode(obj, self.unstash, modules=False)

    @contextlib.contextmanager
    def session(self):
        """Start the agent for one test cell, and stop it after."""
        self.callbacks, self.printed, self.done = {}, [], False
        self.msg_id = self.client.execute(START_AGENT, silent=True, store_history=False, allow_stdin=True)
        try:
            if not self.receive().get("ready"):
                raise KernelSilent("the kernel's agent did not start")
            yield self
        finally:
            self.end()

    def end(self):
        """Tell the agent it is done and wait, briefly, for the kernel to finish the execution."""
        if self.msg_id is None:
            return
        with contextlib.suppress(Exception):
            self.client.input(wire.dumps({"op": "end"}))
            deadline = time.monotonic() + 10
            while not self.done and time.monotonic() < deadline:
                self.done = self.finished(timeout=1)
        self.drain_iopub()
        self.msg_id = None

    def drain_iopub(self):
        """Keep what the learner's code printed during this cell, up to a limit."""
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=0)
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") == self.msg_id and msg["msg_type"] == "stream":
                if sum(len(text) for text in self.printed) < KERNEL_OUTPUT_LIMIT:
                    self.printed.append(str(msg["content"].get("text", ""))[:KERNEL_OUTPUT_LIMIT])

    def receive(self):
        """The agent's next message, answering the callbacks it makes on the way."""
        deadline = time.monotonic() + self.patience
        while True:
            try:
                msg = self.client.get_stdin_msg(timeout=0.5)
            except queue.Empty:
                self.drain_iopub()
                if self.finished() or not self.alive():
                    raise KernelSilent("the kernel stopped answering (it died, or its agent was stopped)") from None
                if time.monotonic() > deadline:
                    raise KernelSilent(f"the kernel gave no answer within {self.patience:.0f} s") from None
                continue
            if msg["parent_header"].get("msg_id") != self.msg_id or msg["msg_type"] != "input_request":
                continue
            message = wire.loads(msg["content"].get("prompt", ""))
            if not isinstance(message, dict):
                raise wire.WireError("the agent's message is not a dict")
            if "callback" not in message:
                return message
            self.client.input(self.answer_callback(message))

    def finished(self, timeout=0):
        """Whether the execution running the agent has ended (the agent is gone)."""
        try:
            reply = self.client.get_shell_msg(timeout=timeout)
        except queue.Empty:
            return self.done
        self.done = self.done or reply["parent_header"].get("msg_id") == self.msg_id
        return self.done

    def answer_callback(self, message):
        """Run one of our functions for the learner's code and return the reply to send."""
        try:
            fn = self.callbacks[int(message["callback"])]
            args, kwargs = self.decode(message.get("args", [])), self.decode(message.get("kwargs", {}))
            return wire.dumps({"value": wire.encode(fn(*args, **kwargs), self.stash)})
        except Exception as error:
            return wire.dumps({"error": f"{type(error).__name__}: {error}"[:1000]})

    def request(self, message):
        """Send one request and return the agent's answer."""
        self.client.input(wire.dumps(message))
        return self.receive()

    def kinds(self, names):
        """{name: 'missing' | 'callable' | 'class' | 'value'} in the learner's namespace."""
        kinds = self.request({"op": "describe", "names": sorted(names)}).get("kinds")
        if not isinstance(kinds, dict):
            return {name: "missing" for name in names}
        return {name: kinds.get(name) for name in names}

    def call(self, target, args, kwargs, rules=None):
        """Call `target` (a reference) in the kernel on `args`; raise or return as the learner's code did."""
        encoded = {"op": "call", "target": target, "args": wire.encode(list(args), self.stash),
                   "kwargs": wire.encode(dict(kwargs), self.stash)}
        if rules:
            encoded["rules"] = rules
        answer = self.request(encoded)
        if "error" in answer:
            raise_learner_error(answer["error"])
        for category, text in answer.get("warnings", [])[:20]:
            found = getattr(builtins, str(category), None)
            warnings.warn(str(text), found if isinstance(found, type) and issubclass(found, Warning) else RuntimeWarning)
        result = self.decode(answer.get("value"))
        write_back(args, [self.decode(after) for after in answer.get("after", [])])
        for path, index, key in answer.get("aliases", [])[:100]:
            result = share_memory(result, path, args, index, key)
        if answer.get("global_rng_moved") is True:  # the learner's code drew from np.random there: so it shows here
            np.random.random()
        return result, answer.get("calls")


def raise_learner_error(error):
    """Raise here what the learner's code raised there."""
    if not isinstance(error, dict):
        raise KernelSilent("the agent's answer is malformed")
    type_name, message = str(error.get("type", "Error"))[:100], str(error.get("message", ""))[:4000]
    if error.get("forbidden"):
        raise Forbidden(message)
    if error.get("wire"):
        raise TypeError(f"returned something that cannot be checked ({message})")
    if type_name == "KeyboardInterrupt":
        raise TimeoutError("it was interrupted: it ran longer than the grader's time limit")
    raise exception_class(type_name)(message)


def write_back(args, afters):
    """Make in-place changes the learner's code made to its arguments there visible on our copies here."""
    torch = sys.modules.get("torch")
    for arg, after in zip(args, afters):
        try:
            if isinstance(arg, np.ndarray) and isinstance(after, np.ndarray) and after.shape == arg.shape:
                np.copyto(arg, after, casting="unsafe")
            elif isinstance(arg, np.random.Generator) and isinstance(after, np.random.Generator):
                arg.bit_generator.state = after.bit_generator.state
            elif isinstance(arg, dict) and isinstance(after, dict):
                write_back([arg[k] for k in after if k in arg], [after[k] for k in after if k in arg])
            elif torch is not None and isinstance(arg, torch.nn.Module) and isinstance(after, dict):
                state = arg.state_dict()
                with torch.no_grad():
                    for key, value in after.items():
                        if key in state and isinstance(value, np.ndarray) and tuple(state[key].shape) == value.shape:
                            state[key].copy_(torch.from_numpy(value))
        except (TypeError, ValueError):
            continue


def share_memory(result, path, args, index, key):
    """The result with the array at `path` replaced by our copy of the argument it shares memory with there."""
    torch = sys.modules.get("torch")
    try:
        source = args[index]
        if torch is not None and isinstance(source, torch.nn.Module):
            source = source.state_dict()[key].detach().numpy()
        elif key is not None:
            source = source[key]
        return replaced(result, list(path), source)
    except (IndexError, KeyError, TypeError, AttributeError):
        return result


def replaced(value, path, new):
    """`value` with the item at `path` set to `new` (tuples rebuilt), if shape and dtype agree."""
    if not path:
        same = isinstance(value, np.ndarray) and isinstance(new, np.ndarray) and value.shape == new.shape and value.dtype == new.dtype
        return new if same else value
    head, rest = path[0], path[1:]
    if isinstance(value, tuple):
        return tuple(replaced(v, rest, new) if k == head else v for k, v in enumerate(value))
    if isinstance(value, (list, dict)):
        value[head] = replaced(value[head], rest, new)
    return value


class Learner:
    """A learner's function or class that lives in the kernel: calling it calls it there."""

    def __init__(self, channel, name):
        self.channel, self.__name__, self.rules = channel, name, None

    def __repr__(self):
        return f"<{self.__name__} in the student's kernel>"

    def __wire__(self):
        return {"__learner__": self.__name__}

    def __deepcopy__(self, memo):
        return self

    def __call__(self, *args, **kwargs):
        result, calls = self.channel.call(self.__wire__(), args, kwargs, self.rules)
        if self.rules is not None:
            self.rules["calls"] = calls or 0
        return result

    @contextlib.contextmanager
    def built_from(self, global_name, forbidden, advice):
        """checking.built_from, applied in the kernel: yields the calls made to the learner's `global_name`."""
        calls = []
        self.rules = {"built_from": {"name": global_name, "advice": advice,
                                     "forbidden": [[module.__name__, attribute] for module, attribute in forbidden]}}
        try:
            yield calls
        finally:
            calls.extend([()] * int(self.rules.get("calls", 0) or 0))
            self.rules = None

    def run_beside(self, procedure):
        """A course procedure (student-side code, in autograder/) run in the kernel, next to this object."""
        target = {"__procedure__": f"{procedure.__module__}:{procedure.__name__}"}

        @functools.wraps(procedure)
        def run(*args, **kwargs):
            return self.channel.call(target, args, kwargs)[0]
        return run


def free_names(tree):
    """Names a cell reads but never binds, builtins left out: the learner's names it needs."""
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return read - bound - set(dir(builtins))


def examine(source, channel, label="test cell"):
    """Run a test cell's source here against the learner's kernel; return its outputs (stream, then error if any)."""
    printed = io.StringIO()
    error = None
    try:
        tree = ast.parse(source)
        with channel.session():
            namespace = {"__name__": "__examined__", "print": functools.partial(print, file=printed)}
            for name, kind in channel.kinds(free_names(tree)).items():
                if kind in ("callable", "class"):
                    namespace[name] = Learner(channel, name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(tree, f"<{label}>", "exec"), namespace)  # noqa: S102  (the instructor's test cell)
    except KernelSilent as stopped:
        error = ("GraderStopped", f"the check could not finish: {stopped}")
    except Exception as failure:  # the learner's answer failed the check: its message is the feedback
        error = (type(failure).__name__, str(failure))
    outputs = []
    kernel_text = "".join(channel.printed)
    if kernel_text:
        outputs.append({"output_type": "stream", "name": "stdout", "text": kernel_text})
    if printed.getvalue():
        outputs.append({"output_type": "stream", "name": "stdout", "text": printed.getvalue()})
    if error:
        outputs.append({"output_type": "error", "ename": error[0], "evalue": error[1], "traceback": [f"{error[0]}: {error[1]}"]})
    return outputs
