"""Lesson 04, instructor-only: hidden checks on random cases, and the catalogue of variants (see gates.py)."""
import numpy as np

from autograder.backprop import (compare_lstm_backward, compare_lstm_cell_backward, compare_numerical_gradient,
                                 compare_relative_error)
from autograder.checking import random_sizes
from autograder.instructor import reference
from autograder.instructor.edits import edited
from autograder.lstm_cell import random_params


def check_lstm_cell_backward_hidden(lstm_cell_backward, lstm_cell_forward, seed):
    """lstm_cell_backward against autograd on random sizes, states and weight scales."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for scale in [0.2, 0.7, 1.5]:
        N, D, H = random_sizes(rng)
        compare_lstm_cell_backward(lstm_cell_backward, lstm_cell_forward, rng.normal(size=(N, D)), rng.normal(size=(N, H)),
                                   rng.normal(0, 2, size=(N, H)), random_params(rng, D, H, scale),
                                   rng.normal(size=(N, H)), rng.normal(size=(N, H)))


def check_lstm_backward_hidden(lstm_backward, lstm_forward, seed):
    """lstm_backward against autograd on random sizes and lengths, with and without dh_T, dc_T."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for T, final in [(2, False), (9, True), (15, False)]:
        N, D, H = random_sizes(rng)
        state = (rng.normal(size=(N, H)), rng.normal(size=(N, H))) if final else (None, None)
        compare_lstm_backward(lstm_backward, lstm_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)),
                              rng.normal(size=(N, H)), random_params(rng, D, H), rng.normal(size=(T, N, H)), *state)


def check_numerical_gradient_hidden(numerical_gradient, seed):
    """numerical_gradient on random shapes and steps."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape, eps in [((4,), 1e-3), ((2, 3), 0.05), ((2, 2, 2), None)]:
        compare_numerical_gradient(numerical_gradient, rng.uniform(-1, 1, size=shape), eps)


def check_relative_error_hidden(relative_error, seed):
    """relative_error on random arrays, zeros and tiny values included."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in [(5,), (3, 4), (2, 2, 2)]:
        a = rng.normal(size=shape) * rng.choice([1e-12, 1.0, 1e3], size=shape)
        b = a + rng.normal(0, 1e-3, size=shape) * (rng.uniform(size=shape) < 0.5)
        a.flat[0] = b.flat[0] = 0.0
        compare_relative_error(relative_error, a, b)


WRONG = {
    "lstm_cell_backward": {
        "1 - tanh(c) instead of 1 - tanh(c)**2": edited(reference.lstm_cell_backward, ("(1.0 - tanh_c**2)", "(1.0 - tanh_c)")),
        "1 - g instead of 1 - g**2": edited(reference.lstm_cell_backward, ("dg * (1 - g**2)", "dg * (1 - g)")),
        "no gradient to c through h": edited(reference.lstm_cell_backward, ("dc = dc + dh * o * (1.0 - tanh_c**2)", "dc = dc + 0")),
        "gate blocks stacked i, f, o, g": edited(reference.lstm_cell_backward, ("dg * (1 - g**2), do * o * (1 - o)", "do * o * (1 - o), dg * (1 - g**2)")),
    },
    "lstm_backward": {
        "dc not passed back": edited(reference.lstm_backward, ("dx, dh, dc, step", "dx, dh, dc_prev, step"), ("dh, dc, grads", "dh, dc_prev, grads")),
        "gradients overwritten, not summed over time": edited(reference.lstm_backward, ("grads = step if grads is None else {name: grads[name] + step[name] for name in grads}", "grads = step")),
        "gradient from the next step dropped": edited(reference.lstm_backward, ("lstm_cell_backward(dhs[t] + dh,", "lstm_cell_backward(dhs[t] + (dh if t == len(cache) - 1 else 0),")),
    },
    "numerical_gradient": {
        "forward difference": edited(reference.numerical_gradient, ("x[index] = old - eps", "x[index] = old"), ("/ (2 * eps)", "/ eps")),
        "step fixed at 1e-4": edited(reference.numerical_gradient, ("old + eps", "old + 1e-4"), ("old - eps", "old - 1e-4"), ("(2 * eps)", "(2 * 1e-4)")),
        "divides by eps only": edited(reference.numerical_gradient, ("/ (2 * eps)", "/ eps")),
        "nudges never put back": edited(reference.numerical_gradient, ("        x[index] = old\n", "")),
        "x left modified": edited(reference.numerical_gradient, ("    x = np.array(x, dtype=float)\n    grad = np.zeros_like(x)\n",
                                                          "    grad = np.zeros_like(x, dtype=float)\n"), ("        x[index] = old\n", "")),
    },
    "relative_error": {
        "no floor": edited(reference.relative_error, ("np.maximum(1e-8, np.abs(a) + np.abs(b))", "(np.abs(a) + np.abs(b))")),
        "mean instead of max": edited(reference.relative_error, ("np.max(", "np.mean(")),
        "ratio of the largest values": edited(reference.relative_error, ("np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))",
                                                                "np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))")),
        "no absolute values below": edited(reference.relative_error, ("np.abs(a) + np.abs(b)", "a + b")),
    },
}

RIGHT = {
    "lstm_cell_backward": {
        "slices and einsum": '''
def lstm_cell_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, params = cache
    H = c.shape[1]
    dc_total = dc + dh * o * (1 - np.tanh(c) ** 2)
    dz = np.zeros((c.shape[0], 4 * H))
    dz[:, :H] = dc_total * g * i * (1 - i)
    dz[:, H:2 * H] = dc_total * c_prev * f * (1 - f)
    dz[:, 2 * H:3 * H] = dc_total * i * (1 - g * g)
    dz[:, 3 * H:] = dh * np.tanh(c) * o * (1 - o)
    db = dz.sum(axis=0)
    grads = {"W_ih": np.einsum("nk,nd->kd", dz, x), "W_hh": np.einsum("nk,nh->kh", dz, h_prev), "b_ih": db, "b_hh": db.copy()}
    return dz @ params["W_ih"], dz @ params["W_hh"], dc_total * f, grads
''',
        "derivatives from sigmoid_grad-like helpers": '''
def lstm_cell_backward(dh, dc, cache):
    x, h_prev, c_prev, i, f, g, o, c, params = cache
    d_sigmoid = lambda s: s * (1 - s)
    d_tanh = lambda t: 1 - t ** 2
    dc = dc + dh * o * d_tanh(np.tanh(c))
    dz = np.hstack([dc * g * d_sigmoid(i), dc * c_prev * d_sigmoid(f), dc * i * d_tanh(g), dh * np.tanh(c) * d_sigmoid(o)])
    grads = {"W_ih": dz.T.dot(x), "W_hh": dz.T.dot(h_prev), "b_ih": np.sum(dz, 0), "b_hh": np.sum(dz, 0)}
    return dz.dot(params["W_ih"]), dz.dot(params["W_hh"]), dc * f, grads
''',
    },
    "lstm_backward": {
        "preallocated arrays": '''
def lstm_backward(dhs, cache, dh_T=None, dc_T=None):
    T = len(cache)
    dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T.copy()
    dc = np.zeros_like(dhs[0]) if dc_T is None else dc_T.copy()
    dxs = None
    grads = {}
    for t in range(T - 1, -1, -1):
        dx, dh, dc, step = lstm_cell_backward(dhs[t] + dh, dc, cache[t])
        if dxs is None:
            dxs = np.zeros((T,) + dx.shape)
        dxs[t] = dx
        for name, value in step.items():
            grads[name] = grads.get(name, 0) + value
    return dxs, dh, dc, grads
''',
        "zip over reversed steps": '''
def lstm_backward(dhs, cache, dh_T=None, dc_T=None):
    dh = 0 * dhs[0] if dh_T is None else dh_T
    dc = 0 * dhs[0] if dc_T is None else dc_T
    total = {name: 0.0 for name in ("W_ih", "W_hh", "b_ih", "b_hh")}
    dxs = []
    for dh_t, step_cache in zip(dhs[::-1], cache[::-1]):
        dx, dh, dc, step = lstm_cell_backward(dh_t + dh, dc, step_cache)
        total = {name: total[name] + step[name] for name in total}
        dxs.insert(0, dx)
    return np.array(dxs), dh, dc, total
''',
    },
    "numerical_gradient": {
        "a fresh copy for every evaluation": '''
def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(np.shape(x))
    for index in np.ndindex(grad.shape):
        plus, minus = np.array(x, dtype=float), np.array(x, dtype=float)
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad
''',
        "flat indices": '''
def numerical_gradient(f, x, eps=1e-6):
    work = np.array(x, dtype=float)
    flat = work.reshape(-1)
    grad = np.zeros(flat.size)
    for k in range(flat.size):
        keep = flat[k]
        flat[k] = keep + eps
        up = f(work)
        flat[k] = keep - eps
        down = f(work)
        flat[k] = keep
        grad[k] = (up - down) / (2 * eps)
    return grad.reshape(work.shape)
''',
    },
    "relative_error": {
        "python loop": '''
def relative_error(a, b):
    worst = 0.0
    for u, v in zip(np.ravel(a), np.ravel(b)):
        worst = max(worst, abs(u - v) / max(1e-8, abs(u) + abs(v)))
    return float(worst)
''',
        "np.divide with a floor": '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.divide(np.abs(a - b), np.clip(np.abs(a) + np.abs(b), 1e-8, None)).max().item()
''',
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"lstm_cell_backward": "1 - tanh(c) instead of 1 - tanh(c)**2", "relative_error": "no floor"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("lstm_cell_backward", "1 - tanh(c) instead of 1 - tanh(c)**2", "1 - tanh(c)**2"),
    ("lstm_cell_backward", "1 - g instead of 1 - g**2", "1 - g**2"),
    ("lstm_cell_backward", "no gradient to c through h", "reaches c through h"),
    ("lstm_cell_backward", "gate blocks stacked i, f, o, g", "in the order i, f, o, g"),
    ("lstm_backward", "dc not passed back", "do not pass dc_prev back"),
    ("lstm_backward", "gradients overwritten, not summed over time", "summing them over time"),
    ("lstm_backward", "gradient from the next step dropped", "drop the dh_prev"),
    ("numerical_gradient", "forward difference", "forward difference"),
    ("numerical_gradient", "step fixed at 1e-4", "ignore the eps argument"),
    ("numerical_gradient", "x left modified", "changed its input in place"),
    ("relative_error", "no floor", "max(1e-8, |a| + |b|)"),
]
