"""Lesson 05, instructor-only: hidden checks on random cases, and the catalogue of variants (see gates.py)."""
import numpy as np

from autograder.checking import random_sizes
from autograder.instructor import reference
from autograder.instructor.edits import edited
from autograder.lstm_cell import random_params
from autograder.vanishing_gradients import (compare_gradient_norms_through_time, compare_lstm_state_jacobian,
                                            compare_make_adding_problem, compare_rnn_cell_forward, compare_rnn_forward,
                                            compare_rnn_step_jacobian, random_rnn_params)


def check_rnn_cell_forward_hidden(rnn_cell_forward, seed):
    """rnn_cell_forward against torch.nn.RNNCell on random sizes and scales."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for scale in [0.2, 1.0, 3.0]:
        N, D, H = random_sizes(rng)
        compare_rnn_cell_forward(rnn_cell_forward, rng.normal(size=(N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H, scale))


def check_rnn_forward_hidden(rnn_forward, seed):
    """rnn_forward against torch.nn.RNN on random sizes and lengths."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for T in [2, 13, 40]:
        N, D, H = random_sizes(rng)
        compare_rnn_forward(rnn_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H))


def check_rnn_step_jacobian_hidden(rnn_step_jacobian, seed):
    """rnn_step_jacobian against autograd on random sizes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for _ in range(3):
        N, D, H = random_sizes(rng)
        compare_rnn_step_jacobian(rnn_step_jacobian, rng.normal(size=(N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H, 1.0))


def check_lstm_state_jacobian_hidden(lstm_state_jacobian, seed):
    """lstm_state_jacobian against autograd on random sizes and forget biases."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for forget_bias in [0.0, 2.0, -1.0]:
        _, D, H = random_sizes(rng)
        params = random_params(rng, D, H, 0.7)
        params["b_ih"][H:2 * H] += forget_bias
        compare_lstm_state_jacobian(lstm_state_jacobian, rng.normal(size=D), rng.normal(size=H), rng.normal(0, 2, size=H), params)


def check_gradient_norms_through_time_hidden(gradient_norms_through_time, seed):
    """gradient_norms_through_time against PyTorch's norms on random, non-commuting Jacobians."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for T, K in [(1, 3), (6, 2), (25, 5)]:
        compare_gradient_norms_through_time(gradient_norms_through_time, rng.normal(0, 0.6, size=(T, K, K)))


def check_make_adding_problem_hidden(make_adding_problem, seed):
    """make_adding_problem's properties on other sizes, odd lengths included."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for n, T in [(1, 2), (150, 51), (7, 200)]:
        compare_make_adding_problem(make_adding_problem, n, T, int(rng.integers(10_000)))


WRONG = {
    "rnn_cell_forward": {
        "b_hh left out": edited(reference.rnn_cell_forward, (' + params["b_hh"])', ')')),
        "W_hh not transposed": edited(reference.rnn_cell_forward, ('params["W_hh"].T', 'params["W_hh"]')),
        "sigmoid instead of tanh": edited(reference.rnn_cell_forward, ("h = np.tanh(", "h = (lambda z: 1 / (1 + np.exp(-z)))(")),
    },
    "rnn_forward": {
        "off by one": edited(reference.rnn_forward, ("        h, cache = rnn_cell_forward(x, h, params)\n        hs.append(h)\n",
                                                 "        hs.append(h)\n        h, cache = rnn_cell_forward(x, h, params)\n")),
        "state not carried": edited(reference.rnn_forward, ("rnn_cell_forward(x, h, params)", "rnn_cell_forward(x, h0, params)")),
        "h_T is the first state": edited(reference.rnn_forward, ("np.stack(hs), h, caches", "np.stack(hs), hs[0], caches")),
    },
    "rnn_step_jacobian": {
        "derivative on the wrong side": edited(reference.rnn_step_jacobian, ('(1.0 - h**2)[:, :, None] * params["W_hh"][None]',
                                                                   'params["W_hh"][None] * (1.0 - h**2)[:, None, :]')),
        "previous state's derivative": edited(reference.rnn_step_jacobian, ("(1.0 - h**2)", "(1.0 - h_prev**2)")),
        "W_hh transposed": edited(reference.rnn_step_jacobian, ('params["W_hh"][None]', 'params["W_hh"].T[None]')),
    },
    "lstm_state_jacobian": {
        "cell path only": '''
def lstm_state_jacobian(x, h_prev, c_prev, params):
    H = h_prev.shape[0]
    z = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    f = 1 / (1 + np.exp(-z[H:2 * H]))
    J = np.zeros((2 * H, 2 * H))
    J[H:, H:] = np.diag(f)
    return J
''',
        "state ordered [c; h]": edited(reference.lstm_state_jacobian, ("def lstm_state_jacobian(", "def lstm_state_jacobian_right(")) + '''
def lstm_state_jacobian(x, h_prev, c_prev, params):
    H = h_prev.shape[0]
    J = lstm_state_jacobian_right(x, h_prev, c_prev, params)
    return np.block([[J[H:, H:], J[H:, :H]], [J[:H, H:], J[:H, :H]]])
''',
        "h does not depend on c": edited(reference.lstm_state_jacobian, (" + squash[:, None] * dc_dh", ""), ("np.diag(squash * f)", "np.zeros((H, H))")),
    },
    "gradient_norms_through_time": {
        "Frobenius norm": edited(reference.gradient_norms_through_time, ("np.linalg.norm(product, 2)", "np.linalg.norm(product)")),
        "products in the wrong order": edited(reference.gradient_norms_through_time, ("product = product @ jacobian", "product = jacobian @ product")),
        "no entry for k = 0": edited(reference.gradient_norms_through_time, ("norms = [1.0]", "norms = []")),
        "product of the norms": '''
def gradient_norms_through_time(jacobians):
    norms = [1.0]
    for J in jacobians[::-1]:
        norms.append(norms[-1] * np.linalg.norm(J, 2))
    return np.array(norms)
''',
    },
    "make_adding_problem": {
        "markers anywhere": edited(reference.make_adding_problem, ("rng.integers(0, T // 2, size=n)", "rng.integers(0, T, size=n)"), ("rng.integers(T // 2, T, size=n)", "rng.integers(0, T, size=n)")),
        "the mean, not the sum": edited(reference.make_adding_problem, ("values[first, np.arange(n)] + values[second, np.arange(n)]",
                                                                  "(values[first, np.arange(n)] + values[second, np.arange(n)]) / 2")),
        "second marker can fall in the first half": edited(reference.make_adding_problem, ("rng.integers(T // 2, T, size=n)", "rng.integers(T // 2 - 1, T, size=n)")),
        "values all 0.5": edited(reference.make_adding_problem, ("rng.uniform(0.0, 1.0, size=(T, n))", "np.full((T, n), 0.5) + 0 * rng.uniform(size=(T, n))")),
        "values squared, not uniform": edited(reference.make_adding_problem, ("rng.uniform(0.0, 1.0, size=(T, n))", "rng.uniform(0.0, 1.0, size=(T, n)) ** 2")),
        "second marker never at its half's first step": edited(reference.make_adding_problem, ("rng.integers(T // 2, T, size=n)", "rng.integers(T // 2 + 1, T, size=n)")),
    },
}

RIGHT = {
    "rnn_cell_forward": {
        "one matrix on the concatenated input": '''
def rnn_cell_forward(x, h_prev, params):
    W = np.hstack([params["W_ih"], params["W_hh"]])
    h = np.tanh(np.hstack([x, h_prev]) @ W.T + (params["b_ih"] + params["b_hh"]))
    return h, {"h": h, "h_prev": h_prev}
''',
        "tanh via the sigmoid": '''
def rnn_cell_forward(x, h_prev, params):
    z = np.einsum("nd,hd->nh", x, params["W_ih"]) + np.einsum("nk,hk->nh", h_prev, params["W_hh"]) + params["b_ih"] + params["b_hh"]
    return 2 / (1 + np.exp(-2 * np.clip(z, -300, 300))) - 1, None
''',
    },
    "rnn_forward": {
        "preallocated": '''
def rnn_forward(xs, h0, params):
    hs = np.zeros((len(xs),) + h0.shape)
    h, caches = h0, []
    for t in range(len(xs)):
        h, cache = rnn_cell_forward(xs[t], h, params)
        hs[t] = h
        caches.append(cache)
    return hs, h, caches
''',
        "h_T from hs": '''
def rnn_forward(xs, h0, params):
    states = [h0]
    for x in xs:
        states.append(rnn_cell_forward(x, states[-1], params)[0])
    hs = np.array(states[1:])
    return hs, hs[-1], states
''',
    },
    "rnn_step_jacobian": {
        "matrix products per example": '''
def rnn_step_jacobian(x, h_prev, params):
    h, _ = rnn_cell_forward(x, h_prev, params)
    return np.stack([np.diag(1 - row ** 2) @ params["W_hh"] for row in h])
''',
        "einsum": '''
def rnn_step_jacobian(x, h_prev, params):
    h = np.tanh(x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"])
    return np.einsum("nh,hk->nhk", 1 - h * h, params["W_hh"])
''',
    },
    "lstm_state_jacobian": {
        "gate by gate, in one block expression": edited(reference.lstm_state_jacobian, *[(f"({gate})[:, None] * W_{name}", f"np.diag({gate}) @ W_{name}") for gate, name in [
            ("c_prev * f * (1 - f)", "f"), ("g * i * (1 - i)", "i"), ("i * (1 - g**2)", "g"), ("np.tanh(c) * o * (1 - o)", "o")]]),
        "blocks assembled with np.vstack": edited(reference.lstm_state_jacobian, ("def lstm_state_jacobian(", "def lstm_state_jacobian_right(")) + '''
def lstm_state_jacobian(x, h_prev, c_prev, params):
    J = lstm_state_jacobian_right(x, h_prev, c_prev, params)
    H = h_prev.shape[0]
    return np.vstack([np.hstack([J[:H, :H], J[:H, H:]]), np.hstack([J[H:, :H], J[H:, H:]])])
''',
    },
    "gradient_norms_through_time": {
        "singular values": '''
def gradient_norms_through_time(jacobians):
    T = len(jacobians)
    norms = np.ones(T + 1)
    product = np.eye(jacobians.shape[1])
    for k in range(1, T + 1):
        product = product @ jacobians[T - k]
        norms[k] = np.linalg.svd(product, compute_uv=False)[0]
    return norms
''',
        "functools.reduce": '''
import functools

def gradient_norms_through_time(jacobians):
    T = len(jacobians)
    products = [np.eye(jacobians.shape[1])] + [functools.reduce(np.matmul, jacobians[T - k:][::-1]) for k in range(1, T + 1)]
    return np.array([np.linalg.norm(p, ord=2) for p in products])
''',
    },
    "make_adding_problem": {
        "positions by permutation": '''
def make_adding_problem(n, T, rng):
    xs = np.zeros((T, n, 2))
    xs[:, :, 0] = rng.random((T, n))
    y = np.zeros(n)
    for k in range(n):
        a, b = rng.integers(0, T // 2), rng.integers(T // 2, T)
        xs[[a, b], k, 1] = 1.0
        y[k] = xs[a, k, 0] + xs[b, k, 0]
    return xs, y
''',
        "target from the masked sum": '''
def make_adding_problem(n, T, rng):
    values = rng.uniform(size=(T, n))
    markers = np.zeros((T, n))
    markers[rng.integers(0, T // 2, n), np.arange(n)] = 1
    markers[rng.integers(T // 2, T, n), np.arange(n)] = 1
    return np.dstack([values, markers]), (values * markers).sum(axis=0)
''',
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"rnn_step_jacobian": "previous state's derivative", "make_adding_problem": "the mean, not the sum"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("rnn_cell_forward", "W_hh not transposed", "instead of W_hh.T"),
    ("rnn_cell_forward", "sigmoid instead of tanh", "sigmoid where nn.RNN uses tanh"),
    ("rnn_forward", "off by one", "after reading xs[t]"),
    ("rnn_step_jacobian", "previous state's derivative", "1 - h_prev**2"),
    ("rnn_step_jacobian", "derivative on the wrong side", "wrong side"),
    ("lstm_state_jacobian", "state ordered [c; h]", "[c; h]"),
    ("lstm_state_jacobian", "h does not depend on c", "h_t depends on c_t"),
    ("gradient_norms_through_time", "Frobenius norm", "Frobenius"),
    ("gradient_norms_through_time", "no entry for k = 0", "T + 1"),
    ("gradient_norms_through_time", "products in the wrong order", "wrong order"),
    ("gradient_norms_through_time", "product of the norms", "not the product of the norms"),
    ("make_adding_problem", "markers anywhere", "exactly two"),
    ("make_adding_problem", "the mean, not the sum", "their sum"),
    ("make_adding_problem", "values all 0.5", "does not look like draws from U(0, 1)"),
    ("make_adding_problem", "values squared, not uniform", "does not look like draws from U(0, 1)"),
    ("make_adding_problem", "second marker never at its half's first step", "not in the middle of their half"),
]
