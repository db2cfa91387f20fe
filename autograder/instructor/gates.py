"""Lesson 01, instructor-only: hidden checks on random cases, and the catalogue of variants.

`WRONG` and `RIGHT` hold, for each contract function, plausible wrong and
alternative correct implementations, as the source of the solution cell. The
course's tests grade each through nbgrader and prove the first lose points and
the second get full marks; the example class of `make demo` draws on them too.
"""
import numpy as np

from autograder.checking import random_sizes
from autograder.gates import (compare_gate, compare_gated_product_grads, compare_sigmoid, compare_sigmoid_grad,
                              compare_tanh_via_sigmoid)
from autograder.instructor import reference
from autograder.instructor.edits import edited

SHAPES = [(), (7,), (3, 4), (2, 3, 5)]


def random_inputs(rng, shape, scale):
    """Normal values of the given scale, with a large negative and a large positive one mixed in."""
    x = rng.normal(0.0, scale, size=shape)
    if x.size > 2:
        x.flat[rng.choice(x.size, 2, replace=False)] = np.array([-1.0, 1.0]) * rng.uniform(100, 1e4, 2)
    return x


def check_sigmoid_hidden(sigmoid, seed):
    """sigmoid on random shapes and magnitudes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        compare_sigmoid(sigmoid, random_inputs(rng, shape, 8.0))


def check_sigmoid_grad_hidden(sigmoid_grad, seed):
    """sigmoid_grad on random shapes and magnitudes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        compare_sigmoid_grad(sigmoid_grad, random_inputs(rng, shape, 4.0))


def check_tanh_via_sigmoid_hidden(tanh_via_sigmoid, seed):
    """tanh_via_sigmoid on random shapes and magnitudes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        compare_tanh_via_sigmoid(tanh_via_sigmoid, random_inputs(rng, shape, 3.0))


def check_gate_hidden(gate, seed):
    """gate on random sizes, square weights included."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for _ in range(5):
        N, D, H = random_sizes(rng)
        compare_gate(gate, rng.normal(size=(N, D)), rng.normal(0, 2, size=(H, D)), rng.normal(size=H))
    compare_gate(gate, rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3))


def check_gated_product_grads_hidden(gated_product_grads, seed):
    """gated_product_grads on random shapes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in SHAPES[1:]:
        a, b, dy = (rng.normal(0, 2, size=shape) for _ in range(3))
        compare_gated_product_grads(gated_product_grads, a, b, dy)


WRONG = {
    "sigmoid": {
        "overflows for large negative x": """
def sigmoid(x):
    return 1 / (1 + np.exp(-x))
""",
        "nan for large positive x": """
def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))
""",
        "sign error": edited(reference.sigmoid, ("1.0 / (1.0 + e), e / (1.0 + e)", "e / (1.0 + e), 1.0 / (1.0 + e)")),
        "clipped too tightly": """
def sigmoid(x):
    x = np.clip(x, -10, 10)
    return 1 / (1 + np.exp(-x))
""",
        "integer inputs give integer outputs": """
def sigmoid(x):
    x = np.asarray(x)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1 + e)
    return out
""",
        "scalars only": """
import math

def sigmoid(x):
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    return math.exp(x) / (1 + math.exp(x))
""",
    },
    "sigmoid_grad": {
        "derivative applied to x": edited(reference.sigmoid_grad, ("    s = sigmoid(x)\n", ""), ("s * (1.0 - s)", "x * (1.0 - x)")),
        "missing factor (1 - s)": edited(reference.sigmoid_grad, ("return s * (1.0 - s)", "return s")),
        "tanh derivative": """
def sigmoid_grad(x):
    return 1 - np.tanh(x) ** 2
""",
    },
    "tanh_via_sigmoid": {
        "argument x instead of 2x": edited(reference.tanh_via_sigmoid, ("sigmoid(2.0 * np.asarray", "sigmoid(np.asarray")),
        "uses np.tanh": """
def tanh_via_sigmoid(x):
    return np.tanh(x)
""",
        "missing - 1": edited(reference.tanh_via_sigmoid, (" - 1.0", "")),
        "a ready-made tanh under another name": """
from numpy import tanh

def tanh_via_sigmoid(x):
    sigmoid(x)
    return tanh(x)
""",
    },
    "gate": {
        "missing bias": edited(reference.gate, (" + b)", ")")),
        "W not transposed": edited(reference.gate, ("x @ W.T", "x @ W")),
        "tanh instead of sigmoid": edited(reference.gate, ("return sigmoid(", "return np.tanh(")),
    },
    "gated_product_grads": {
        "1 - tanh instead of 1 - tanh**2": edited(reference.gated_product_grads, ("(1.0 - t**2)", "(1.0 - t)")),
        "sigmoid instead of its derivative": edited(reference.gated_product_grads, ("sigmoid_grad(b)", "s")),
        "upstream gradient ignored": edited(reference.gated_product_grads, ("da = dy * ", "da = "), ("db = dy * ", "db = ")),
        "returned in the wrong order": edited(reference.gated_product_grads, ("return da, db", "return db, da")),
    },
}

RIGHT = {
    "sigmoid": {
        "via tanh": """
def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=float)))
""",
        "masks and a loop-free split": """
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1 + ex)
    return out
""",
        "python loop over elements": """
import math

def sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        v = x[index]
        out[index] = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    return out
""",
    },
    "sigmoid_grad": {
        "s - s**2": """
def sigmoid_grad(x):
    s = sigmoid(x)
    return s - s ** 2
""",
        "product of the two halves": """
def sigmoid_grad(x):
    return sigmoid(x) * sigmoid(-np.asarray(x, dtype=float))
""",
    },
    "tanh_via_sigmoid": {
        "difference of sigmoids": """
def tanh_via_sigmoid(x):
    x = np.asarray(x, dtype=float)
    return sigmoid(2 * x) - sigmoid(-2 * x)
""",
        "rescaled in two steps": """
def tanh_via_sigmoid(x):
    s = sigmoid(2.0 * np.asarray(x))
    return (s - 0.5) * 2.0
""",
    },
    "gate": {
        "einsum": """
def gate(x, W, b):
    return sigmoid(np.einsum("nd,hd->nh", x, W) + b[None, :])
""",
        "loop over examples": """
def gate(x, W, b):
    return np.stack([sigmoid(W @ row + b) for row in x])
""",
    },
    "gated_product_grads": {
        "tanh via the sigmoid": """
def gated_product_grads(a, b, dy):
    t = 2 * sigmoid(2 * a) - 1
    s = sigmoid(b)
    return dy * s * (1 - t * t), dy * t * sigmoid_grad(b)
""",
        "local derivatives first": """
def gated_product_grads(a, b, dy):
    dtanh = 1 - np.tanh(a) ** 2
    dsig = sigmoid(b) * (1 - sigmoid(b))
    return dtanh * sigmoid(b) * dy, np.tanh(a) * dsig * dy
""",
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"sigmoid": "overflows for large negative x", "gated_product_grads": "1 - tanh instead of 1 - tanh**2"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("sigmoid", "overflows for large negative x", "never takes exp of a large positive number"),
    ("sigmoid", "nan for large positive x", "nan"),
    ("sigmoid", "sign error", "drop the minus sign"),
    ("sigmoid_grad", "derivative applied to x", "apply x * (1 - x) to the input"),
    ("sigmoid_grad", "missing factor (1 - s)", "return sigmoid(x) itself"),
    ("sigmoid_grad", "tanh derivative", "derivative of tanh"),
    ("tanh_via_sigmoid", "argument x instead of 2x", "argument must be 2x"),
    ("tanh_via_sigmoid", "uses np.tanh", "ready-made tanh"),
    ("tanh_via_sigmoid", "a ready-made tanh under another name", "ready-made tanh"),
    ("sigmoid", "integer inputs give integer outputs", "integer array"),
    ("sigmoid", "scalars only", "elementwise on whole arrays"),
    ("tanh_via_sigmoid", "missing - 1", "forget the final - 1"),
    ("gate", "missing bias", "forget the bias"),
    ("gate", "W not transposed", "x @ W.T + b"),
    ("gate", "tanh instead of sigmoid", "use tanh where the sigmoid belongs"),
    ("gated_product_grads", "1 - tanh instead of 1 - tanh**2", "1 - tanh(a)**2 belongs"),
    ("gated_product_grads", "sigmoid instead of its derivative", "sigmoid(b) * (1 - sigmoid(b)) belongs"),
    ("gated_product_grads", "upstream gradient ignored", "upstream gradient dy"),
    ("gated_product_grads", "returned in the wrong order", "order (da, db)"),
]
