"""Checks for lesson 02, the cell state (the shape of these modules: autograder/checking.py).

The update and the output are compared with their formulas; hand-wired cells run in PyTorch's
own `nn.LSTMCell`, the independent ground truth, and must track their targets (`expect_tracks`).
"""
import itertools

import numpy as np
import torch

from autograder.checking import call, expect_close, show
from autograder.lstm_cell import reorder, torch_module

PARAM_SHAPES = {"W_ih": (4, None), "W_hh": (4, 1), "b_ih": (4,), "b_hh": (4,)}
GATE_ORDER_HINT = "PyTorch stacks the four blocks of W_ih, W_hh, b_ih and b_hh in the order i, f, g, o."


def compare_cell_update(cell_update, c_prev, f, i, g):
    """cell_update(c_prev, f, i, g) against f * c_prev + i * g, naming the usual mistakes."""
    __tracebackhide__ = True
    name = f"cell_update(c_prev, f, i, g) for arrays of shape {c_prev.shape}"
    got = call(cell_update, name, c_prev, f, i, g)
    expect_close(got, f * c_prev + i * g, name, mistakes={
        "swap the gates: the forget gate f multiplies c_prev, the input gate i multiplies g": i * c_prev + f * g,
        "leave out the input gate i": f * c_prev + g,
        "leave out the forget gate f": c_prev + i * g,
        "add the gate values instead of multiplying": f + c_prev + i + g,
    })


def check_cell_update(cell_update):
    """cell_update: f * c_prev + i * g, elementwise, for a batch."""
    __tracebackhide__ = True
    rng = np.random.default_rng(2)
    c_prev = rng.normal(0, 3, size=(2, 3))
    f, i = rng.uniform(size=(2, 2, 3))
    compare_cell_update(cell_update, c_prev, f, i, np.tanh(rng.normal(size=(2, 3))))


def compare_cell_output(cell_output, c, o):
    """cell_output(c, o) against o * tanh(c), naming the usual mistakes."""
    __tracebackhide__ = True
    name = f"cell_output(c, o) for c = {show(c)}, o = {show(o)}"
    got = call(cell_output, name, c, o)
    expect_close(got, o * np.tanh(c), name, mistakes={
        "forget to squash the cell state: o * c instead of o * tanh(c)": o * c,
        "squash after the gate, tanh(o * c), instead of o * tanh(c)": np.tanh(o * c),
        "leave out the output gate o": np.tanh(c),
        "squash with the sigmoid instead of tanh": o / (1.0 + np.exp(-np.clip(c, -500, 500))),
    })


def check_cell_output(cell_output):
    """cell_output: o * tanh(c), bounded however large the cell state."""
    __tracebackhide__ = True
    rng = np.random.default_rng(3)
    compare_cell_output(cell_output, rng.normal(0, 3, size=(2, 3)), rng.uniform(size=(2, 3)))
    compare_cell_output(cell_output, np.array([[-400.0, -2.0, 0.0, 0.5, 400.0]]), np.array([[0.9, 0.1, 0.5, 1.0, 0.7]]))


def valid_params(params, name, input_size):
    """Check the keys, shapes and values of a hand-wired one-unit LSTM; return them as float arrays."""
    __tracebackhide__ = True
    if not isinstance(params, dict):
        raise AssertionError(f"{name} returned {type(params).__name__}; return a dict with keys W_ih, W_hh, b_ih, b_hh.")
    missing = set(PARAM_SHAPES) - set(params)
    if missing:
        raise AssertionError(f"{name} returned no {', '.join(sorted(missing))}; the keys are W_ih, W_hh, b_ih, b_hh.")
    arrays = {}
    for key, shape in PARAM_SHAPES.items():
        want = tuple(input_size if s is None else s for s in shape)
        value = np.asarray(params[key], dtype=float)
        if value.shape != want:
            flipped = " It looks transposed." if value.shape == want[::-1] else ""
            raise AssertionError(f"{name}: {key} has shape {value.shape}, expected {want} "
                                 f"(H = 1 unit, D = {input_size} inputs; {GATE_ORDER_HINT}){flipped}")
        if not np.isfinite(value).all():
            raise AssertionError(f"{name}: {key} contains {show(value)}; use large finite weights, not inf or nan.")
        arrays[key] = value
    if not arrays["W_ih"].any() and arrays["W_hh"].any():
        raise AssertionError(f"{name}: W_ih is all zeros, so the input never reaches the gates. "
                             "W_hh multiplies the hidden state h, which starts at 0: put the input's weights in W_ih.")
    return arrays


def torch_lstm_states(params, xs):
    """Run PyTorch's nn.LSTMCell with these parameters over xs (T, N, D) from h = c = 0; return cs and hs (T, N, H)."""
    cell = torch_module({key: np.asarray(value, dtype=float) for key, value in params.items()})
    xs = torch.as_tensor(np.asarray(xs, dtype=float))
    h = torch.zeros(xs.shape[1], cell.hidden_size, dtype=torch.float64)
    c = torch.zeros_like(h)
    cs, hs = [], []
    with torch.no_grad():
        for x in xs:
            h, c = cell(x, (h, c))
            cs.append(c.numpy().copy())
            hs.append(h.numpy().copy())
    return np.stack(cs), np.stack(hs)


def torch_cell_states(params, xs):
    """The cell states (T, N, H) of PyTorch's nn.LSTMCell with these parameters over xs (T, N, D), from h = c = 0."""
    return torch_lstm_states(params, xs)[0]


def expect_tracks(params, sequences, targets, name, symbols, tolerance=0.05):
    """Run PyTorch's cell with these parameters over one-hot sequences; c_t must stay within tolerance of targets.

    `sequences` is (T, N) of symbol indices, `targets` (T, N). A failure names the first sequence and step
    that go wrong, by how much, and the likely reason.
    """
    __tracebackhide__ = True
    xs = np.eye(len(symbols))[sequences]
    cs = torch_cell_states(params, xs)[..., 0]
    error = np.abs(cs - targets)
    if np.all(error <= tolerance):
        return
    bad = error > tolerance
    n = int(np.argmax(bad.any(axis=0)))
    t = int(np.argmax(bad[:, n]))
    text = "".join(symbols[k] for k in sequences[: t + 1, n])
    lines = [f"{name}: on the sequence {text!r}, after step {t + 1} the cell state is c = {cs[t, n]:.4f} "
             f"where {targets[t, n]:g} was expected (off by {error[t, n]:.4f}; allowed {tolerance})."]
    drifted = error[t, n] < 0.25 and t > 0 and np.abs(cs[:t, n] - targets[:t, n]).max() < tolerance
    flipped = np.all(np.abs(cs + targets) <= tolerance)
    order = None if drifted or flipped else working_order(params, xs, targets, tolerance)
    if drifted:
        lines.append("It was on target until here and drifted: a gate is not saturated, so a little is lost or "
                     "added at every step. Make the pre-activations larger (sigmoid(20) = 1 - 2e-9).")
    elif flipped:
        lines.append("The cell holds minus the right value: a sign is flipped.")
    elif order:
        lines.append(f"Your parameters work if the blocks are read in the order {order}: " + GATE_ORDER_HINT)
    else:
        before = cs[t - 1, n] if t else 0.0
        lines.append(f"On {symbols[sequences[t, n]]!r} the cell went from c = {before:.4f} to {cs[t, n]:.4f}; "
                     f"it should go to {targets[t, n]:g}. Check which gates open, and how far, on this symbol.")
    raise AssertionError("\n".join(lines))


def working_order(params, xs, targets, tolerance):
    """The gate order, other than i, f, g, o, in which these parameters would do the job, if any."""
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3) and np.all(np.abs(torch_cell_states(reorder(params, order), xs)[..., 0] - targets) <= tolerance):
            return ", ".join("ifgo"[order.index(k)] for k in range(4))
    return None


BRACKETS = "()"


def bracket_depths(sequences):
    """Depth after each step of (T, N) sequences of 0 = open, 1 = close."""
    return np.cumsum(np.where(sequences == 0, 1.0, -1.0), axis=0)


def compare_counter_params(counter_params, sequences):
    """counter_params() in PyTorch's LSTMCell over (T, N) sequences of 0 = open, 1 = close: c_t must be the depth."""
    __tracebackhide__ = True
    params = valid_params(call(counter_params, "counter_params()"), "counter_params()", 2)
    expect_tracks(params, sequences, bracket_depths(sequences), "counter_params()", BRACKETS)


def check_counter_params(counter_params):
    """counter_params: c_t tracks the bracket depth, up and down, in PyTorch's own LSTMCell."""
    __tracebackhide__ = True
    for text in ["(", ")", "((()", ")))", "(()())((", "(" * 20 + ")" * 40 + "(" * 20, ")(" * 50, "(" * 20 + ")(" * 40]:
        compare_counter_params(counter_params, np.array([[BRACKETS.index(ch)] for ch in text]))


LATCH = "SRx"  # set, reset, other


def latch_targets(sequences):
    """1 where the latest set/reset event so far is a set, else 0, for (T, N) sequences of 0 = set, 1 = reset, 2 = other."""
    state, out = np.zeros(sequences.shape[1]), []
    for step in sequences:
        state = np.where(step == 0, 1.0, np.where(step == 1, 0.0, state))
        out.append(state)
    return np.stack(out)


def compare_latch_params(latch_params, sequences):
    """latch_params() in PyTorch's LSTMCell over (T, N) sequences of 0 = set, 1 = reset, 2 = other: c_t must be the latch."""
    __tracebackhide__ = True
    params = valid_params(call(latch_params, "latch_params()"), "latch_params()", 3)
    expect_tracks(params, sequences, latch_targets(sequences), "latch_params()", LATCH)


def check_latch_params(latch_params):
    """latch_params: c_t is 1 after a set, 0 after a reset or before any event, and holds in between."""
    __tracebackhide__ = True
    for text in ["xxS", "SSS", "SxxRxx", "RRSR", "S" + "x" * 99, "xRxSxSxxRRx" * 9]:
        compare_latch_params(latch_params, np.array([[LATCH.index(ch)] for ch in text]))


def gate_table(params, symbols):
    """A printable table of the gates i, f, g, o of a one-unit cell on each one-hot symbol, at h = 0 (the first step)."""
    params = {key: np.asarray(value, dtype=float) for key, value in params.items()}
    z = np.eye(len(symbols)) @ params["W_ih"].T + params["b_ih"] + params["b_hh"]
    gates = torch.sigmoid(torch.as_tensor(z)).numpy()
    gates[:, 2] = np.tanh(z[:, 2])
    rows = [f"{'input':>6} {'i':>9} {'f':>9} {'g':>9} {'o':>9}"]
    rows += [f"{symbol!r:>6} " + " ".join(f"{value:9.6f}" for value in gates[k]) for k, symbol in enumerate(symbols)]
    return "\n".join(rows)
