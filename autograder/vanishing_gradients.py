"""Checks for lesson 05, the vanishing-gradient experiment (the shape of these modules: autograder/checking.py).

The ground truth is PyTorch: `torch.nn.RNNCell` / `torch.nn.RNN` for the forward
pass, `torch.autograd.functional.jacobian` for the step Jacobians and
`torch.linalg.matrix_norm` for the norms of their products, which the visible
check also tests on cases known in closed form. The adding problem is checked by
its properties.
"""
import numpy as np
import torch

from autograder.checking import as_array, call, expect_close, expect_uniform, show
from autograder.lstm_cell import NAMES, TOLERANCE, random_params

LAYOUT_HINT = "W_ih is (H, D) and W_hh is (H, H): h = tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)."


def random_rnn_params(rng, input_size, hidden_size, scale=0.5):
    """RNN parameters in PyTorch's nn.RNN layout, with normal entries."""
    shapes = {"W_ih": (hidden_size, input_size), "W_hh": (hidden_size, hidden_size), "b_ih": (hidden_size,), "b_hh": (hidden_size,)}
    return {key: rng.normal(0, scale, shape) for key, shape in shapes.items()}


def torch_rnn(params, sequence=False):
    """A float64 torch.nn.RNNCell (or one-layer torch.nn.RNN) holding these parameters."""
    hidden, inputs = params["W_hh"].shape[0], params["W_ih"].shape[1]
    module = (torch.nn.RNN if sequence else torch.nn.RNNCell)(inputs, hidden, dtype=torch.float64)
    suffix = "_l0" if sequence else ""
    module.load_state_dict({f"{t}{suffix}": torch.as_tensor(np.asarray(params[k], dtype=float)) for k, t in NAMES})
    return module


def torch_rnn_step(x, h_prev, params):
    """h of one step of torch.nn.RNNCell."""
    with torch.no_grad():
        return torch_rnn(params)(torch.as_tensor(x), torch.as_tensor(h_prev)).numpy()


def compare_rnn_cell_forward(rnn_cell_forward, x, h_prev, params):
    """rnn_cell_forward against torch.nn.RNNCell, naming the usual mistakes."""
    __tracebackhide__ = True
    N, H = h_prev.shape
    name = f"rnn_cell_forward(x, h_prev, params) with N = {N}, D = {x.shape[1]}, H = {H}"
    got = call(rnn_cell_forward, name, x, h_prev, params, error_hint=LAYOUT_HINT)
    if not isinstance(got, tuple) or len(got) != 2:
        raise AssertionError(f"{name} returned {type(got).__name__}; return a tuple (h, cache).")
    z_wrong = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"] + params["b_hh"]
    expect_close(got[0], torch_rnn_step(x, h_prev, params), name, **TOLERANCE, mistakes={
        "leave out b_hh: PyTorch adds both biases": torch_rnn_step(x, h_prev, {**params, "b_hh": 0 * params["b_hh"]}),
        "multiply h_prev by W_hh instead of W_hh.T": np.tanh(z_wrong),
        "use a sigmoid where nn.RNN uses tanh": 0.5 * (1 + torch_rnn_step(x, h_prev, {k: v / 2 for k, v in params.items()})),
        "forget the tanh": np.arctanh(np.clip(torch_rnn_step(x, h_prev, params), -1 + 1e-15, 1 - 1e-15)),
    })


def check_rnn_cell_forward(rnn_cell_forward):
    """rnn_cell_forward: matches torch.nn.RNNCell (tanh) in float64."""
    __tracebackhide__ = True
    rng = np.random.default_rng(7)
    for N, D, H in [(2, 3, 4), (1, 1, 1), (3, 5, 2)]:
        compare_rnn_cell_forward(rnn_cell_forward, rng.normal(size=(N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H))


def compare_rnn_forward(rnn_forward, xs, h0, params):
    """rnn_forward against a one-layer torch.nn.RNN, naming the usual mistakes."""
    __tracebackhide__ = True
    T, N, D = xs.shape
    H = h0.shape[1]
    name = f"rnn_forward(xs, h0, params) with T = {T}, N = {N}, D = {D}, H = {H}"
    got = call(rnn_forward, name, xs, h0, params, error_hint=LAYOUT_HINT)
    if not isinstance(got, tuple) or len(got) != 3:
        raise AssertionError(f"{name} returned {type(got).__name__}; return (hs, h_T, cache).")
    with torch.no_grad():
        hs, h_T = torch_rnn(params, sequence=True)(torch.as_tensor(xs), torch.as_tensor(h0)[None])
    hs, h_T = hs.numpy(), h_T[0].numpy()
    expect_close(got[0], hs, f"hs from {name}", **TOLERANCE, mistakes={
        "store the state from before each step: hs[t] must be the hidden state after reading xs[t]": np.concatenate([h0[None], hs[:-1]]),
        "start every step from h0 instead of carrying the state forward": np.stack([torch_rnn_step(x, h0, params) for x in xs]),
    })
    expect_close(got[1], h_T, f"h_T from {name}", **TOLERANCE)


def check_rnn_forward(rnn_forward):
    """rnn_forward: matches a one-layer torch.nn.RNN over whole sequences, from a non-zero h0."""
    __tracebackhide__ = True
    rng = np.random.default_rng(8)
    for T, N, D, H in [(5, 2, 3, 4), (1, 1, 1, 2), (9, 3, 2, 3)]:
        compare_rnn_forward(rnn_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H))


def autograd_jacobian(step, state):
    """d step(state) / d state by autograd, for a function of one flat state vector."""
    return torch.autograd.functional.jacobian(step, torch.as_tensor(state)).numpy()


def compare_rnn_step_jacobian(rnn_step_jacobian, x, h_prev, params):
    """rnn_step_jacobian against autograd, example by example, naming the usual mistakes."""
    __tracebackhide__ = True
    N, H = h_prev.shape
    name = f"rnn_step_jacobian(x, h_prev, params) with N = {N}, D = {x.shape[1]}, H = {H}"
    got = call(rnn_step_jacobian, name, x, h_prev, params, error_hint=LAYOUT_HINT)
    module = torch_rnn(params)
    want = np.stack([autograd_jacobian(lambda h: module(torch.as_tensor(x[n])[None], h[None])[0], h_prev[n]) for n in range(N)])
    h = torch_rnn_step(x, h_prev, params)
    W = params["W_hh"]
    expect_close(got, want, name, **TOLERANCE, mistakes={
        "put the tanh derivative on the wrong side: W_hh @ diag(1 - h**2) instead of diag(1 - h**2) @ W_hh":
            W[None] * (1 - h**2)[:, None, :],
        "use W_hh.T: d h_t / d h_(t-1) is diag(1 - h_t**2) @ W_hh": (1 - h**2)[:, :, None] * W.T[None],
        "use 1 - h_prev**2: the derivative of tanh is taken at the new state h_t": (1 - h_prev**2)[:, :, None] * W[None],
        "leave out the tanh derivative": np.broadcast_to(W, (N, H, H)),
    })


def check_rnn_step_jacobian(rnn_step_jacobian):
    """rnn_step_jacobian: diag(1 - h_t^2) @ W_hh for each example, against autograd."""
    __tracebackhide__ = True
    rng = np.random.default_rng(9)
    for N, D, H in [(2, 3, 4), (1, 2, 1), (3, 1, 3)]:
        compare_rnn_step_jacobian(rnn_step_jacobian, rng.normal(size=(N, D)), rng.normal(size=(N, H)), random_rnn_params(rng, D, H))


def torch_lstm_state_step(x, params, cut=None):
    """[h_prev; c_prev] -> [h; c] for one example in torch ops; `cut` leaves one path out of the graph."""
    P = {k: torch.as_tensor(v) for k, v in params.items()}
    H = params["W_hh"].shape[1]

    def step(state):
        h_prev, c_prev = state[:H], state[H:]
        z = torch.as_tensor(x) @ P["W_ih"].T + P["b_ih"] + (h_prev.detach() if cut == "gates" else h_prev) @ P["W_hh"].T + P["b_hh"]
        zi, zf, zg, zo = z.chunk(4)
        c = torch.sigmoid(zf) * c_prev + torch.sigmoid(zi) * torch.tanh(zg)
        h = torch.sigmoid(zo) * torch.tanh(c.detach() if cut == "h_from_c" else c)
        return torch.cat([h, c])
    return step


def compare_lstm_state_jacobian(lstm_state_jacobian, x, h_prev, c_prev, params):
    """lstm_state_jacobian against autograd for one example, naming the usual mistakes."""
    __tracebackhide__ = True
    H = len(h_prev)
    name = f"lstm_state_jacobian(x, h_prev, c_prev, params) with D = {x.shape[0]}, H = {H}"
    got = call(lstm_state_jacobian, name, x, h_prev, c_prev, params,
               error_hint="For one example: x (D,), h_prev (H,), c_prev (H,); return the (2H, 2H) Jacobian of [h_t; c_t].")
    state = np.concatenate([h_prev, c_prev])
    want = autograd_jacobian(torch_lstm_state_step(x, params), state)
    arr = as_array(got, name, want.shape)
    blocks = {"dh_t/dh_(t-1) (top left)": (slice(None, H), slice(None, H)), "dh_t/dc_(t-1) (top right)": (slice(None, H), slice(H, None)),
              "dc_t/dh_(t-1) (bottom left)": (slice(H, None), slice(None, H)), "dc_t/dc_(t-1) (bottom right)": (slice(H, None), slice(H, None))}
    wrong = [label for label, where in blocks.items() if not np.allclose(arr[where], want[where], **TOLERANCE)]
    if wrong and len(wrong) < 4:
        name = f"{name} (wrong blocks: {', '.join(wrong)}; the others are right)"
    expect_close(got, want, name, **TOLERANCE, mistakes={
        "order the state as [c; h]; the contract's order is [h; c], rows and columns":
            np.block([[want[H:, H:], want[H:, :H]], [want[:H, H:], want[:H, :H]]]),
        "keep only the cell path: the gates depend on h_(t-1) too": autograd_jacobian(torch_lstm_state_step(x, params, "gates"), state),
        "forget that h_t depends on c_t: dh/d(prev) gets o * (1 - tanh(c)**2) * dc/d(prev)":
            autograd_jacobian(torch_lstm_state_step(x, params, "h_from_c"), state),
    })


def check_lstm_state_jacobian(lstm_state_jacobian):
    """lstm_state_jacobian: the full (2H, 2H) Jacobian of [h_t; c_t], against autograd."""
    __tracebackhide__ = True
    rng = np.random.default_rng(10)
    for D, H in [(3, 2), (1, 1), (2, 4)]:
        compare_lstm_state_jacobian(lstm_state_jacobian, rng.normal(size=D), rng.normal(size=H), rng.normal(size=H),
                                    random_params(rng, D, H))


def torch_gradient_norms(jacobians):
    """The spectral norms of d s_T / d s_(T-k) = jacobians[T-1] @ ... @ jacobians[T-k], k = 0..T, by PyTorch."""
    steps = torch.as_tensor(np.asarray(jacobians, dtype=float))
    products = [torch.eye(steps.shape[1], dtype=torch.float64)]
    for J in steps.flip(0):
        products.append(products[-1] @ J)
    return torch.linalg.matrix_norm(torch.stack(products), ord=2).numpy()


def compare_gradient_norms_through_time(gradient_norms_through_time, jacobians):
    """gradient_norms_through_time against PyTorch's norms of the products, naming the usual mistakes."""
    __tracebackhide__ = True
    want = torch_gradient_norms(jacobians)
    T, K, _ = jacobians.shape
    name = f"gradient_norms_through_time(jacobians) for T = {T} Jacobians of size {K} x {K}"
    got = call(gradient_norms_through_time, name, jacobians)
    if np.shape(got) == (T,):
        raise AssertionError(f"{name} returned {T} norms; return T + 1, starting with 1.0 for k = 0 (d s_T / d s_T = I).")
    singles = np.concatenate([[1.0], np.cumprod([np.linalg.norm(J, 2) for J in jacobians[::-1]])])
    expect_close(got, want, name, rtol=1e-9, atol=1e-300, mistakes={
        "multiply the norms of the single Jacobians; the norm of a product is not the product of the norms": singles})


def check_gradient_norms_through_time(gradient_norms_through_time):
    """gradient_norms_through_time: spectral norms of the products, k = 0..T, on cases with known answers."""
    __tracebackhide__ = True
    shear = np.array([[[1.0, 1.0], [0.0, 1.0]]])  # spectral norm (1 + sqrt 5) / 2; Frobenius sqrt 3
    name = "gradient_norms_through_time(jacobians) for one Jacobian [[1, 1], [0, 1]]"
    got = call(gradient_norms_through_time, name, shear)
    if np.shape(got) == (1,):
        raise AssertionError(f"{name} returned 1 norm; return T + 1 = 2, starting with 1.0 for k = 0 (d s_T / d s_T = I).")
    got = as_array(got, name, (2,))
    if np.isclose(got[1], np.sqrt(3)):
        raise AssertionError(f"{name} returned {show(got)}: that is the Frobenius norm. Use the spectral norm, "
                             "np.linalg.norm(M, 2), the largest singular value.")
    expect_close(got, [1.0, (1 + np.sqrt(5)) / 2], name, rtol=1e-9)
    # Two Jacobians that do not commute: jacobians[0] = A = diag(2, 1) = d s_1 / d s_0, jacobians[1] = B = [[1, 1], [0, 1]].
    # d s_2 / d s_1 = B, norm (1 + sqrt 5) / 2; d s_2 / d s_0 = B @ A = [[2, 1], [0, 1]], norm sqrt(3 + sqrt 5).
    pair = np.array([[[2.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]]])
    name = "gradient_norms_through_time(jacobians) for jacobians = [diag(2, 1), [[1, 1], [0, 1]]]"
    got = as_array(call(gradient_norms_through_time, name, pair), name, (3,))
    expect_close(got, [1.0, (1 + np.sqrt(5)) / 2, np.sqrt(3 + np.sqrt(5))], name, rtol=1e-9, mistakes={
        "multiply in the wrong order: d s_2 / d s_0 = (d s_2 / d s_1) @ (d s_1 / d s_0) = jacobians[1] @ jacobians[0]":
            [1.0, (1 + np.sqrt(5)) / 2, np.sqrt((9 + np.sqrt(65)) / 2)],
        "multiply the norms of the single Jacobians; the norm of a product is not the product of the norms":
            [1.0, (1 + np.sqrt(5)) / 2, 1 + np.sqrt(5)],
    })
    decays = np.array([0.5, 0.9, 0.8, 0.7])  # diagonal Jacobians: the product's norm is the largest product of entries
    diagonal = np.stack([np.diag([d, d / 2]) for d in decays])
    compare_gradient_norms_through_time(gradient_norms_through_time, diagonal)  # norms np.cumprod(decays[::-1]) after 1.0


def compare_make_adding_problem(make_adding_problem, n, T, seed):
    """The properties of one adding-problem batch."""
    __tracebackhide__ = True
    name = f"make_adding_problem({n}, {T}, rng)"
    got = call(make_adding_problem, name, n, T, np.random.default_rng(seed))
    if not isinstance(got, tuple) or len(got) != 2:
        raise AssertionError(f"{name} returned {type(got).__name__}; return a tuple (xs, y).")
    if np.shape(got[0]) == (n, T, 2) and n != T:
        raise AssertionError(f"{name}: xs has shape (n, T, 2); make it time-major, (T, n, 2).")
    xs, y = as_array(got[0], f"xs from {name}", (T, n, 2)), as_array(got[1], f"y from {name}", (n,))
    values, markers = xs[..., 0], xs[..., 1]
    if not np.isin(markers, [0.0, 1.0]).all() and np.isin(values, [0.0, 1.0]).all():
        raise AssertionError(f"{name}: the channels look swapped: channel 0 holds the values, channel 1 the markers.")
    if values.min() < 0 or values.max() >= 1:
        raise AssertionError(f"{name}: channel 0 ranges over [{values.min():.3f}, {values.max():.3f}]; draw it from U[0, 1).")
    if values.size >= 500:  # else a fair draw is too few to judge
        expect_uniform(values, 0.0, 1.0, f"{name}: channel 0", "Draw the values with rng.uniform(0, 1, size=(T, n)).")
    if not np.isin(markers, [0.0, 1.0]).all() or not (markers.sum(axis=0) == 2).all():
        counts = markers.sum(axis=0)
        bad = int(np.argmax(counts != 2))
        raise AssertionError(f"{name}: sequence {bad} has markers summing to {counts[bad]:g}; each sequence has exactly two 1s in channel 1.")
    half = T // 2
    first, second = markers[:half].sum(axis=0), markers[half:].sum(axis=0)
    if not ((first == 1) & (second == 1)).all():
        bad = int(np.argmax((first != 1) | (second != 1)))
        raise AssertionError(f"{name}: sequence {bad} has {first[bad]:g} markers in steps 0..{half - 1} and {second[bad]:g} in "
                             f"steps {half}..{T - 1}; put one in each half.")
    expect_close(y, (values * markers).sum(axis=0), f"y from {name}", rtol=1e-12, atol=1e-12, mistakes={
        "return the mean of the two marked values; the target is their sum": (values * markers).sum(axis=0) / 2})
    again = call(make_adding_problem, name, n, T, np.random.default_rng(seed))
    other = call(make_adding_problem, name, n, T, np.random.default_rng(seed + 1))
    if not np.array_equal(np.asarray(again[0]), xs) or np.array_equal(np.asarray(other[0]), xs):
        raise AssertionError(f"{name}: draw everything from the rng you are given, so that the same seed gives the same data.")
    if n >= 100:
        for part, offset, label in [(markers[:half], 0, "first"), (markers[half:], half, "second")]:
            steps = np.unique(np.argmax(part, axis=0) + offset)
            if len(steps) < min(len(part), 3):
                raise AssertionError(f"{name}: the {label} markers all sit at steps {steps}; place each at random in its half.")
            where, size = np.argmax(part, axis=0), len(part)  # a uniform step in the half: mean (size - 1) / 2
            spread = np.sqrt((size**2 - 1) / 12 / n)
            if size > 1 and abs(where.mean() - (size - 1) / 2) > 5 * spread:
                raise AssertionError(f"{name}: the {label} markers sit at step {where.mean() + offset:.1f} on average, not in "
                                     f"the middle of their half ({(size - 1) / 2 + offset:.1f}); draw each uniformly from its half.")


def check_make_adding_problem(make_adding_problem):
    """make_adding_problem: shapes, values in [0, 1), two markers (one per half), the target their sum, from the rng."""
    __tracebackhide__ = True
    for n, T in [(5, 10), (200, 7), (3, 100)]:
        compare_make_adding_problem(make_adding_problem, n, T, seed=T)
