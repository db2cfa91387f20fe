"""The examiner's pipe without a kernel: the agent answers in a thread of this process.

Everything that crosses is still JSON text (`autograder.wire`) and the agent and the examiner are
the real ones, so a test cell examined here gets the verdict it gets at grade time. Only the kernel,
the sandbox and nbgrader are left out; test_grading.py and test_grader.py grade with all of them.
"""
import contextlib
import queue
import threading
import types
from unittest import mock

from autograder import agent, wire
from autograder.instructor.worker.examiner import Channel, KernelSilent, examine


class Loopback(Channel):
    """A Channel to an agent that serves `namespace` (the learner's names) from a thread here."""

    def __init__(self, namespace, patience=120):
        self.namespace, self.patience, self.alive = namespace, patience, lambda: True
        self.callbacks, self.printed, self.msg_id, self.done = {}, [], None, False

    def close(self):
        pass

    @contextlib.contextmanager
    def session(self):
        self.callbacks, self.printed = {}, []
        self.to_agent, self.to_examiner = queue.Queue(), queue.Queue()

        def prompt(text):
            self.to_examiner.put(text)
            return self.to_agent.get()

        def serve():
            with mock.patch.object(agent, "builtins", types.SimpleNamespace(input=prompt)), \
                    mock.patch.object(agent, "learner_namespace", lambda: self.namespace):
                agent.serve()
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            if not self.receive().get("ready"):
                raise KernelSilent("the agent did not start")
            yield self
        finally:
            self.to_agent.put(wire.dumps({"op": "end"}))
            thread.join(timeout=self.patience)

    def receive(self):
        while True:
            try:
                message = wire.loads(self.to_examiner.get(timeout=self.patience))
            except queue.Empty:
                raise KernelSilent(f"the agent gave no answer within {self.patience} s") from None
            if "callback" not in message:
                return message
            self.to_agent.put(self.answer_callback(message))

    def request(self, message):
        self.to_agent.put(wire.dumps(message))
        return self.receive()


def examined(source, namespace):
    """A test cell's outputs as the examiner writes them, with the learner's names served from `namespace`."""
    return examine(source, Loopback(namespace))


def failed(outputs):
    """Whether examined outputs end in an error (nbgrader then gives the cell no points)."""
    return any(output["output_type"] == "error" for output in outputs)
