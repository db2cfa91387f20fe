"""What crosses the pipe between the examiner and the agent in the student's kernel: plain data as JSON.

Never pickle. Arrays travel as their raw bytes (base64) with a dtype from a short list; numbers,
strings, None, tuples, lists and dicts with string keys as themselves; a numpy Generator as its
bit generator's state; a torch tensor as an array with its requires_grad flag; one of PyTorch's
own recurrent modules as its class name, sizes and state dict. Anything else stays where it is
and crosses as an opaque handle. `decode` trusts nothing: sizes, depth and types are checked.
"""
import base64
import json
import math

import numpy as np

MAX_BYTES = 64 * 2**20  # one message, encoded
MAX_DEPTH = 32
DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8",
          "bool", "complex128", "complex64"}
TORCH_MODULES = ["LSTMCell", "LSTM", "RNNCell", "RNN"]  # rebuilt from their sizes and state dict
MODULE_SIZES = ["input_size", "hidden_size", "num_layers", "bias", "nonlinearity"]


class WireError(ValueError):
    """A message that is not plain data of the agreed form."""


class Handle:
    """A value that stays on the other side of the pipe, known only by its number and type name."""

    def __init__(self, number, type_name):
        self.number, self.type_name = int(number), str(type_name)[:100]

    def __repr__(self):
        return f"<{self.type_name} in the kernel>"

    def __deepcopy__(self, memo):
        return self  # a reference: copying it copies nothing

    def __wire__(self):
        return {"__handle__": self.number}


def encode_array(value):
    """An ndarray (or numpy scalar) as {dtype, shape, data}."""
    value = np.asarray(value)
    if value.dtype.name not in DTYPES:
        raise WireError(f"an array of dtype {value.dtype} cannot be sent")
    return {"dtype": value.dtype.name, "shape": list(value.shape),
            "data": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()}


def decode_array(obj):
    """The ndarray described by encode_array's dict, checked."""
    if not isinstance(obj, dict) or obj.get("dtype") not in DTYPES or not isinstance(obj.get("data"), str):
        raise WireError("malformed array")
    shape = obj.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape) or len(shape) > 32:
        raise WireError("malformed array shape")
    raw = base64.b64decode(obj["data"].encode(), validate=True)
    dtype = np.dtype(obj["dtype"])
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise WireError("array data does not fit its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def encode(value, stash=None, depth=0):
    """`value` as JSON-ready plain data; `stash(value)` -> a reference for what cannot cross (None: refuse it)."""
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if hasattr(type(value), "__wire__"):  # a reference to the other side: a Handle, a learner's function
        return value.__wire__()
    if value is None or isinstance(value, (bool, str)) or type(value) in (int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return {"__array__": encode_array(value), "scalar": isinstance(value, np.generic)}
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, (int, float)):  # subclasses: plain values
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, stash, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, stash, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: encode(v, stash, depth + 1) for k, v in value.items()}}
    if isinstance(value, np.random.Generator):
        return {"__rng__": value.bit_generator.state}
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        plain = value.detach().cpu().resolve_conj().resolve_neg().numpy()
        return {"__tensor__": encode_array(plain), "requires_grad": bool(value.requires_grad)}
    if torch is not None and type(value).__name__ in TORCH_MODULES and type(value) is getattr(torch.nn, type(value).__name__):
        sizes = {key: getattr(value, key) for key in MODULE_SIZES if hasattr(value, key)}
        state = {key: tensor.detach().cpu().numpy() for key, tensor in value.state_dict().items()}
        return {"__module__": type(value).__name__, "sizes": sizes, "state": encode(state, None, depth + 1)}
    if stash is None:
        raise WireError(f"a {type(value).__name__} cannot be sent")
    return stash(value)


def decode(obj, unstash=None, depth=0, modules=True):
    """The value `encode` described; `unstash(obj)` turns a handle (or a reference) back into its value.

    With modules=False a module description is refused: building one costs what its sender chooses.
    """
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(v, unstash, depth + 1, modules) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise WireError("malformed value")
    key = next(iter(obj))
    if key == "__array__":
        array = decode_array(obj["__array__"])
        return array[()] if obj.get("scalar") is True and array.ndim == 0 else array
    if key == "__complex__" and isinstance(obj[key], list) and len(obj[key]) == 2:
        return complex(float(obj[key][0]), float(obj[key][1]))
    if key == "__tuple__" and isinstance(obj[key], list):
        return tuple(decode(v, unstash, depth + 1, modules) for v in obj[key])
    if key == "__dict__" and isinstance(obj[key], dict):
        return {str(k): decode(v, unstash, depth + 1, modules) for k, v in obj[key].items()}
    if key == "__rng__":
        return rng_from_state(obj[key])
    if key == "__tensor__":
        import torch

        tensor = torch.from_numpy(decode_array(obj[key]))
        return tensor.requires_grad_(True) if obj.get("requires_grad") is True and tensor.is_floating_point() else tensor
    if key == "__module__" and obj[key] in TORCH_MODULES and modules:
        return module_from(obj[key], obj.get("sizes"), decode(obj.get("state"), None, depth + 1))
    if unstash is not None:
        return unstash(obj)
    raise WireError(f"unexpected {key}")


def rng_from_state(state):
    """A numpy Generator in the given (checked) state."""
    if not isinstance(state, dict) or state.get("bit_generator") not in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
        raise WireError("malformed generator state")
    generator = np.random.Generator(getattr(np.random, state["bit_generator"])())
    try:
        generator.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise WireError(f"malformed generator state: {error}") from None
    return generator


def module_from(kind, sizes, state):
    """One of PyTorch's recurrent modules with these sizes and this state dict."""
    import torch

    if not isinstance(sizes, dict) or not isinstance(state, dict) or not all(isinstance(v, np.ndarray) for v in state.values()):
        raise WireError("malformed module")
    allowed = {k: v for k, v in sizes.items() if k in MODULE_SIZES and isinstance(v, (int, bool, str))}
    if allowed.get("num_layers", 1) != 1 or not all(0 < allowed.get(k, 1) <= 4096 for k in ("input_size", "hidden_size")):
        raise WireError("only one-layer modules of moderate size cross")
    dtype = next(iter(state.values())).dtype if state else np.float32
    module = getattr(torch.nn, kind)(**allowed, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return module


def dumps(obj):
    """One line of JSON, within the size limit."""
    text = json.dumps(obj, separators=(",", ":"))
    if len(text) > MAX_BYTES:
        raise WireError(f"message of {len(text)} bytes is over the limit of {MAX_BYTES}")
    return text


def loads(text):
    """Parse one message, within the size limit."""
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        raise WireError("message too large or not text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not JSON: {str(error)[:100]}") from None


def _torch():
    """torch if it is already imported (the wire never imports it just to look)."""
    import sys

    return sys.modules.get("torch")
