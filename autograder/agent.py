"""The examiner's hands in the student's kernel: call the learner's functions on request, report plain data.

Runs in the student's kernel, so it is as untrusted as the student's code: whatever it answers
is only the student's answer. The examiner starts `serve()` with one execution and then talks
over the kernel's stdin channel (`input()`): each prompt carries an answer, each reply the next
request, one line of JSON each (see `autograder.wire`). Values that cannot cross stay here in
`handles` and cross as numbers. Functions of the examiner passed as arguments become callbacks.
"""
import builtins
import contextlib
import importlib
import sys
import warnings

import numpy as np

from autograder import wire

handles = {}


def stash(value):
    """Keep a value here; a numbered handle crosses instead."""
    number = len(handles) + 1
    handles[number] = value
    return {"__handle__": number, "type": type(value).__name__}


def ask(message):
    """Send one message to the examiner and return its parsed reply."""
    try:
        text = wire.dumps(message)
    except (wire.WireError, TypeError, ValueError) as error:
        text = wire.dumps({"error": {"type": "WireError", "message": str(error)[:1000], "wire": True}})
    return wire.loads(builtins.input(text))


def callback(number):
    """A function that asks the examiner to run its function `number` on plain data."""
    def run(*args, **kwargs):
        reply = ask({"callback": number, "args": wire.encode(list(args), stash), "kwargs": wire.encode(kwargs, stash)})
        if "error" in reply:
            raise RuntimeError(f"the check's function failed: {reply['error']}")
        return wire.decode(reply["value"], unstash)
    return run


def unstash(obj):
    """A handle, a callback or a name of the learner's namespace, as the value it stands for."""
    if "__handle__" in obj and obj["__handle__"] in handles:
        return handles[obj["__handle__"]]
    if "__callback__" in obj:
        return callback(int(obj["__callback__"]))
    if "__learner__" in obj:
        return learner_namespace()[obj["__learner__"]]
    if "__procedure__" in obj:
        module, _, name = str(obj["__procedure__"]).partition(":")
        package, _, lesson = module.partition(".")
        if package != "autograder" or not lesson.isidentifier() or not name.isidentifier() or name.startswith("_"):
            raise wire.WireError(f"not a course procedure: {obj['__procedure__']}")
        return getattr(importlib.import_module(module), name)
    raise wire.WireError("unknown reference")


def learner_namespace():
    """The notebook's namespace."""
    return sys.modules["__main__"].__dict__


def describe(name):
    """What the learner's `name` is: missing, a function, a class or something else."""
    namespace = learner_namespace()
    if name not in namespace:
        return "missing"
    value = namespace[name]
    return "class" if isinstance(value, type) else "callable" if callable(value) else "value"


def mutable_state(value):
    """What of an argument a call could have changed in place, as plain data (None if nothing)."""
    if isinstance(value, np.ndarray) or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in value.items()):
        return value
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.nn.Module):
        return {key: tensor.detach().numpy() for key, tensor in value.state_dict().items()}
    return None


def aliases(result, args):
    """[(path in the result, index of the argument, key or None)] for result arrays that share memory with an argument."""
    sources = []
    for index, arg in enumerate(args):
        state = mutable_state(arg)
        if isinstance(state, np.ndarray):
            sources.append((index, None, state))
        elif isinstance(state, dict):
            sources += [(index, key, value) for key, value in state.items()]
    found = []

    def walk(value, path):
        if isinstance(value, np.ndarray):
            found.extend([path, index, key] for index, key, source in sources
                         if source.shape == value.shape and source.dtype == value.dtype and np.shares_memory(source, value))
        elif isinstance(value, (tuple, list)):
            for k, item in enumerate(value):
                walk(item, path + [k])
        elif isinstance(value, dict):
            for k, item in value.items():
                walk(item, path + [k])
    walk(result, [])
    return found


@contextlib.contextmanager
def rules(fn, said):
    """The teaching rules the examiner asked for, applied here (they can only ever cost the learner)."""
    if not said:
        yield None
        return
    from autograder.checking import built_from

    rule = said["built_from"]
    forbidden = [(importlib.import_module(module), attribute) for module, attribute in rule["forbidden"]]
    with built_from(fn, rule["name"], forbidden, rule["advice"]) as calls:
        yield calls


def call(request):
    """Run one call of the learner's code; the answer says what it returned, warned, raised and changed."""
    fn = wire.decode(request["target"], unstash)
    args = wire.decode(request.get("args", []), unstash)
    kwargs = wire.decode(request.get("kwargs", {}), unstash)
    global_rng = np.random.get_state()[1].copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            try:
                with rules(fn, request.get("rules")) as calls:
                    result = fn(*args, **kwargs)
            except BaseException as error:  # noqa: B902  (an interrupt, too, is the learner's answer)
                return {"error": {"type": type(error).__name__, "message": str(error)[:4000],
                                  "forbidden": type(error).__name__ == "Forbidden"}}
    answer = {"value": wire.encode(result, stash),
              "warnings": [[w.category.__name__, str(w.message)[:500]] for w in caught][:20],
              "after": [wire.encode(mutable_state(arg), stash) for arg in args],
              "aliases": aliases(result, args),
              "global_rng_moved": not np.array_equal(np.random.get_state()[1], global_rng)}
    if calls is not None:
        answer["calls"] = len(calls)
    return answer


def serve():
    """Answer the examiner's requests until it says it is done."""
    message = {"ready": True}
    while True:
        request = ask(message)
        op = request.get("op")
        if op == "end":
            handles.clear()
            return
        try:
            if op == "describe":
                message = {"kinds": {name: describe(name) for name in request["names"]}}
            elif op == "call":
                message = call(request)
            else:
                message = {"error": {"type": "WireError", "message": f"unknown request {op!r}"}}
        except Exception as error:  # a value that cannot cross, a malformed request: the learner's answer fails
            message = {"error": {"type": type(error).__name__, "message": str(error)[:4000], "wire": True}}
