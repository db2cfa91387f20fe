"""Lesson 02, instructor-only: hidden checks on random cases, and the catalogue of variants (see gates.py)."""
import numpy as np

from autograder.cell_state import compare_cell_output, compare_cell_update, compare_counter_params, compare_latch_params
from autograder.instructor import reference
from autograder.instructor.edits import edited


def check_cell_update_hidden(cell_update, seed):
    """cell_update against the formula on random shapes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in [(1, 1), (5, 4), (3, 7)]:
        f, i = rng.uniform(size=(2, *shape))
        compare_cell_update(cell_update, rng.normal(0, 5, size=shape), f, i, rng.uniform(-1, 1, size=shape))


def check_cell_output_hidden(cell_output, seed):
    """cell_output against the formula on random shapes and large cell states."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for shape in [(1, 1), (5, 4), (3, 7)]:
        compare_cell_output(cell_output, rng.normal(0, 30, size=shape), rng.uniform(size=shape))


def random_bracket_sequences(rng, n, length=100, limit=20):
    """(length, n) sequences of 0 = open, 1 = close whose depth stays within [-limit, limit]; some drift far."""
    drift = rng.choice([0.5, 0.15, 0.85], size=n)  # the chance of an open bracket, per sequence
    depth, steps = np.zeros(n), []
    for _ in range(length):
        opens = rng.uniform(size=n) < drift
        opens = np.where(depth >= limit, False, np.where(depth <= -limit, True, opens))
        depth += np.where(opens, 1, -1)
        steps.append(np.where(opens, 0, 1))
    return np.stack(steps)


def random_latch_sequences(rng, n, length=100):
    """(length, n) sequences of 0 = set, 1 = reset, 2 = other; some quiet, some busy."""
    quiet = rng.uniform(0.5, 0.99, size=n)  # how often nothing happens, per sequence
    u = rng.uniform(size=(length, n))
    return np.where(u < quiet, 2, np.where(u < (1 + quiet) / 2, 0, 1))


def check_counter_params_hidden(counter_params, seed):
    """counter_params on many random sequences up to length 100, depth within 20."""
    __tracebackhide__ = True
    compare_counter_params(counter_params, random_bracket_sequences(np.random.default_rng(seed), 300))


def check_latch_params_hidden(latch_params, seed):
    """latch_params on many random event sequences up to length 100."""
    __tracebackhide__ = True
    compare_latch_params(latch_params, random_latch_sequences(np.random.default_rng(seed), 300))


WRONG = {
    "cell_update": {
        "gates swapped": edited(reference.cell_update, ("f * c_prev + i * g", "i * c_prev + f * g")),
        "input gate left out": edited(reference.cell_update, ("i * g", "g")),
        "forget gate left out": edited(reference.cell_update, ("f * c_prev", "c_prev")),
        "updates c_prev in place": "def cell_update(c_prev, f, i, g):\n    c_prev *= f\n    c_prev += i * g\n    return c_prev\n",
    },
    "cell_output": {
        "no squash": edited(reference.cell_output, ("o * np.tanh(c)", "o * c")),
        "squash after the gate": edited(reference.cell_output, ("o * np.tanh(c)", "np.tanh(o * c)")),
        "output gate left out": edited(reference.cell_output, ("o * np.tanh(c)", "np.tanh(c)")),
    },
    "counter_params": {
        "signs swapped": edited(reference.counter_params, ("[big, -big],     # g: +1 on open, -1 on close", "[-big, big],     # g: +1 on open, -1 on close")),
        "forget gate half open": edited(reference.counter_params, ("b_ih = np.array([big, big, 0.0, 0.0])", "b_ih = np.array([big, 2.0, 0.0, 0.0])")),
        "candidate not saturated": edited(reference.counter_params, ("[big, -big],     # g: +1 on open, -1 on close", "[1.0, -1.0],     # g: +1 on open, -1 on close")),
        "blocks in the order i, f, o, g": edited(reference.counter_params, ("[big, -big],     # g: +1 on open, -1 on close\n                     [0.0, 0.0]])",
                                                                   "[0.0, 0.0],\n                     [big, -big]])")),
    },
    "latch_params": {
        "set does not forget, so repeated sets add up": edited(reference.latch_params, ("[-big, -big, big],   # f", "[0.0, -big, big],   # f")),
        "reset does not clear": edited(reference.latch_params, ("[-big, -big, big],   # f", "[-big, big, big],   # f")),
        "weights too small to hold for long": edited(reference.latch_params, ("big = 20.0", "big = 5.0")),
    },
}

RIGHT = {
    "cell_update": {
        "numpy functions": "def cell_update(c_prev, f, i, g):\n    return np.add(np.multiply(f, c_prev), np.multiply(i, g))\n",
        "other order, copies first": "def cell_update(c_prev, f, i, g):\n    kept = c_prev.copy() * f\n    return kept + g * i\n",
    },
    "cell_output": {
        "numpy functions": "def cell_output(c, o):\n    return np.multiply(np.tanh(c), o)\n",
        "tanh through exp, stable": "def cell_output(c, o):\n    e = np.exp(-2 * np.abs(c))\n    return o * np.sign(c) * (1 - e) / (1 + e)\n",
    },
    "counter_params": {
        "input gate from the inputs, larger weights": edited(reference.counter_params, ("big = 20.0", "big = 30.0"), ("[0.0, 0.0],      # i", "[big, big],      # i"),
                                                                       ("[0.0, 0.0],      # f", "[big, big],      # f"), ("[big, big, 0.0, 0.0]", "[0.0, 0.0, 0.0, 0.0]")),
        "biases split between b_ih and b_hh": '''
def counter_params():
    W_ih = np.zeros((4, 2))
    W_ih[2] = [25.0, -25.0]
    b = np.array([12.5, 12.5, 0.0, 0.0])
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": b, "b_hh": b.copy()}
''',
    },
    "latch_params": {
        "biases and weights together": '''
def latch_params():
    W_ih = np.array([[30.0, 0.0, 0.0], [-30.0, -30.0, 0.0], [30.0, 30.0, 30.0], [0.0, 0.0, 0.0]])
    b_ih = np.array([-15.0, 15.0, 0.0, 0.0])
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": b_ih, "b_hh": np.zeros(4)}
''',
        "larger weights": edited(reference.latch_params, ("big = 20.0", "big = 50.0")),
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"cell_output": "no squash", "counter_params": "forget gate half open"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("cell_update", "gates swapped", "forget gate f multiplies c_prev"),
    ("cell_update", "updates c_prev in place", "changed its input in place"),
    ("cell_output", "no squash", "forget to squash the cell state"),
    ("cell_output", "squash after the gate", "tanh(o * c)"),
    ("counter_params", "signs swapped", "a sign is flipped"),
    ("counter_params", "forget gate half open", "not saturated"),
    ("counter_params", "blocks in the order i, f, o, g", "i, f, g, o"),
    ("latch_params", "reset does not clear", "On 'R' the cell went from"),
]
