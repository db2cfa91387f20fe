"""Checks for lesson 01, gates as soft switches (the shape of these modules: autograder/checking.py).

The right answers come from PyTorch in float64 (`torch_sigmoid`, autograd for the gated product)
and from numpy's tanh.
"""
import math

import numpy as np
import torch

from autograder.checking import as_array, built_from, call, expect_close, show

X = np.array([-30.0, -5.0, -1.0, -0.5, 0.0, 0.5, 1.0, 5.0, 30.0])
EXTREMES = [-1e4, -1000.0, -710.0, 710.0, 1000.0, 1e4]
OVERFLOW_HINT = ("Use a form that never takes exp of a large positive number. Careful: np.where(c, a, b) computes "
                 "both a and b for every element, so compute e = np.exp(-np.abs(x)) once and build both branches from it.")
BUILD_ON_SIGMOID = "exp overflowed: build it on your stable sigmoid instead of calling np.exp yourself."


def torch_apply(fn, *arrays):
    """Apply a torch function to float64 numpy arrays and return a numpy array."""
    return fn(*(torch.as_tensor(np.asarray(a, dtype=float)) for a in arrays)).numpy()


def torch_sigmoid(x):
    """The sigmoid, computed by PyTorch."""
    return torch_apply(torch.sigmoid, x)


def compare_sigmoid(sigmoid, x):
    """sigmoid(x) against PyTorch's, naming the usual mistakes."""
    __tracebackhide__ = True
    want = torch_sigmoid(x)
    name = f"sigmoid(x) for x = {show(x)}"
    got = call(sigmoid, name, x, hint=OVERFLOW_HINT, forbid_warnings=True)
    moderate = np.abs(x) < 50
    mistakes = {
        "compute tanh(x) instead of the sigmoid": np.tanh(x),
        "drop the minus sign: 1 / (1 + exp(x)) is sigmoid(-x)": 1.0 - want,
        "write 1 / 1 + exp(-x): the parentheses around 1 + exp(-x) are missing": np.where(moderate, 1.0 + np.exp(-np.clip(x, -50, 50)), np.nan),
    }
    expect_close(got, want, name, rtol=1e-9, atol=1e-12, mistakes=mistakes)


def check_sigmoid(sigmoid):
    """sigmoid: exactly 0.5 at 0, right values, any shape, no overflow for extreme inputs."""
    __tracebackhide__ = True
    at_zero = as_array(call(sigmoid, "sigmoid(0.0)", 0.0), "sigmoid(0.0)", ())
    if at_zero != 0.5:
        raise AssertionError(f"sigmoid(0.0) returned {float(at_zero)!r}, expected exactly 0.5.")
    compare_sigmoid(sigmoid, X)
    compare_sigmoid(sigmoid, X.reshape(3, 3))
    integers = np.arange(-2, 3)
    expect_close(call(sigmoid, "sigmoid(np.arange(-2, 3))", integers), torch_sigmoid(integers),
                 "sigmoid of the integer array [-2 -1 0 1 2]")
    for x in EXTREMES:
        name = f"sigmoid({x})"
        got = call(sigmoid, name, x, hint=OVERFLOW_HINT, forbid_warnings=True)
        expect_close(got, torch_sigmoid(x), name, atol=1e-12)
    compare_sigmoid(sigmoid, np.array(EXTREMES))


def compare_sigmoid_grad(sigmoid_grad, x):
    """sigmoid_grad(x) against s * (1 - s) with PyTorch's s = sigmoid(x), naming the usual mistakes."""
    __tracebackhide__ = True
    name = f"sigmoid_grad(x) for x = {show(x)}"
    got = call(sigmoid_grad, name, x, hint=BUILD_ON_SIGMOID)
    s = torch_sigmoid(x)
    want = s * (1.0 - s)
    mistakes = {
        "return sigmoid(x) itself instead of its derivative": s,
        "apply x * (1 - x) to the input; the derivative is s * (1 - s) with s = sigmoid(x)": x * (1.0 - x),
        "use the derivative of tanh, 1 - tanh(x)**2": 1.0 - np.tanh(x) ** 2,
        "write s * (1 + s) instead of s * (1 - s)": s * (1.0 + s),
        "write 1 - s**2 instead of s * (1 - s)": 1.0 - s**2,
    }
    expect_close(got, want, name, rtol=1e-9, atol=1e-12, mistakes=mistakes)


def check_sigmoid_grad(sigmoid_grad):
    """sigmoid_grad: 1/4 at 0, right values, finite for extreme inputs."""
    __tracebackhide__ = True
    compare_sigmoid_grad(sigmoid_grad, X)
    compare_sigmoid_grad(sigmoid_grad, np.array(EXTREMES))


def compare_tanh_via_sigmoid(tanh_via_sigmoid, x):
    """tanh_via_sigmoid(x) against np.tanh, and proof that it is built from the learner's sigmoid."""
    __tracebackhide__ = True
    name = f"tanh_via_sigmoid(x) for x = {show(x)}"
    advice = f"{name} called a ready-made tanh. Build it from your sigmoid alone: tanh(x) = 2 * sigmoid(2x) - 1."
    with built_from(tanh_via_sigmoid, "sigmoid", [(np, "tanh"), (math, "tanh"), (torch, "tanh")], advice) as calls:
        got = call(tanh_via_sigmoid, name, x, hint=BUILD_ON_SIGMOID)
    if not calls:
        raise AssertionError(f"{name} never called your sigmoid. Build it from sigmoid alone: tanh(x) = 2 * sigmoid(2x) - 1.")
    mistakes = {
        "write 2 * sigmoid(x) - 1: the sigmoid's argument must be 2x": np.tanh(x / 2.0),
        "forget the final - 1 in 2 * sigmoid(2x) - 1": np.tanh(x) + 1.0,
        "forget the factor 2 in front: sigmoid(2x) - 1": (np.tanh(x) - 1.0) / 2.0,
        "return sigmoid(2x) without rescaling it to (-1, 1)": (np.tanh(x) + 1.0) / 2.0,
    }
    expect_close(got, np.tanh(x), name, rtol=1e-9, atol=1e-12, mistakes=mistakes)


def check_tanh_via_sigmoid(tanh_via_sigmoid):
    """tanh_via_sigmoid: equals tanh, stays finite for extreme inputs, uses only the sigmoid."""
    __tracebackhide__ = True
    compare_tanh_via_sigmoid(tanh_via_sigmoid, X)
    compare_tanh_via_sigmoid(tanh_via_sigmoid, np.array(EXTREMES))


def compare_gate(gate, x, W, b):
    """gate(x, W, b) against PyTorch's sigmoid(x @ W.T + b), naming the usual mistakes."""
    __tracebackhide__ = True
    want = torch_sigmoid(x @ W.T + b)
    name = f"gate(x, W, b) with x {x.shape}, W {W.shape}, b {b.shape}"
    hint = "x is (N, D) and W is (H, D): the pre-activation is x @ W.T + b, of shape (N, H)."
    got = call(gate, name, x, W, b, error_hint=hint)
    as_array(got, name, want.shape)
    z = x @ W.T + b
    mistakes = {
        "forget the bias b": torch_sigmoid(x @ W.T),
        "subtract the bias instead of adding it": torch_sigmoid(x @ W.T - b),
        "use tanh where the sigmoid belongs": np.tanh(z),
        "return the pre-activation x @ W.T + b without the sigmoid": z,
    }
    if W.shape[0] == W.shape[1]:
        mistakes["multiply by W instead of W.T"] = torch_sigmoid(x @ W + b)
    expect_close(got, want, name, rtol=1e-9, atol=1e-12, mistakes=mistakes)


def check_gate(gate):
    """gate: sigmoid(x @ W.T + b) with the right shape, for a batch and for one example."""
    __tracebackhide__ = True
    rng = np.random.default_rng(1)
    for n, d, h in [(2, 3, 4), (1, 5, 1), (3, 2, 2)]:
        x, W, b = rng.normal(size=(n, d)), rng.normal(size=(h, d)), rng.normal(size=h)
        compare_gate(gate, x, W, b)


def torch_gated_product_grads(a, b, dy):
    """(da, db) for y = tanh(a) * sigmoid(b) by PyTorch's autograd."""
    a, b = (torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for v in (a, b))
    (torch.tanh(a) * torch.sigmoid(b)).backward(torch.as_tensor(np.asarray(dy, dtype=float)))
    return a.grad.numpy(), b.grad.numpy()


def compare_gated_product_grads(gated_product_grads, a, b, dy):
    """gated_product_grads(a, b, dy) against PyTorch's autograd, naming the usual mistakes."""
    __tracebackhide__ = True
    want_da, want_db = torch_gated_product_grads(a, b, dy)
    name = f"gated_product_grads(a, b, dy) for a = {show(a)}, b = {show(b)}, dy = {show(dy)}"
    got = call(gated_product_grads, name, a, b, dy)
    if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
        raise AssertionError(f"{name} returned {type(got).__name__}; return a tuple (da, db).")
    da, db = (as_array(g, name, np.shape(a)) for g in got)
    if not np.allclose(da, want_da) and np.allclose(da, want_db) and np.allclose(db, want_da):
        raise AssertionError(f"{name} returned (db, da): return them in the order (da, db).")
    t, s = np.tanh(a), torch_sigmoid(b)
    expect_close(da, want_da, f"da from {name}", rtol=1e-9, atol=1e-12, mistakes={
        "forget to multiply by the upstream gradient dy": (1.0 - t**2) * s,
        "use 1 - tanh(a) where tanh's derivative 1 - tanh(a)**2 belongs": dy * (1.0 - t) * s,
        "leave out the factor sigmoid(b)": dy * (1.0 - t**2),
        "use the sigmoid's derivative where tanh's belongs": dy * torch_sigmoid(a) * (1.0 - torch_sigmoid(a)) * s,
    })
    expect_close(db, want_db, f"db from {name}", rtol=1e-9, atol=1e-12, mistakes={
        "forget to multiply by the upstream gradient dy": t * s * (1.0 - s),
        "use sigmoid(b) where its derivative sigmoid(b) * (1 - sigmoid(b)) belongs": dy * t * s,
        "leave out the factor tanh(a)": dy * s * (1.0 - s),
        "use tanh's derivative where the sigmoid's belongs": dy * t * (1.0 - np.tanh(b) ** 2),
    })


def check_gated_product_grads(gated_product_grads):
    """gated_product_grads: matches PyTorch's autograd for y = tanh(a) * sigmoid(b)."""
    __tracebackhide__ = True
    a = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    b = np.array([1.5, -1.0, 0.3, 0.0, -2.5])
    dy = np.array([1.0, -2.0, 0.5, 1.5, -0.3])
    compare_gated_product_grads(gated_product_grads, a, b, dy)
    a2, b2, dy2 = a.reshape(5, 1) * np.ones(3), b.reshape(5, 1) * np.ones(3), np.ones((5, 3))
    compare_gated_product_grads(gated_product_grads, a2, b2, dy2)


def train_switch(gate, sigmoid_grad, steps=300, learning_rate=5.0, seed=0):
    """Experiment 1 of the lesson: gradient descent on a gate that should pass a signal only when a flag is on.

    Returns the mean gate value at the start (zero weights), then with the flag on and with it off after training.
    """
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n = 256
    flag = rng.integers(0, 2, size=(n, 1)).astype(float)
    inputs = np.hstack([flag, rng.normal(size=(n, 1))])
    signal = rng.normal(size=(n, 1))
    target = signal * flag
    W, b = np.zeros((1, 2)), np.zeros(1)
    start = float(as_array(call(gate, "gate(inputs, W, b) before training", inputs, W, b), "gate(inputs, W, b)", (n, 1)).mean())
    for _ in range(steps):
        g = as_array(call(gate, "gate(inputs, W, b) in the training loop", inputs, W, b), "gate(inputs, W, b)", (n, 1))
        z = inputs @ W.T + b
        slope = as_array(call(sigmoid_grad, "sigmoid_grad(z) in the training loop", z), "sigmoid_grad(z)", (n, 1))
        dz = 2 * (g * signal - target) * signal * slope / n
        W, b = W - learning_rate * dz.T @ inputs, b - learning_rate * dz.sum(axis=0)
    g = as_array(call(gate, "gate(inputs, W, b) after training", inputs, W, b), "gate(inputs, W, b)", (n, 1))
    if not ((g > 0) & (g < 1)).all():
        raise AssertionError(f"After training, your gate takes values from {g.min():.3g} to {g.max():.3g}; a gate is a sigmoid, "
                             "strictly between 0 and 1: use the sigmoid.")
    return start, float(g[flag == 1].mean()), float(g[flag == 0].mean())


def check_gate_learns_to_switch(gate, sigmoid_grad):
    """Experiment 1, run again by the check (300 steps) with your gate and sigmoid_grad: the trained gate must be a switch."""
    __tracebackhide__ = True
    start, on, off = train_switch(gate, sigmoid_grad)
    if abs(start - 0.5) > 1e-9:
        raise AssertionError(f"With zero weights your gate averages {start:.3f}; an untrained gate is the sigmoid of 0, 0.5. "
                             "Make gate pass its check first.")
    if not on > 0.9:
        raise AssertionError(f"Trained for 300 steps with your gate and sigmoid_grad, the gate averages {on:.3f} with the flag "
                             "on; a switch should be above 0.9. If it stayed near 0.5, the weights hardly moved: check that "
                             "sigmoid_grad(0) is 1/4. Make gate and sigmoid_grad pass their checks first.")
    if not off < 0.1:
        raise AssertionError(f"Trained for 300 steps with your gate and sigmoid_grad, the gate averages {off:.3f} with the flag "
                             "off; a switch should be below 0.1. With the flag off only the bias can close the gate: check "
                             "that gate adds b. Make gate and sigmoid_grad pass their checks first.")
