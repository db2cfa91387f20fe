"""Checks for lesson 03, the LSTM cell matched to PyTorch (the shape of these modules: autograder/checking.py).

The right answers come from `torch.nn.LSTMCell` and `torch.nn.LSTM` in float64. A wrong answer is
compared with what PyTorch gives for the usual mistakes (gate order, a dropped bias, ...) so that
the message can say which one it matches.
"""
import itertools

import numpy as np
import torch

from autograder.checking import as_array, call, expect_close, expect_uniform

TOLERANCE = dict(rtol=1e-10, atol=1e-12)
NAMES = [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]  # ours, PyTorch's
PARAMS = [ours for ours, _ in NAMES]
LAYOUT_HINT = ("W_ih is (4H, D) and W_hh is (4H, H): z = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, "
               "split into four (N, H) blocks in the order i, f, g, o.")


def random_params(rng, input_size, hidden_size, scale=0.5):
    """LSTM parameters with normal entries, large enough that every gate matters."""
    shapes = {"W_ih": (4 * hidden_size, input_size), "W_hh": (4 * hidden_size, hidden_size),
              "b_ih": (4 * hidden_size,), "b_hh": (4 * hidden_size,)}
    return {key: rng.normal(0, scale, shape) for key, shape in shapes.items()}


def load_params(module, params, suffix=""):
    """Load numpy parameters into a torch.nn.LSTMCell (suffix "") or a one-layer torch.nn.LSTM ("_l0"), in place."""
    module.load_state_dict({f"{torch_name}{suffix}": torch.as_tensor(np.asarray(params[name], dtype=float))
                            for name, torch_name in NAMES})
    return module


def torch_module(params, sequence=False):
    """A float64 torch.nn.LSTMCell (or one-layer torch.nn.LSTM) holding these parameters."""
    hidden, inputs = params["W_hh"].shape[1], params["W_ih"].shape[1]
    module = (torch.nn.LSTM if sequence else torch.nn.LSTMCell)(inputs, hidden, dtype=torch.float64)
    return load_params(module, params, "_l0" if sequence else "")


CELLS = {}  # (input size, hidden size): one float64 torch.nn.LSTMCell, reloaded at every call (building one is slow)


def torch_cell_forward(x, h_prev, c_prev, params):
    """(h, c) of one step of torch.nn.LSTMCell."""
    sizes = params["W_ih"].shape[1], params["W_hh"].shape[1]
    if sizes not in CELLS:
        CELLS[sizes] = torch.nn.LSTMCell(*sizes, dtype=torch.float64)
    with torch.no_grad():
        h, c = load_params(CELLS[sizes], params)(torch.as_tensor(x), (torch.as_tensor(h_prev), torch.as_tensor(c_prev)))
    return h.numpy(), c.numpy()


def torch_sequence_forward(xs, h0, c0, params):
    """(hs, h_T, c_T) of a one-layer torch.nn.LSTM over time-major xs."""
    with torch.no_grad():
        hs, (h, c) = torch_module(params, sequence=True)(torch.as_tensor(xs), (torch.as_tensor(h0)[None], torch.as_tensor(c0)[None]))
    return hs.numpy(), h[0].numpy(), c[0].numpy()


def reorder(params, order):
    """The same parameters with the four gate blocks reordered, e.g. [0, 1, 3, 2]."""
    return {key: np.concatenate([np.split(value, 4, axis=0)[k] for k in order]) for key, value in params.items()}


def cell_mistakes(x, h_prev, c_prev, params):
    """{mistake: (h, c)} that PyTorch gives for the usual mistakes in one step."""
    h, c = torch_cell_forward(x, h_prev, c_prev, params)
    with np.errstate(divide="ignore", invalid="ignore"):
        o = h / np.tanh(c)
    mistakes = {}
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3):
            names = ", ".join("ifgo"[order.index(k)] for k in range(4))
            note = {"i, f, o, g": " (as in CS231n)", "f, i, g, o": " (the input and forget gates swapped)"}.get(names, "")
            mistakes[f"read the blocks in the order {names}{note}; PyTorch stacks them i, f, g, o"] = \
                torch_cell_forward(x, h_prev, c_prev, reorder(params, order))
    return {
        **mistakes,
        "leave out both biases": torch_cell_forward(x, h_prev, c_prev, {**params, "b_ih": 0 * params["b_ih"], "b_hh": 0 * params["b_hh"]}),
        "leave out b_hh: PyTorch adds both biases, b_ih and b_hh":
            torch_cell_forward(x, h_prev, c_prev, {**params, "b_hh": 0 * params["b_hh"]}),
        "leave out b_ih: PyTorch adds both biases, b_ih and b_hh":
            torch_cell_forward(x, h_prev, c_prev, {**params, "b_ih": 0 * params["b_ih"]}),
        "squash the previous cell state c_prev in the output instead of the new one": (o * np.tanh(c_prev), c),
    }


def compare_lstm_cell_forward(lstm_cell_forward, x, h_prev, c_prev, params):
    """lstm_cell_forward against torch.nn.LSTMCell for one case, naming the mistake a wrong answer matches."""
    __tracebackhide__ = True
    N, H = h_prev.shape
    name = f"lstm_cell_forward(x, h_prev, c_prev, params) with N = {N}, D = {x.shape[1]}, H = {H}"
    got = call(lstm_cell_forward, name, x, h_prev, c_prev, params, error_hint=LAYOUT_HINT)
    if not isinstance(got, tuple) or len(got) != 3:
        raise AssertionError(f"{name} returned {type(got).__name__}; return a tuple (h, c, cache).")
    h, c = as_array(got[0], f"h from {name}", (N, H)), as_array(got[1], f"c from {name}", (N, H))
    want_h, want_c = torch_cell_forward(x, h_prev, c_prev, params)
    if np.allclose(h, want_c, **TOLERANCE) and np.allclose(c, want_h, **TOLERANCE):
        raise AssertionError(f"{name} returned (c, h, cache); return (h, c, cache).")
    for description, (mistake_h, mistake_c) in cell_mistakes(x, h_prev, c_prev, params).items():
        if np.allclose(h, mistake_h, rtol=1e-8, atol=1e-10) and np.allclose(c, mistake_c, rtol=1e-8, atol=1e-10) \
                and not np.allclose(h, want_h, **TOLERANCE):
            raise AssertionError(f"{name} does not match torch.nn.LSTMCell: its output matches what you get if you {description}.")
    expect_close(c, want_c, f"c from {name}", **TOLERANCE)
    expect_close(h, want_h, f"h from {name}", **TOLERANCE)


def check_lstm_cell_forward(lstm_cell_forward):
    """lstm_cell_forward: matches torch.nn.LSTMCell in float64 to 1e-10, from zero and non-zero states."""
    __tracebackhide__ = True
    rng = np.random.default_rng(3)
    for N, D, H in [(2, 3, 4), (1, 1, 1), (5, 4, 2)]:
        params = random_params(rng, D, H)
        x = rng.normal(size=(N, D))
        compare_lstm_cell_forward(lstm_cell_forward, x, np.zeros((N, H)), np.zeros((N, H)), params)
        compare_lstm_cell_forward(lstm_cell_forward, x, rng.normal(size=(N, H)), rng.normal(0, 2, size=(N, H)), params)


def compare_lstm_forward(lstm_forward, xs, h0, c0, params):
    """lstm_forward against torch.nn.LSTM for one sequence batch, naming the usual mistakes."""
    __tracebackhide__ = True
    T, N, D = xs.shape
    H = h0.shape[1]
    name = f"lstm_forward(xs, h0, c0, params) with T = {T}, N = {N}, D = {D}, H = {H}"
    got = call(lstm_forward, name, xs, h0, c0, params, error_hint=LAYOUT_HINT)
    if not isinstance(got, tuple) or len(got) != 3 or not isinstance(got[1], tuple) or len(got[1]) != 2:
        raise AssertionError(f"{name} returned {type(got).__name__}; return (hs, (h_T, c_T), cache).")
    want_hs, want_h, want_c = torch_sequence_forward(xs, h0, c0, params)
    if np.shape(got[0]) == (N, T, H) and N != T:
        raise AssertionError(f"hs from {name} has shape (N, T, H) = {np.shape(got[0])}: it must be time-major, (T, N, H), "
                             "like xs. np.stack(list_of_h) stacks along a new first axis.")
    hs = as_array(got[0], f"hs from {name}", (T, N, H))
    h_T, c_T = as_array(got[1][0], f"h_T from {name}", (N, H)), as_array(got[1][1], f"c_T from {name}", (N, H))
    cells = [torch_cell_forward(x, h0, c0, params)[0] for x in xs]
    expect_close(hs, want_hs, f"hs from {name}", **TOLERANCE, mistakes={
        "store the state from before each step: hs[t] must be the hidden state after reading xs[t]":
            np.concatenate([h0[None], want_hs[:-1]]),
        "start every step from h0 and c0 instead of carrying the state forward": np.stack(cells),
    })
    if np.allclose(h_T, want_c, **TOLERANCE) and np.allclose(c_T, want_h, **TOLERANCE):
        raise AssertionError(f"{name} returned (c_T, h_T); return the final state as (h_T, c_T).")
    expect_close(h_T, want_h, f"h_T from {name}", **TOLERANCE)
    expect_close(c_T, want_c, f"c_T from {name}", **TOLERANCE)


def check_lstm_forward(lstm_forward):
    """lstm_forward: matches a one-layer torch.nn.LSTM over whole sequences, with non-zero initial states."""
    __tracebackhide__ = True
    rng = np.random.default_rng(4)
    for T, N, D, H in [(5, 2, 3, 4), (1, 1, 2, 1), (12, 3, 1, 2)]:
        params = random_params(rng, D, H)
        compare_lstm_forward(lstm_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), params)


def compare_init_lstm_params(init_lstm_params, input_size, hidden_size, seed, forget_bias):
    """init_lstm_params: shapes, reproducible from the rng, PyTorch's uniform bound, forget bias in b_ih only."""
    __tracebackhide__ = True
    D, H = input_size, hidden_size
    name = f"init_lstm_params({D}, {H}, rng, forget_bias={forget_bias})"
    state = np.random.get_state()
    first = call(init_lstm_params, name, D, H, np.random.default_rng(seed), forget_bias)
    again = call(init_lstm_params, name, D, H, np.random.default_rng(seed), forget_bias)
    other = call(init_lstm_params, name, D, H, np.random.default_rng(seed + 1), forget_bias)
    if not isinstance(first, dict) or set(first) != {"W_ih", "W_hh", "b_ih", "b_hh"}:
        raise AssertionError(f"{name} must return a dict with keys W_ih, W_hh, b_ih, b_hh.")
    shapes = {"W_ih": (4 * H, D), "W_hh": (4 * H, H), "b_ih": (4 * H,), "b_hh": (4 * H,)}
    params = {key: as_array(first[key], f"{key} from {name}", shape) for key, shape in shapes.items()}
    uses_global = not np.array_equal(np.random.get_state()[1], state[1])
    if uses_global or not all(np.array_equal(first[k], again[k]) for k in shapes) or all(np.array_equal(first[k], other[k]) for k in shapes):
        raise AssertionError(f"{name}: draw every number from the rng you are given (rng.uniform(...)), so that the same "
                             "seed gives the same parameters" + (", not from np.random." if uses_global else "."))
    k = 1 / np.sqrt(H)
    where_forget_bias(params, H, k, forget_bias, name)
    centred = {**params, "b_ih": params["b_ih"] - np.concatenate([np.zeros(H), np.full(H, forget_bias), np.zeros(2 * H)])}
    bounds = {"1/sqrt(input_size)": 1 / np.sqrt(D), "1/sqrt(input_size + hidden_size)": 1 / np.sqrt(D + H)}
    for key, values in centred.items():
        largest = np.abs(values).max()
        guess = next((f" That looks like a bound of {label}." for label, bound in bounds.items()
                      if 0.8 * bound <= largest <= bound and abs(bound - k) > 0.05 * k), "")
        if not values.any():
            raise AssertionError(f"{name}: {key} is all zeros. PyTorch draws every parameter, biases included, "
                                 f"from U(-k, k) with k = 1/sqrt(hidden_size) = {k:.4f}.")
        if largest > k * (1 + 1e-12):
            raise AssertionError(f"{name}: {key} reaches {largest:.4f}, outside PyTorch's range (-k, k) with "
                                 f"k = 1/sqrt(hidden_size) = {k:.4f}.{guess}")
        if values.size >= 200 and largest < k * (1 - 10 / values.size):  # uniform samples come this close to k
            raise AssertionError(f"{name}: {key} only reaches {largest:.4f}, but PyTorch's range is (-k, k) with "
                                 f"k = 1/sqrt(hidden_size) = {k:.4f}.{guess}")
        if values.size >= 200 and abs(values.std() - k / np.sqrt(3)) > 0.1 * k:
            raise AssertionError(f"{name}: {key} does not look uniform on (-{k:.4f}, {k:.4f}): its standard deviation is "
                                 f"{values.std():.4f}, a uniform one's {k / np.sqrt(3):.4f}. Use rng.uniform(-k, k, size).")
        if values.size >= 200:
            expect_uniform(values, -k, k, f"{name}: {key}", "Use rng.uniform(-k, k, size) for every parameter.")
        expect_independent(values, f"{name}: {key}")


def expect_independent(values, name):
    """Raise unless the values look independent: no repeats, no order, no link between the four gate blocks."""
    __tracebackhide__ = True
    flat = np.ravel(values)
    if flat.size >= 50 and np.unique(flat).size < flat.size:
        raise AssertionError(f"{name} repeats some of its values exactly: independent uniform draws never do. Draw every "
                             "entry afresh (one rng.uniform(-k, k, size) call per array); do not copy one block into another.")
    # For independent draws a correlation over m pairs has a spread of 1/sqrt(m): 6 spreads happen about once in 5e8.
    r = np.corrcoef(flat[:-1], flat[1:])[0, 1] if flat.size >= 200 else 0.0
    if abs(r) > 6 / np.sqrt(flat.size - 1):
        raise AssertionError(f"{name}: neighbouring entries are correlated ({r:.2f}); "
                             "independent draws are not. Do not sort or smooth the draw.")
    blocks = [np.ravel(block) for block in np.split(np.asarray(values), 4, axis=0)]
    if blocks[0].size >= 50:
        for a, b in itertools.combinations(range(4), 2):
            r = np.corrcoef(blocks[a], blocks[b])[0, 1]
            if abs(r) > 6 / np.sqrt(blocks[a].size):
                raise AssertionError(f"{name}: the gate blocks {'ifgo'[a]} and {'ifgo'[b]} are correlated ({r:.2f}): each "
                                     "gate must get its own independent draw, not a copy (or a negated copy) of another's.")


def where_forget_bias(params, H, k, forget_bias, name):
    """Check that forget_bias went into b_ih's forget block (rows H:2H) and nowhere else, naming where it went instead."""
    __tracebackhide__ = True
    blocks = {f"{key}'s {gate} block": params[key][n * H:(n + 1) * H]
              for key in ("b_ih", "b_hh") for n, gate in enumerate(["input gate", "forget gate", "candidate", "output gate"])}
    target = "b_ih's forget gate block"
    if np.all(blocks[target] == forget_bias) and not np.all(params["b_ih"] == forget_bias):
        raise AssertionError(f"{name}: b_ih[H:2H] is exactly {forget_bias}: add the forget bias to the uniform draw (+=), "
                             "do not replace it.")
    if forget_bias == 0:
        return
    shifted = {label for label, block in blocks.items() if np.all(np.abs(block - forget_bias) <= k)}
    if target in shifted and "b_hh's forget gate block" in shifted:
        raise AssertionError(f"{name}: the forget bias was added to b_hh too. PyTorch adds b_ih and b_hh, so the "
                             f"effective forget bias would be {2 * forget_bias:g}: add it to b_ih only.")
    others = [label for label in blocks if label in shifted and label != target]
    if others:
        raise AssertionError(f"{name}: the forget bias went into {' and '.join(others)}" + (" too" if target in shifted else "")
                             + ". It belongs in b_ih's forget gate block only, rows H:2H (the order is i, f, g, o).")
    if target not in shifted:
        found = blocks[target]
        raise AssertionError(f"{name}: b_ih[H:2H], the forget gate's bias, ranges over [{found.min():.4f}, {found.max():.4f}]; "
                             f"it should be U(-k, k) + forget_bias, within [{forget_bias - k:.4f}, {forget_bias + k:.4f}].")


def check_init_lstm_params(init_lstm_params):
    """init_lstm_params: PyTorch's U(-1/sqrt(H), 1/sqrt(H)), from the given rng, forget bias added to b_ih's forget block."""
    __tracebackhide__ = True
    compare_init_lstm_params(init_lstm_params, 3, 5, seed=0, forget_bias=0.0)
    compare_init_lstm_params(init_lstm_params, 10, 32, seed=1, forget_bias=0.0)
    compare_init_lstm_params(init_lstm_params, 10, 32, seed=2, forget_bias=1.0)


def compare_params_from_torch(params_from_torch, module):
    """params_from_torch against the module's own parameters: float64 numpy copies under the contract's names."""
    __tracebackhide__ = True
    name = f"params_from_torch({type(module).__name__}({module.input_size}, {module.hidden_size}), {next(module.parameters()).dtype})"

    def current(torch_name):
        """The module's parameter of that name (an LSTM's carry the layer number, _l0), as float64."""
        return dict(module.named_parameters()).get(torch_name, getattr(module, f"{torch_name}_l0", None)).detach().double().numpy()

    before = {torch_name: current(torch_name).copy() for torch_name in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]}
    got = call(params_from_torch, name, module, copy_inputs=False,
               error_hint="A torch.nn.LSTM names its parameters weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0; "
                          "an LSTMCell weight_ih, weight_hh, bias_ih, bias_hh. Detach them before .numpy().")
    if not isinstance(got, dict) or set(got) != {"W_ih", "W_hh", "b_ih", "b_hh"}:
        raise AssertionError(f"{name} must return a dict with keys W_ih, W_hh, b_ih, b_hh.")
    for key, torch_name in NAMES:
        value = got[key]
        if not isinstance(value, np.ndarray):
            raise AssertionError(f"{name}: {key} is a {type(value).__name__}; convert it to a numpy array (.detach().numpy()).")
        if value.dtype != np.float64:
            raise AssertionError(f"{name}: {key} has dtype {value.dtype}; convert it to float64.")
        swapped = {"b_ih": "bias_hh", "b_hh": "bias_ih", "W_ih": "weight_hh", "W_hh": "weight_ih"}[key]
        expect_close(value, before[torch_name], f"{key} from {name}", rtol=0, atol=0,
                     mistakes={f"take {key} from {swapped}": before[swapped]})
    changed = [torch_name for torch_name, value in before.items() if not np.array_equal(current(torch_name), value)]
    if changed:
        raise AssertionError(f"{name} changed the module's {changed[0]}: read the parameters, leave the module as it was.")
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(1.0)
    moved = [key for key, torch_name in NAMES if np.array_equal(got[key], current(torch_name))]
    if moved:
        raise AssertionError(f"{name}: {moved[0]} changes when the module's parameters change: it shares memory with "
                             "the module. Return copies (.copy()).")


def check_params_from_torch(params_from_torch):
    """params_from_torch: float64 numpy copies of an LSTMCell's or a one-layer LSTM's parameters."""
    __tracebackhide__ = True
    torch.manual_seed(0)
    for module in [torch.nn.LSTMCell(3, 4), torch.nn.LSTM(2, 5), torch.nn.LSTMCell(2, 3, dtype=torch.float64),
                   torch.nn.LSTM(4, 2, dtype=torch.float64)]:
        compare_params_from_torch(params_from_torch, module)
