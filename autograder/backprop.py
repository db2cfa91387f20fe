"""Checks for lesson 04, backpropagation through time (the shape of these modules: autograder/checking.py).

The ground truth is PyTorch's autograd on the same LSTM, in float64. The usual
mistakes are modelled by giving autograd a slightly different graph (a tanh
whose derivative is 1 - y instead of 1 - y**2, a cell state cut off from h, a
cell path cut between steps, ...), so that a wrong gradient can be matched to
the mistake that produces it without writing the backward pass here.
"""
import itertools

import numpy as np
import torch

from autograder.checking import DIAGNOSIS, as_array, call, expect_close, show
from autograder.lstm_cell import PARAMS, TOLERANCE, compare_lstm_cell_forward, random_params

GRADIENT_TOLERANCE = dict(rtol=1e-7, atol=1e-10)


class TanhWithWrongDerivative(torch.autograd.Function):
    """tanh whose backward uses 1 - y, the classic slip for 1 - y**2."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y)


def torch_step(x, h, c, P, wrong_candidate_tanh=False, wrong_output_tanh=False, c_not_through_h=False):
    """One LSTM step in torch ops on tensors, with optional mistakes in the graph."""
    z = x @ P["W_ih"].T + P["b_ih"] + h @ P["W_hh"].T + P["b_hh"]
    zi, zf, zg, zo = z.chunk(4, dim=-1)
    candidate = TanhWithWrongDerivative.apply if wrong_candidate_tanh else torch.tanh
    squash = TanhWithWrongDerivative.apply if wrong_output_tanh else torch.tanh
    c_next = torch.sigmoid(zf) * c + torch.sigmoid(zi) * candidate(zg)
    h_next = torch.sigmoid(zo) * squash(c_next.detach() if c_not_through_h else c_next)
    return h_next, c_next


def torch_gradients(xs, h0, c0, params, dhs, dh_T, dc_T, cut_cell_path=False, cut_hidden_path=False,
                    params_last_step_only=False, **mistakes):
    """Gradients of L = sum(hs * dhs) + sum(h_T * dh_T) + sum(c_T * dc_T) by autograd: {name: array}."""
    X = torch.tensor(xs, requires_grad=True)
    H0, C0 = torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h, c, loss = H0, C0, 0
    for t in range(len(xs)):
        step_params = P if not params_last_step_only or t == 0 else {k: v.detach() for k, v in P.items()}
        h_in = h.detach() if cut_hidden_path and t > 0 else h
        h, c = torch_step(X[t], h_in, c.detach() if cut_cell_path and t > 0 else c, step_params, **mistakes)
        loss = loss + (h * torch.tensor(dhs[t])).sum()
    loss = loss + (h * torch.tensor(dh_T)).sum() + (c * torch.tensor(dc_T)).sum()
    loss.backward()
    grads = {"dxs": X.grad.numpy(), "dh0": H0.grad.numpy(), "dc0": C0.grad.numpy()}
    grads.update({k: (v.grad.numpy() if v.grad is not None else np.zeros_like(params[k])) for k, v in P.items()})
    return grads


def gradient_mistakes(xs, h0, c0, params, dhs, dh_T, dc_T, sequence):
    """The right gradients, and {description: gradients} for the classic mistakes, by autograd."""
    args = (xs, h0, c0, params, dhs, dh_T, dc_T)
    models = {
        "use 1 - g for the candidate's tanh derivative; it is 1 - g**2":
            torch_gradients(*args, wrong_candidate_tanh=True),
        "use 1 - tanh(c) for the output's tanh derivative; it is 1 - tanh(c)**2":
            torch_gradients(*args, wrong_output_tanh=True),
        "forget the gradient that reaches c through h: dc += dh * o * (1 - tanh(c)**2)":
            torch_gradients(*args, c_not_through_h=True),
    }
    if sequence:
        models["do not pass dc_prev back to the previous step: dc accumulates along the cell path"] = \
            torch_gradients(*args, cut_cell_path=True)
        models["overwrite the parameter gradients at each step instead of summing them over time"] = \
            torch_gradients(*args, params_last_step_only=True)
        models["drop the dh_prev that comes back from the next step: step t's dh is dhs[t] plus it"] = \
            torch_gradients(*args, cut_hidden_path=True)
    right = torch_gradients(*args)
    models["average the parameter gradients over the batch instead of summing them"] = \
        {k: (v / xs.shape[1] if k in PARAMS else v) for k, v in right.items()}
    if sequence:
        models["average the parameter gradients over time instead of summing them"] = \
            {k: (v / len(xs) if k in PARAMS else v) for k, v in right.items()}
        models["return dxs in reverse order: dxs[t] belongs to xs[t]"] = {**right, "dxs": right["dxs"][::-1]}
    return right, models


def expect_gradients(got, right, models, name):
    """Compare each gradient; name the wrong one, by how much, and the mistake it matches."""
    __tracebackhide__ = True
    for key, want in right.items():
        label = key
        value = as_array(got[key], f"{label} from {name}", want.shape)
        if np.allclose(value, want, **GRADIENT_TOLERANCE):
            continue
        error = step_error(value, want)
        lines = [f"{name}: the gradient {label} is wrong (relative error {error:.1e}; it must be below 1e-7).",
                 f"  expected: {show(want)}", f"  got:      {show(value)}"]
        lines += diagnosis(got, right, models, key, value)
        raise AssertionError("\n".join(lines))


def diagnosis(got, right, models, key, value):
    """The lines naming the mistake that a wrong gradient matches: a modelled mistake, or the gate blocks reordered."""
    def close(a, b):
        return np.allclose(np.asarray(a, dtype=float), b, rtol=1e-6, atol=1e-9)

    matched = [description for description, model in models.items() if all(close(got[k], model[k]) for k in right)]
    matched = matched or [description for description, model in models.items() if close(value, model[key])]
    if matched:
        return [f"{DIAGNOSIS} {matched[0]}."]
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3) and all(close(got[k], np.concatenate([np.split(right[k], 4)[j] for j in order])) for k in PARAMS):
            names = ", ".join("ifgo"[j] for j in order)
            return [f"The parameter gradients have their blocks in the order {names}: stack dz as [di, df, dg, do], "
                    "the order of the forward pass (i, f, g, o)."]
    return []


def unpack(got, name, count, what):
    """Check the shape of a returned tuple whose last element is the grads dict."""
    __tracebackhide__ = True
    if not isinstance(got, tuple) or len(got) != count or not isinstance(got[-1], dict) or set(got[-1]) != set(PARAMS):
        raise AssertionError(f"{name} must return {what}, with grads a dict with keys W_ih, W_hh, b_ih, b_hh.")
    return got


def compare_lstm_cell_backward(lstm_cell_backward, lstm_cell_forward, x, h_prev, c_prev, params, dh, dc):
    """lstm_cell_backward after the learner's own forward, against autograd, for one case."""
    __tracebackhide__ = True
    compare_lstm_cell_forward(lstm_cell_forward, x, h_prev, c_prev, params)
    N, H = h_prev.shape
    name = f"lstm_cell_backward(dh, dc, cache) with N = {N}, D = {x.shape[1]}, H = {H}"
    right, models = gradient_mistakes(x[None], h_prev, c_prev, params, np.zeros((1, N, H)), dh, dc, sequence=False)
    right, models = one_step(right), {description: one_step(model) for description, model in models.items()}
    _, _, cache = lstm_cell_forward(x.copy(), h_prev.copy(), c_prev.copy(), {k: v.copy() for k, v in params.items()})
    dx, dh_prev, dc_prev, grads = unpack(call(lstm_cell_backward, name, dh, dc, cache, error_hint=CACHE_HINT),
                                         name, 4, "(dx, dh_prev, dc_prev, grads)")
    expect_gradients({"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev, **grads}, right, models, name)


def one_step(gradients):
    """Gradients of a one-step sequence, under the names of a single step."""
    renamed = {"dxs": "dx", "dh0": "dh_prev", "dc0": "dc_prev"}
    return {renamed.get(k, k): (v[0] if k == "dxs" else v) for k, v in gradients.items()}


CACHE_HINT = "The cache must hold everything the backward pass needs, the weights included: do not rely on global variables."


def check_lstm_cell_backward(lstm_cell_backward, lstm_cell_forward):
    """lstm_cell_backward: every gradient of one step matches autograd to a relative error below 1e-7."""
    __tracebackhide__ = True
    rng = np.random.default_rng(5)
    for N, D, H in [(2, 3, 4), (1, 1, 1), (3, 2, 5)]:
        params = random_params(rng, D, H)
        compare_lstm_cell_backward(lstm_cell_backward, lstm_cell_forward, rng.normal(size=(N, D)), rng.normal(size=(N, H)),
                                   rng.normal(size=(N, H)), params, rng.normal(size=(N, H)), rng.normal(size=(N, H)))


def compare_lstm_backward(lstm_backward, lstm_forward, xs, h0, c0, params, dhs, dh_T, dc_T):
    """lstm_backward after the learner's own lstm_forward, against autograd, for one case; dh_T, dc_T may be None."""
    __tracebackhide__ = True
    T, N, D = xs.shape
    H = h0.shape[1]
    extra = ", dh_T, dc_T" if dh_T is not None else ""
    name = f"lstm_backward(dhs, cache{extra}) with T = {T}, N = {N}, D = {D}, H = {H}"
    hs, _, cache = lstm_forward(xs.copy(), h0.copy(), c0.copy(), {k: v.copy() for k, v in params.items()})
    if not np.allclose(hs, torch_hidden_states(xs, h0, c0, params), **TOLERANCE):
        raise AssertionError("Your lstm_forward does not match PyTorch: make it pass its own check first.")
    zeros = np.zeros((N, H))
    right, models = gradient_mistakes(xs, h0, c0, params, dhs, zeros if dh_T is None else dh_T,
                                   zeros if dc_T is None else dc_T, sequence=True)
    args = (dhs, cache) if dh_T is None else (dhs, cache, dh_T, dc_T)
    dxs, dh0, dc0, grads = unpack(call(lstm_backward, name, *args, error_hint=CACHE_HINT), name, 4, "(dxs, dh0, dc0, grads)")
    expect_gradients({"dxs": dxs, "dh0": dh0, "dc0": dc0, **grads}, right, models, name)


def torch_hidden_states(xs, h0, c0, params):
    """The hidden states of the torch graph used as ground truth, without gradients."""
    with torch.no_grad():
        h, c, hs = torch.tensor(h0), torch.tensor(c0), []
        P = {k: torch.tensor(v) for k, v in params.items()}
        for x in torch.tensor(xs):
            h, c = torch_step(x, h, c, P)
            hs.append(h.numpy())
    return np.stack(hs)


def check_lstm_backward(lstm_backward, lstm_forward):
    """lstm_backward: every gradient of a sequence matches autograd, with and without dh_T and dc_T."""
    __tracebackhide__ = True
    rng = np.random.default_rng(6)
    for T, N, D, H, final in [(4, 2, 3, 3, False), (6, 3, 2, 4, True), (1, 1, 2, 2, True)]:
        params = random_params(rng, D, H)
        state = (rng.normal(size=(N, H)), rng.normal(size=(N, H))) if final else (None, None)
        compare_lstm_backward(lstm_backward, lstm_forward, rng.normal(size=(T, N, D)), rng.normal(size=(N, H)),
                              rng.normal(size=(N, H)), params, rng.normal(size=(T, N, H)), *state)


TEST_FUNCTION = "f(x) = sum(exp(3 x)) + sum(x)**2"


def compare_numerical_gradient(numerical_gradient, x, eps):
    """numerical_gradient of f(x) = sum(exp(3x)) + sum(x)**2, whose central difference is known exactly.

    The exponential's central difference is exp(3x) sinh(3 eps) / eps; the square's is exact, 2 sum(x).
    The square couples the entries, so a nudge left in place shows.
    """
    __tracebackhide__ = True
    calls = []

    def f(v):
        calls.append(np.shape(v))
        v = np.asarray(v, dtype=float)
        return float(np.sum(np.exp(3.0 * v)) + np.sum(v) ** 2)

    name = f"numerical_gradient(f, x, eps={eps}) for {TEST_FUNCTION} at x = {show(x)}"
    got = call(numerical_gradient, name, f, x, eps) if eps is not None else call(numerical_gradient, name, f, x)
    step = 1e-6 if eps is None else eps
    square = 2 * np.sum(x)
    central = np.exp(3 * x) * np.sinh(3 * step) / step + square
    if calls and any(shape != x.shape for shape in calls):
        raise AssertionError(f"{name} called f with an array of shape {calls[0]}; call it with arrays shaped like x, {x.shape}.")
    other = 1e-4 if step != 1e-4 else 1e-3
    expect_close(got, central, name, rtol=1e-6, atol=1e-9, mistakes={
        "take a forward difference (f(x + eps) - f(x)) / eps; the central one is (f(x + eps) - f(x - eps)) / (2 eps)":
            np.exp(3 * x) * np.expm1(3 * step) / step + square + step,
        "forget to divide by 2 eps (or divide by eps only)": 2 * central,
        "ignore the eps argument and use another step": np.exp(3 * x) * np.sinh(3 * other) / other + square,
    })


def check_numerical_gradient(numerical_gradient):
    """numerical_gradient: central differences with the given eps, any shape, x left unchanged."""
    __tracebackhide__ = True
    compare_numerical_gradient(numerical_gradient, np.array([0.1, -0.4, 0.7]), None)
    compare_numerical_gradient(numerical_gradient, np.array([[0.3, -0.2], [0.0, 0.5]]), 1e-2)
    compare_numerical_gradient(numerical_gradient, np.array([0.2, 1.0]), 0.1)


RELATIVE_ERROR_CASES = [  # (a, b, expected), worked out by hand
    ([1.0, 2.0], [1.0, 2.2], 0.2 / 4.2),
    ([[3.0, -1.0]], [[3.0, 1.0]], 1.0),
    ([0.0, 0.0], [0.0, 0.0], 0.0),
    ([1e-10], [0.0], 1e-2),
    ([5.0, 0.5], [4.9, 0.6], abs(0.5 - 0.6) / 1.1),  # the largest ratio, not the ratio of the largest values
]


def compare_relative_error(relative_error, a, b):
    """relative_error(a, b) against max |a - b| / max(1e-8, |a| + |b|), naming the usual mistakes."""
    __tracebackhide__ = True
    name = f"relative_error(a, b) for a = {show(a)}, b = {show(b)}"
    got = call(relative_error, name, a, b,
               hint="When a and b are both 0 the denominator is 0: use max(1e-8, |a| + |b|) as the denominator.")
    if not isinstance(got, float):
        raise AssertionError(f"{name} returned a {type(got).__name__}; return a Python float (float(...)).")
    if not np.isfinite(got):
        raise AssertionError(f"{name} returned {got}: when a and b are both 0 the denominator is 0. "
                             "Use max(1e-8, |a| + |b|) as the denominator.")
    difference, total = np.abs(a - b), np.abs(a) + np.abs(b)
    want = float(np.max(difference / np.maximum(1e-8, total)))
    if not np.isclose(got, want, rtol=1e-9, atol=1e-15):
        hint = ""
        tiny = (total > 0) & (total < 1e-8)
        if tiny.any():  # where the floor decides
            with np.errstate(invalid="ignore"):
                hint = (f" Without the 1e-8 floor you get {float(np.nanmax(difference / total))!r} here: "
                        "the denominator is max(1e-8, |a| + |b|).")
        if np.isclose(got, np.max(difference / (1e-8 + total)), rtol=1e-12, atol=0):
            hint = " It looks like you added 1e-8 to the denominator: take max(1e-8, |a| + |b|) instead."
        raise AssertionError(f"{name} returned {got!r}, expected {want!r}: the largest of |a - b| / max(1e-8, |a| + |b|), "
                             f"elementwise, with absolute values in the denominator.{hint}")


def check_relative_error(relative_error):
    """relative_error: max |a - b| / max(1e-8, |a| + |b|), elementwise then the largest, as a Python float."""
    __tracebackhide__ = True
    for a, b, _ in RELATIVE_ERROR_CASES:
        compare_relative_error(relative_error, np.array(a), np.array(b))


# "Check yourself" while deriving one step backward: not graded, it prints and never raises.
STEPS = {  # each intermediate gradient of one step, and the hint that derives it
    "do": 1, "dc_via_h": 1, "dc_total": 2, "di": 3, "df": 3, "dg": 3, "dc_prev": 3, "dz": 4,
    "dx": 5, "dh_prev": 5, "W_ih": 6, "W_hh": 6, "b_ih": 6, "b_hh": 6,
}
UPSTREAM = {  # the earlier results each step is computed from (do and dc_via_h come from dh alone)
    "do": (), "dc_via_h": (), "dc_total": ("dc_via_h",), "di": ("dc_total",), "df": ("dc_total",),
    "dg": ("dc_total",), "dc_prev": ("dc_total",), "dz": ("di", "df", "dg", "do"), "dx": ("dz",),
    "dh_prev": ("dz",), "W_ih": ("dz",), "W_hh": ("dz",), "b_ih": ("dz",), "b_hh": ("dz",),
}
NODE = {"do": "o", "dc_via_h": "c_via_h", "dc_total": "c", "di": "i", "df": "f", "dg": "g", "dc_prev": "c_prev",
        "dz": "z", "dx": "x", "dh_prev": "h_prev"}  # the node of the step graph whose gradient each step is
GATE_AXIS = {"dz": 1, "W_ih": 0, "W_hh": 0, "b_ih": 0, "b_hh": 0}  # the axis along which the blocks i, f, g, o sit
STEP_TOLERANCE = 1e-7


def torch_step_graph(x, h_prev, c_prev, params, dh, dc):
    """One step as a torch graph, every intermediate kept: {name: tensor}, and the loss sum(h * dh) + sum(c * dc)."""
    X, Hp, Cp = (torch.tensor(np.asarray(a, dtype=float), requires_grad=True) for a in (x, h_prev, c_prev))
    P = {k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()}
    z = X @ P["W_ih"].T + P["b_ih"] + Hp @ P["W_hh"].T + P["b_hh"]
    zi, zf, zg, zo = z.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
    c = f * Cp + i * g
    c_via_h = c + 0  # its own node, so that autograd reports the part of dL/dc that comes through h
    h = o * torch.tanh(c_via_h)
    nodes = {"z": z, "i": i, "f": f, "g": g, "o": o, "c": c, "c_via_h": c_via_h, "x": X, "h_prev": Hp, "c_prev": Cp, **P}
    return nodes, (h * torch.tensor(dh)).sum() + (c * torch.tensor(dc)).sum()


def torch_backward_steps(x, h_prev, c_prev, params, dh, dc):
    """The gradient of L = sum(h * dh) + sum(c * dc) with respect to every intermediate of one step, by autograd."""
    nodes, loss = torch_step_graph(x, h_prev, c_prev, params, dh, dc)
    tensors = [nodes[NODE.get(name, name)] for name in STEPS]
    return {name: grad.numpy() for name, grad in zip(STEPS, torch.autograd.grad(loss, tensors))}


def torch_steps_from(mine, x, h_prev, c_prev, params, dh, dc):
    """Autograd's value of each step computed from YOUR earlier results (where you gave them), not from its own:
    {name: array}. A step that matches this but not autograd's own value is right; an earlier one is wrong."""
    nodes, _ = torch_step_graph(x, h_prev, c_prev, params, dh, dc)
    mine = {k: torch.tensor(np.asarray(v, dtype=float)) for k, v in mine.items()
            if v is not None and k in STEPS and np.shape(v) == tuple(nodes[NODE.get(k, k)].shape)}

    def grad(outputs, inputs, upstream):
        return [t.numpy() for t in torch.autograd.grad(outputs, inputs, upstream, retain_graph=True)]

    local = {}
    if "dc_via_h" in mine:  # c reaches the loss directly, with dc, and through h, with your dc_via_h
        local["dc_total"], = grad([nodes["c"], nodes["c_via_h"]], [nodes["c"]], [torch.tensor(dc), mine["dc_via_h"]])
    if "dc_total" in mine:
        local.update(zip(["di", "df", "dg", "dc_prev"],
                         grad([nodes["c"]], [nodes[k] for k in ("i", "f", "g", "c_prev")], [mine["dc_total"]])))
    if all(k in mine for k in ("di", "df", "dg", "do")):
        local["dz"], = grad([nodes[k] for k in "ifgo"], [nodes["z"]], [mine[k] for k in ("di", "df", "dg", "do")])
    if "dz" in mine:
        later = ["dx", "dh_prev", "W_ih", "W_hh", "b_ih", "b_hh"]
        local.update(zip(later, grad([nodes["z"]], [nodes[NODE.get(k, k)] for k in later], [mine["dz"]])))
    return local


def torch_step_values(x, h_prev, c_prev, params):
    """(i, f, g, o, c) of one forward step, by PyTorch in float64: the values a derivation of the step backward uses."""
    nodes, _ = torch_step_graph(x, h_prev, c_prev, params, 0.0, 0.0)
    return tuple(nodes[name].detach().numpy() for name in "ifgoc")


def head(values):
    """The first three entries of an array, printed short."""
    return np.array2string(np.ravel(values)[:3], precision=4, separator=", ")


def step_error(a, b):
    """The relative error of lesson 04, max |a - b| / max(1e-8, |a| + |b|): the checks' own, not the learner's."""
    difference, total = np.abs(a - b), np.abs(a) + np.abs(b)
    return float(np.max(difference / np.maximum(1e-8, total)))


def block_order(got, want, axis):
    """The order of gates ("i, f, o, g") in which `got` holds want's four blocks, if it is a reordering; else None."""
    blocks = np.split(want, 4, axis=axis)
    for order in itertools.permutations(range(4)):
        if order != (0, 1, 2, 3) and step_error(got, np.concatenate([blocks[j] for j in order], axis=axis)) < STEP_TOLERANCE:
            return ", ".join("ifgo"[j] for j in order)
    return None


def show_backward_steps(mine, x, h_prev, c_prev, params, dh, dc):
    """Print each of your intermediate gradients beside autograd's; returns {name: relative error} of those given.

    A step is judged twice: against autograd's value, and against autograd's value computed from your own earlier
    results. Right from your earlier results but not overall means the mistake is earlier: only the first wrong
    step is flagged WRONG.
    """
    right = torch_backward_steps(x, h_prev, c_prev, params, dh, dc)
    local = torch_steps_from(mine, x, h_prev, c_prev, params, dh, dc)
    errors, first_wrong = {}, None
    print(f"{'gradient':9} {'hint':>4}  {'autograd (first entries)':30} {'yours (first entries)':30} verdict")
    for name, hint in STEPS.items():
        want, got = right[name], mine.get(name)
        if got is None:
            verdict, yours = "not derived yet", "-"
        elif np.shape(got) != want.shape:
            verdict, yours = f"shape {np.shape(got)}, autograd's is {want.shape}", "-"
        else:
            got = np.asarray(got, dtype=float)
            errors[name] = step_error(got, want)
            yours = head(got)
            if errors[name] < STEP_TOLERANCE:
                verdict = f"right (relative error {errors[name]:.0e})"
            elif name in local and step_error(got, local[name]) < STEP_TOLERANCE:
                verdict = f"right given your {', '.join(UPSTREAM[name])} (off by {errors[name]:.0e} only through it)"
            else:
                verdict = f"WRONG (relative error {errors[name]:.0e})"
                first_wrong = first_wrong or name
                if name in GATE_AXIS:
                    order = block_order(got, want, GATE_AXIS[name]) or (
                        block_order(got, local[name], GATE_AXIS[name]) if name in local else None)
                    if order:
                        verdict += f": autograd's four blocks in the order {order}; stack them i, f, g, o, as the forward pass"
        print(f"{name:9} {hint:>4}  {head(want):30} {yours:30} {verdict}")
    if first_wrong:
        print(f"Fix the first WRONG row first: {first_wrong} (hint {STEPS[first_wrong]}). "
              "Rows that say 'right given your ...' follow correctly from your earlier values.")
    elif len(errors) == len(STEPS) and max(errors.values()) < STEP_TOLERANCE:
        print("Every step is right.")
    return errors
