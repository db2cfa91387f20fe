"""Lesson 03, instructor-only: hidden checks on random cases, and the catalogue of variants (see gates.py)."""
import numpy as np
import torch

from autograder.checking import random_sizes
from autograder.instructor import reference
from autograder.instructor.edits import edited
from autograder.lstm_cell import (compare_init_lstm_params, compare_lstm_cell_forward, compare_lstm_forward,
                                  compare_params_from_torch, random_params)


def check_lstm_cell_forward_hidden(lstm_cell_forward, seed):
    """lstm_cell_forward against torch.nn.LSTMCell on random sizes, states and weight scales."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for scale in [0.1, 0.5, 2.0]:
        N, D, H = random_sizes(rng)
        params = random_params(rng, D, H, scale)
        compare_lstm_cell_forward(lstm_cell_forward, rng.normal(size=(N, D)), rng.normal(size=(N, H)),
                                  rng.normal(0, 3, size=(N, H)), params)


def check_lstm_forward_hidden(lstm_forward, seed):
    """lstm_forward against torch.nn.LSTM on random sizes and lengths, non-zero initial states."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for T in [1, 7, 30]:
        N, D, H = random_sizes(rng)
        compare_lstm_forward(lstm_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)),
                             rng.normal(size=(N, H)), random_params(rng, D, H))


def check_init_lstm_params_hidden(init_lstm_params, seed):
    """init_lstm_params on other sizes, seeds and forget biases."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for forget_bias in [0.0, 3.0, -1.5]:
        D, H = random_sizes(rng, 2, low=4, high=39)  # large enough for the checks of the distribution
        compare_init_lstm_params(init_lstm_params, D, H, int(rng.integers(1000)), forget_bias)


def check_params_from_torch_hidden(params_from_torch, seed):
    """params_from_torch on random module sizes and dtypes."""
    __tracebackhide__ = True
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    for kind in [torch.nn.LSTMCell, torch.nn.LSTM, torch.nn.LSTMCell, torch.nn.LSTM]:
        D, H = random_sizes(rng, 2)
        dtype = torch.float64 if rng.uniform() < 0.5 else torch.float32
        compare_params_from_torch(params_from_torch, kind(D, H, dtype=dtype))


WRONG = {
    "lstm_cell_forward": {
        "CS231n gate order i, f, o, g": edited(reference.lstm_cell_forward, ("zi, zf, zg, zo", "zi, zf, zo, zg")),
        "i and f swapped": edited(reference.lstm_cell_forward, ("zi, zf, zg, zo", "zf, zi, zg, zo")),
        "b_ih dropped": edited(reference.lstm_cell_forward, (' + params["b_ih"]', "")),
        "c_prev in the output": edited(reference.lstm_cell_forward, ("h = o * np.tanh(c)", "h = o * np.tanh(c_prev)")),
    },
    "lstm_forward": {
        "off by one: the state before each step": edited(reference.lstm_forward, (
            "        h, c, cache = lstm_cell_forward(x, h, c, params)\n        hs.append(h)\n",
            "        hs.append(h)\n        h, c, cache = lstm_cell_forward(x, h, c, params)\n")),
        "state not carried between steps": edited(reference.lstm_forward, ("lstm_cell_forward(x, h, c, params)", "lstm_cell_forward(x, h0, c0, params)")),
        "final state as (c, h)": edited(reference.lstm_forward, ("(h, c), caches", "(c, h), caches")),
    },
    "init_lstm_params": {
        "np.random, seeded from rng": edited(reference.init_lstm_params, (
            "    H, D = hidden_size, input_size\n", "    np.random.seed(int(rng.integers(2**32)))\n    H, D = hidden_size, input_size\n"),
            ("rng.uniform(", "np.random.uniform(")),
        "bound 1/sqrt(D)": edited(reference.init_lstm_params, ("k = 1.0 / np.sqrt(H)", "k = 1.0 / np.sqrt(D)")),
        "forget bias in both biases": edited(reference.init_lstm_params, (
            '    params["b_ih"][H:2 * H] += forget_bias\n',
            '    params["b_ih"][H:2 * H] += forget_bias\n    params["b_hh"][H:2 * H] += forget_bias\n')),
        "forget bias in the input gate's block": edited(reference.init_lstm_params, ('params["b_ih"][H:2 * H]', 'params["b_ih"][:H]')),
        "numpy's global random state": edited(reference.init_lstm_params, ("rng.uniform(", "np.random.uniform(")),
        "normal instead of uniform": edited(reference.init_lstm_params, ("rng.uniform(-k, k, ", "rng.normal(0, k / 2, ")),
        "one recurrent block drawn, copied to every gate": edited(reference.init_lstm_params, (
            '"W_hh": rng.uniform(-k, k, size=(4 * H, H))', '"W_hh": np.tile(rng.uniform(-k, k, size=(H, H)), (4, 1))')),
    },
    "params_from_torch": {
        "zeroes the module, then returns zeros": '''
def params_from_torch(module):
    s = "_l0" if isinstance(module, torch.nn.LSTM) else ""
    out = {}
    with torch.no_grad():
        for name, attr in [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]:
            parameter = getattr(module, attr + s)
            parameter.zero_()
            out[name] = np.zeros(tuple(parameter.shape))
    return out
''',
        "keeps float32": edited(reference.params_from_torch, (".double()", "")),
        "shares memory with the module": edited(reference.params_from_torch, (".copy()", "")),
        "LSTMCell only": edited(reference.params_from_torch, ("theirs + suffix", "theirs")),
        "biases swapped": edited(reference.params_from_torch, ('"b_ih": "bias_ih", "b_hh": "bias_hh"', '"b_ih": "bias_hh", "b_hh": "bias_ih"')),
    },
}

RIGHT = {
    "lstm_cell_forward": {
        "slices instead of np.split": '''
def lstm_cell_forward(x, h_prev, c_prev, params):
    H = h_prev.shape[1]
    z = x @ params["W_ih"].T + h_prev @ params["W_hh"].T + (params["b_ih"] + params["b_hh"])
    i = sigmoid(z[:, :H])
    f = sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:3 * H])
    o = sigmoid(z[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c, {"i": i, "f": f, "g": g, "o": o, "c": c}
''',
        "one matrix on the concatenated input": '''
def lstm_cell_forward(x, h_prev, c_prev, params):
    W = np.concatenate([params["W_ih"], params["W_hh"]], axis=1)
    z = np.concatenate([x, h_prev], axis=1) @ W.T + params["b_ih"] + params["b_hh"]
    gates = dict(zip("ifgo", np.split(z, 4, axis=-1)))
    c = sigmoid(gates["f"]) * c_prev + sigmoid(gates["i"]) * np.tanh(gates["g"])
    h = sigmoid(gates["o"]) * np.tanh(c)
    return h, c, None
''',
    },
    "lstm_forward": {
        "preallocated arrays": '''
def lstm_forward(xs, h0, c0, params):
    T, N = xs.shape[:2]
    hs = np.zeros((T, N, h0.shape[1]))
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, cache = lstm_cell_forward(xs[t], h, c, params)
        hs[t] = h
        caches.append(cache)
    return hs, (h, c), caches
''',
        "caches with the states": '''
def lstm_forward(xs, h0, c0, params):
    states, caches = [(h0, c0)], []
    for x in xs:
        h, c, cache = lstm_cell_forward(x, *states[-1], params)
        states.append((h, c))
        caches.append(cache)
    return np.array([h for h, _ in states[1:]]), states[-1], {"steps": caches, "states": states}
''',
    },
    "init_lstm_params": {
        "one draw, then split": '''
def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
    H, D = hidden_size, input_size
    k = 1 / np.sqrt(H)
    flat = rng.uniform(-k, k, size=4 * H * (D + H + 2))
    W_ih, W_hh, b_ih, b_hh = np.split(flat, [4 * H * D, 4 * H * (D + H), 4 * H * (D + H + 1)])
    b_ih = b_ih + np.concatenate([np.zeros(H), np.full(H, forget_bias), np.zeros(2 * H)])
    return {"W_ih": W_ih.reshape(4 * H, D), "W_hh": W_hh.reshape(4 * H, H), "b_ih": b_ih, "b_hh": b_hh}
''',
        "scaled random numbers": '''
def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
    k = hidden_size ** -0.5
    shapes = {"W_ih": (4 * hidden_size, input_size), "W_hh": (4 * hidden_size, hidden_size),
              "b_ih": (4 * hidden_size,), "b_hh": (4 * hidden_size,)}
    params = {name: k * (2 * rng.random(shape) - 1) for name, shape in shapes.items()}
    params["b_ih"][hidden_size:2 * hidden_size] += forget_bias
    return params
''',
    },
    "params_from_torch": {
        "through the state dict": '''
def params_from_torch(module):
    state = {name.removesuffix("_l0"): value for name, value in module.state_dict().items()}
    return {"W_ih": state["weight_ih"].double().numpy().copy(), "W_hh": state["weight_hh"].double().numpy().copy(),
            "b_ih": state["bias_ih"].double().numpy().copy(), "b_hh": state["bias_hh"].double().numpy().copy()}
''',
        "np.array copies": '''
def params_from_torch(module):
    found = {}
    for name, parameter in module.named_parameters():
        key = {"weight_ih": "W_ih", "weight_hh": "W_hh", "bias_ih": "b_ih", "bias_hh": "b_hh"}[name.split("_l")[0]]
        found[key] = np.array(parameter.tolist(), dtype=np.float64)
    return found
''',
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"lstm_cell_forward": "CS231n gate order i, f, o, g", "init_lstm_params": "forget bias in both biases"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("lstm_cell_forward", "CS231n gate order i, f, o, g", "order i, f, o, g"),
    ("lstm_cell_forward", "i and f swapped", "input and forget gates swapped"),
    ("lstm_cell_forward", "b_ih dropped", "leave out b_ih"),
    ("lstm_cell_forward", "c_prev in the output", "c_prev in the output"),
    ("lstm_forward", "off by one: the state before each step", "after reading xs[t]"),
    ("lstm_forward", "state not carried between steps", "carrying the state forward"),
    ("lstm_forward", "final state as (c, h)", "(h_T, c_T)"),
    ("init_lstm_params", "bound 1/sqrt(D)", "bound of 1/sqrt(input_size)"),
    ("init_lstm_params", "forget bias in both biases", "b_ih only"),
    ("init_lstm_params", "forget bias in the input gate's block", "rows H:2H"),
    ("init_lstm_params", "numpy's global random state", "not from np.random"),
    ("init_lstm_params", "one recurrent block drawn, copied to every gate", "repeats some of its values"),
    ("params_from_torch", "keeps float32", "float64"),
    ("params_from_torch", "shares memory with the module", "shares memory"),
    ("params_from_torch", "LSTMCell only", "weight_ih_l0"),
    ("params_from_torch", "biases swapped", "from bias_hh"),
]
