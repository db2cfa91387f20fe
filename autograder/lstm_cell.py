"""Checks for lesson 03, the LSTM cell matched to PyTorch.

`check_*` compare the learner's functions with `torch.nn.LSTMCell` and `torch.nn.LSTM` in float64,
the independent ground truth. A wrong answer is compared with what PyTorch gives for the usual
mistakes (gate order, a dropped bias, ...) so that the message can say which one it matches.
`compare_*` hold one case each, for the hidden tests to reuse.
"""
import numpy as np
import torch

from autograder.checking import as_array, call, expect_close

TOLERANCE = dict(rtol=1e-10, atol=1e-12)
NAMES = [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]
LAYOUT_HINT = ("W_ih is (4H, D) and W_hh is (4H, H): z = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, "
               "split into four (N, H) blocks in the order i, f, g, o.")


def random_params(rng, input_size, hidden_size, scale=0.5):
    """LSTM parameters with normal entries, large enough that every gate matters."""
    H, D = hidden_size, input_size
    return {"W_ih": rng.normal(0, scale, (4 * H, D)), "W_hh": rng.normal(0, scale, (4 * H, H)),
            "b_ih": rng.normal(0, scale, 4 * H), "b_hh": rng.normal(0, scale, 4 * H)}


def torch_module(params, sequence=False):
    """A float64 torch.nn.LSTMCell (or one-layer torch.nn.LSTM) holding these parameters."""
    hidden, inputs = params["W_hh"].shape[1], params["W_ih"].shape[1]
    module = (torch.nn.LSTM if sequence else torch.nn.LSTMCell)(inputs, hidden, dtype=torch.float64)
    suffix = "_l0" if sequence else ""
    module.load_state_dict({f"{torch_name}{suffix}": torch.as_tensor(np.asarray(params[name], dtype=float))
                            for name, torch_name in NAMES})
    return module


def torch_cell_forward(x, h_prev, c_prev, params):
    """(h, c) of one step of torch.nn.LSTMCell."""
    with torch.no_grad():
        h, c = torch_module(params)(torch.as_tensor(x), (torch.as_tensor(h_prev), torch.as_tensor(c_prev)))
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
    return {
        "read the blocks in the order i, f, o, g (as in CS231n); PyTorch stacks them i, f, g, o":
            torch_cell_forward(x, h_prev, c_prev, reorder(params, [0, 1, 3, 2])),
        "swap the input gate i and the forget gate f":
            torch_cell_forward(x, h_prev, c_prev, reorder(params, [1, 0, 2, 3])),
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
    shift = np.zeros(4 * H)
    shift[H:2 * H] = forget_bias
    centred = {**params, "b_ih": params["b_ih"] - shift}
    if np.abs(centred["b_hh"][H:2 * H] - forget_bias).max() <= k and forget_bias != 0:
        raise AssertionError(f"{name}: the forget bias was added to b_hh too. PyTorch adds b_ih and b_hh, so the "
                             f"effective forget bias would be {2 * forget_bias}: add it to b_ih only.")
    if forget_bias != 0 and np.abs(params["b_ih"][:H] - forget_bias).max() <= k:
        raise AssertionError(f"{name}: the forget bias went into the first block, the input gate. "
                             "The forget gate is the second block, rows H:2H.")
    values = np.concatenate([v.ravel() for v in centred.values()])
    if np.abs(values).max() > k * (1 + 1e-12):
        raise AssertionError(f"{name}: a value of {np.abs(values).max():.4f} is outside PyTorch's range "
                             f"U(-1/sqrt(H), 1/sqrt(H)) = ({-k:.4f}, {k:.4f}), H = {H}"
                             + (f"; 1/sqrt(D) = {1 / np.sqrt(D):.4f}" if D != H else "") + ".")
    if values.size >= 400 and (values.max() < 0.9 * k or values.min() > -0.9 * k or abs(values.std() - k / np.sqrt(3)) > 0.1 * k):
        raise AssertionError(f"{name}: the values do not look uniform on ({-k:.4f}, {k:.4f}): they range over "
                             f"[{values.min():.4f}, {values.max():.4f}] with standard deviation {values.std():.4f} "
                             f"(uniform: {k / np.sqrt(3):.4f}). Use rng.uniform(-k, k, size).")


def check_init_lstm_params(init_lstm_params):
    """init_lstm_params: PyTorch's U(-1/sqrt(H), 1/sqrt(H)), from the given rng, forget bias added to b_ih's forget block."""
    __tracebackhide__ = True
    compare_init_lstm_params(init_lstm_params, 3, 5, seed=0, forget_bias=0.0)
    compare_init_lstm_params(init_lstm_params, 10, 32, seed=1, forget_bias=0.0)
    compare_init_lstm_params(init_lstm_params, 10, 32, seed=2, forget_bias=1.0)


def compare_params_from_torch(params_from_torch, module):
    """params_from_torch against the module's own parameters: float64 numpy copies under the contract's names."""
    __tracebackhide__ = True
    suffix = "_l0" if isinstance(module, torch.nn.LSTM) else ""
    name = f"params_from_torch({type(module).__name__}({module.input_size}, {module.hidden_size}), {next(module.parameters()).dtype})"
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
        want = getattr(module, torch_name + suffix).detach().double().numpy()
        swapped = {"b_ih": "bias_hh", "b_hh": "bias_ih", "W_ih": "weight_hh", "W_hh": "weight_ih"}[key]
        expect_close(value, want, f"{key} from {name}", rtol=0, atol=0, mistakes={
            f"take {key} from {swapped}{suffix}": getattr(module, swapped + suffix).detach().double().numpy()})
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(1.0)
    moved = [key for key, torch_name in NAMES if np.array_equal(got[key], getattr(module, torch_name + suffix).detach().double().numpy())]
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
