"""Checks for lesson 06, switches and counters (the shape of these modules: autograder/checking.py).

`saturation_fractions` is checked against numpy's own comparisons, boundary
values included. `LSTMVariantCell` with its defaults is checked against
`torch.nn.LSTMCell` (outputs and gradients, float64); each option against the
cell's equations written out in numpy (`variant_step`), its gradients against
central differences of `variant_step`.

The learner's cell is only ever touched by `probe_cell`, which runs where the
cell lives (in the student's kernel at grade time) and reports plain data; every
verdict is reached here, on that data.
"""
import numpy as np
import torch

from autograder.checking import as_array, beside, call, expect_close
from autograder.lstm_cell import NAMES, PARAMS, TOLERANCE, cell_mistakes, random_params, torch_cell_forward, torch_module

# PyTorch's names of the parameters, in the order of PARAMS (the numpy names), with their shapes.
PARAMETER_SHAPES = {"weight_ih": ("4H", "D"), "weight_hh": ("4H", "H"), "bias_ih": ("4H",), "bias_hh": ("4H",)}
OPTIONS = [{}, {"candidate": "sigmoid"}, {"candidate": "identity"}, {"output": "identity"},
           {"forget_gate": False}, {"coupled": True}]


def compare_saturation_fractions(saturation_fractions, gates, thresholds=None):
    """saturation_fractions on one gates array, with the default thresholds or explicit (low, high)."""
    __tracebackhide__ = True
    low, high = thresholds or (0.1, 0.9)
    T, N, H = gates.shape
    args = (gates,) if thresholds is None else (gates, low, high)
    name = f"saturation_fractions(gates{'' if thresholds is None else f', low={low}, high={high}'}) with gates of shape {gates.shape}"
    got = call(saturation_fractions, name, *args)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise AssertionError(f"{name} returned {type(got).__name__}; return a tuple (left, right) of two arrays.")
    for part, side in zip(got, ["left", "right"]):
        shape = np.shape(part)
        if shape != (H,) and len(shape) in (1, 2):
            raise AssertionError(f"{name}: {side} has shape {shape}, expected ({H},), one fraction per unit. "
                                 "Average over both time and batch, the first two axes: axis=(0, 1).")
    below, above = gates < low, gates > high
    expect_close(got[0], below.mean(axis=(0, 1)), f"{name}, left (the fraction strictly below low)", mistakes={
        "count the entries instead of taking their fraction": below.sum(axis=(0, 1)),
        "count entries equal to low as below it: 'below' means strictly less than low": (gates <= low).mean(axis=(0, 1)),
        "swap the two: left is the fraction below low, right the fraction above high": above.mean(axis=(0, 1)),
        "ignore the low and high arguments": (gates < 0.1).mean(axis=(0, 1)),
    })
    expect_close(got[1], above.mean(axis=(0, 1)), f"{name}, right (the fraction strictly above high)", mistakes={
        "count the entries instead of taking their fraction": above.sum(axis=(0, 1)),
        "count entries equal to high as above it: 'above' means strictly greater than high": (gates >= high).mean(axis=(0, 1)),
        "swap the two: left is the fraction below low, right the fraction above high": below.mean(axis=(0, 1)),
        "ignore the low and high arguments": (gates > 0.9).mean(axis=(0, 1)),
        "take the fraction not below low, 1 - left, instead of the fraction above high": 1 - below.mean(axis=(0, 1)),
    })


def check_saturation_fractions(saturation_fractions):
    """saturation_fractions: per-unit fractions below low / above high, boundaries excluded."""
    __tracebackhide__ = True
    by_hand = np.array([[[0.05, 0.5, 0.95], [0.1, 0.95, 0.5]], [[0.9, 0.0, 0.99], [0.0, 0.3, 0.97]]])  # T = 2, N = 2, H = 3
    compare_saturation_fractions(saturation_fractions, by_hand)
    rng = np.random.default_rng(6)
    compare_saturation_fractions(saturation_fractions, rng.uniform(size=(5, 3, 4)))
    compare_saturation_fractions(saturation_fractions, rng.uniform(size=(7, 1, 3)), thresholds=(0.25, 0.6))


def forced(params, block, bias, scale=0.0):
    """Parameters whose gate block (0..3 for i, f, g, o) is scaled by `scale` and given the extra bias `bias`."""
    H = params["W_hh"].shape[1]
    changed = {name: np.array(value, dtype=float) for name, value in params.items()}
    for name in changed:
        changed[name][block * H:(block + 1) * H] *= scale
    changed["b_ih"][block * H:(block + 1) * H] += bias
    return changed


def torch_gates(x, h_prev, c_prev, params):
    """The gates i, f, o and the candidate's pre-activation z_g of one step, measured on torch.nn.LSTMCell.

    Each is read off the cell's output with the other parts forced: a bias of 1e4 makes a gate exactly 1
    (and tanh of the candidate exactly 1), -1e4 makes a gate exactly 0.
    """
    zero, one = np.zeros_like(c_prev), np.ones_like(c_prev)
    candidate_one = forced(params, 2, 1e4)
    i = torch_cell_forward(x, h_prev, zero, candidate_one)[1]  # c = f * 0 + i * 1
    f = torch_cell_forward(x, h_prev, one, forced(params, 0, -1e4))[1]  # c = f * 1 + 0 * g
    o = torch_cell_forward(x, h_prev, zero, forced(candidate_one, 0, 1e4))[0] / np.tanh(1.0)  # h = o * tanh(1)
    small = 1e-8  # tanh(small * z) / small is z to a relative 1e-16 * z**2
    z_g = torch_cell_forward(x, h_prev, zero, forced(forced(params, 2, 0.0, small), 0, 1e4))[1] / small
    return i, f, z_g, o


def variant_step(x, h_prev, c_prev, params, candidate="tanh", output="tanh", forget_gate=True, coupled=False):
    """(h, c) of one step of the configurable cell, built from the gates that torch.nn.LSTMCell computes."""
    i, f, z_g, o = torch_gates(x, h_prev, c_prev, params)
    forget = 1 - i if coupled else f if forget_gate else np.ones_like(f)
    written = {"tanh": np.tanh(z_g), "sigmoid": 1 / (1 + np.exp(-z_g)), "identity": z_g}[candidate]
    cell = forget * c_prev + i * written
    return o * (np.tanh(cell) if output == "tanh" else cell), cell


def describe(options):
    """The keyword arguments of a call, as the learner would write them."""
    return "".join(f", {key}={value!r}" for key, value in options.items())


def cell_call(input_size, hidden_size, options):
    """The learner's constructor call, as they would write it."""
    return f"LSTMVariantCell({input_size}, {hidden_size}{describe(options)})"


def in_place_advice(error):
    """Advice for an error that autograd raises about an in-place change or mixed dtypes, or nothing."""
    text = str(error)
    if "in-place" in text or "inplace" in text:
        return "\nDo not change h, c or a parameter in place (c.mul_(f), c += ...): write new tensors, c = f * c + i * g."
    if "same dtype" in text or "dtype" in text and "double" in text:
        return ("\nDo not cast the inputs or the parameters (.float(), dtype=torch.float32): compute in the dtype you are "
                "given; the check runs your cell in float64, after .double().")
    return ""


def probe_cell(LSTMVariantCell, input_size, hidden_size, options, state=None, inputs=None, weights=None, name=None):
    """Build the learner's cell where it lives, run it on numpy (x, h_prev, c_prev) if given, and report plain data only."""
    __tracebackhide__ = True
    built = cell_call(input_size, hidden_size, options)
    try:
        cell = LSTMVariantCell(input_size, hidden_size, **options)
    except NotImplementedError:
        raise AssertionError(f"{built}: not implemented yet. Replace `raise NotImplementedError()` with your code.") from None
    except Exception as error:
        raise AssertionError(f"{built} raised {type(error).__name__}: {error}") from error
    if not isinstance(cell, torch.nn.Module):
        raise AssertionError(f"{built} is a {type(cell).__name__}; LSTMVariantCell must subclass torch.nn.Module "
                             "(and call super().__init__() first).")
    got = {"parameters": {key: value.detach().double().numpy() for key, value in cell.named_parameters()}}
    if inputs is None:
        return got
    name = name or built
    if np.asarray(inputs[0]).dtype == np.float64:  # float32 inputs test that the cell keeps its parameters' dtype
        cell = cell.double()
    if state is not None:
        try:
            cell.load_state_dict({key: torch.tensor(value) for key, value in state.items()})
        except Exception as error:
            raise AssertionError(f"{name}: loading a torch.nn.LSTMCell's state dict raised {type(error).__name__}: {error}") from error
    x, h_prev, c_prev = (torch.tensor(value, requires_grad=weights is not None) for value in inputs)  # as in training
    try:
        out = cell(x, (h_prev, c_prev))
    except NotImplementedError:
        raise AssertionError(f"{name}: forward is not implemented yet. Replace `raise NotImplementedError()` with your code.") from None
    except Exception as error:
        raise AssertionError(f"{name} raised {type(error).__name__}: {error}{in_place_advice(error)}") from error
    if not isinstance(out, tuple) or len(out) != 2 or not all(isinstance(v, torch.Tensor) for v in out):
        raise AssertionError(f"{name} returned {type(out).__name__}; forward must return a tuple (h, c) of tensors.")
    h, c = out
    got.update(h=h.detach().double().numpy(), c=c.detach().double().numpy(), dtypes=[str(h.dtype), str(c.dtype)],
               requires_grad=bool(h.requires_grad))
    if weights is not None:  # the gradients of the loss sum(h * weights[0]) + sum(c * weights[1])
        loss = (h * torch.tensor(weights[0], dtype=h.dtype)).sum() + (c * torch.tensor(weights[1], dtype=c.dtype)).sum()
        if loss.requires_grad:
            try:
                loss.backward()
            except Exception as error:
                raise AssertionError(f"{name}: backward raised {type(error).__name__}: {error}{in_place_advice(error)}") from error
        got["grads"] = {key: None if value.grad is None else value.grad.double().numpy() for key, value in cell.named_parameters()}
    return got


def make_cell(LSTMVariantCell, input_size, hidden_size, options):
    """Construct the learner's cell and check its parameters' names, shapes and initial values."""
    __tracebackhide__ = True
    name = cell_call(input_size, hidden_size, options)
    found = beside(LSTMVariantCell, probe_cell)(LSTMVariantCell, input_size, hidden_size, options)["parameters"]
    sizes = {"4H": 4 * hidden_size, "H": hidden_size, "D": input_size}
    for key, shape in PARAMETER_SHAPES.items():
        want = tuple(sizes[s] for s in shape)
        if key not in found:
            raise AssertionError(f"{name} has no parameter `{key}` (it has {sorted(found) or 'none'}). Use torch.nn.LSTMCell's "
                                 f"names: weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,), as torch.nn.Parameter.")
        if np.shape(found[key]) != want:
            raise AssertionError(f"{name}: {key} has shape {np.shape(found[key])}, expected {want}.")
    if set(found) != set(PARAMETER_SHAPES):
        raise AssertionError(f"{name} has parameters {sorted(found)}; it should have exactly {sorted(PARAMETER_SHAPES)}, "
                             "so that a torch.nn.LSTMCell's state dict loads into it.")
    if any(np.std(value) == 0 for value in found.values()):
        raise AssertionError(f"{name}: a parameter is constant at creation. Initialise like torch.nn.LSTMCell, "
                             "uniform in (-1/sqrt(H), 1/sqrt(H)), so that the units start different.")
    bound = hidden_size ** -0.5
    for key, value in found.items():
        one_signed = value.size >= 40 and (value.min() >= 0 or value.max() <= 0)  # by chance: less than 2e-12
        if np.abs(value).max() > bound * (1 + 1e-6) or one_signed:  # 1e-6: the bound rounded to float32
            raise AssertionError(f"{name}: {key} starts in [{value.min():.3g}, {value.max():.3g}]. Initialise like "
                                 f"torch.nn.LSTMCell: uniform in (-1/sqrt(H), 1/sqrt(H)) = ({-bound:.3g}, {bound:.3g}).")


def run_cell(LSTMVariantCell, options, name, inputs, state=None, weights=None):
    """Run the learner's cell on numpy inputs (x, h_prev, c_prev) where it lives; what probe_cell reports, dtypes checked."""
    __tracebackhide__ = True
    input_size, hidden_size = inputs[0].shape[1], inputs[1].shape[1]
    got = beside(LSTMVariantCell, probe_cell)(LSTMVariantCell, input_size, hidden_size, options,
                                              state=state, inputs=inputs, weights=weights, name=name)
    dtype = f"torch.{inputs[0].dtype}"
    returned = next((d for d in got["dtypes"] if d != dtype), None)
    if returned and dtype == "torch.float64":
        raise AssertionError(f"{name} returned {returned} for {dtype} inputs. Do not cast (.float(), "
                             "dtype=torch.float32): the check runs your cell in float64, after .double().")
    if returned:
        raise AssertionError(f"{name} returned {returned} for {dtype} inputs; keep the parameters' dtype.")
    return got


def torch_state(params):
    """The state dict of a torch.nn.LSTMCell holding these parameters, as numpy arrays."""
    return {key: value.numpy() for key, value in torch_module(params).state_dict().items()}


def learner_gradients(got, name):
    """The gradients the probe reported, once h carries one and every parameter received one."""
    __tracebackhide__ = True
    if not got["requires_grad"]:
        raise AssertionError(f"{name}: h carries no gradient. Compute with torch operations on the parameters, "
                             "not numpy or .detach(), so that the cell can be trained.")
    for key in PARAMETER_SHAPES:
        if got["grads"].get(key) is None:
            raise AssertionError(f"{name}: {key} received no gradient; use it in forward.")
    return got["grads"]


def weighted_loss(weights, h, c):
    """The loss whose gradients the checks compare: linear in h and c."""
    return float(np.sum(h * weights[0]) + np.sum(c * weights[1]))


def torch_parameter_gradients(x, h_prev, c_prev, params, weights):
    """The gradients of the weighted loss of one step of torch.nn.LSTMCell with respect to its parameters, by name."""
    module = torch_module(params)
    h, c = module(torch.tensor(x), (torch.tensor(h_prev), torch.tensor(c_prev)))
    ((h * torch.tensor(weights[0])).sum() + (c * torch.tensor(weights[1])).sum()).backward()
    return {key: parameter.grad.numpy() for key, parameter in module.named_parameters()}


def compare_lstm_variant_cell_with_torch(LSTMVariantCell, x, h_prev, c_prev, params):
    """The default cell against torch.nn.LSTMCell with the same state dict: outputs and gradients, float64."""
    __tracebackhide__ = True
    N, D = x.shape
    H = h_prev.shape[1]
    make_cell(LSTMVariantCell, D, H, {})
    name = f"LSTMVariantCell({D}, {H}) loaded with a torch.nn.LSTMCell's state dict, forward(x, (h, c)) with N = {N}"
    weights = np.random.default_rng(N + D + H).normal(size=(2, N, H))
    got = run_cell(LSTMVariantCell, {}, name, (x, h_prev, c_prev), torch_state(params), weights)
    mistakes = cell_mistakes(x, h_prev, c_prev, params)
    want = torch_cell_forward(x, h_prev, c_prev, params)
    mistakes["return (c, h) instead of (h, c), or unpack the state as c, h"] = want[::-1]
    for k, part in enumerate("hc"):
        expect_close(got[part], want[k], f"{name}, {part}", **TOLERANCE,
                     mistakes={mistake: value[k] for mistake, value in mistakes.items()})
    grads = learner_gradients(got, name)
    want_grads = torch_parameter_gradients(x, h_prev, c_prev, params, weights)
    for key in PARAMETER_SHAPES:
        expect_close(grads[key], want_grads[key], f"{name}, the gradient of a loss with respect to {key}", **TOLERANCE)


def check_lstm_variant_cell(LSTMVariantCell):
    """LSTMVariantCell: with its defaults it matches torch.nn.LSTMCell (outputs and gradients); each option changes its own part."""
    __tracebackhide__ = True
    rng = np.random.default_rng(60)
    for N, D, H in [(2, 3, 4), (1, 1, 1), (3, 2, 5)]:
        params = random_params(rng, D, H)
        compare_lstm_variant_cell_with_torch(LSTMVariantCell, rng.normal(size=(N, D)), rng.normal(size=(N, H)),
                                             rng.normal(size=(N, H)), params)
    make_cell(LSTMVariantCell, 3, 4, {})
    run_cell(LSTMVariantCell, {}, "LSTMVariantCell(3, 4) on float32 inputs",
             tuple(np.zeros(shape, np.float32) for shape in [(2, 3), (2, 4), (2, 4)]))
    N, D, H = 3, 2, 4
    params = random_params(rng, D, H)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(0, 3, size=(N, H))
    for options in OPTIONS[1:]:
        compare_lstm_variant_cell_option(LSTMVariantCell, x, h_prev, c_prev, params, options)
    compare_lstm_variant_cell_initial_parameters(LSTMVariantCell, x, h_prev, c_prev)


def compare_lstm_variant_cell_initial_parameters(LSTMVariantCell, x, h_prev, c_prev):
    """A new cell computes with the parameters it was created with (so those parameters are what it is judged by)."""
    __tracebackhide__ = True
    D, H = x.shape[1], h_prev.shape[1]
    name = f"A new {cell_call(D, H, {})}, without loading a state dict"
    got = run_cell(LSTMVariantCell, {}, name, (x, h_prev, c_prev))
    initial = {ours: got["parameters"][theirs] for ours, theirs in zip(PARAMS, PARAMETER_SHAPES)}
    want = variant_step(x, h_prev, c_prev, initial)
    for k, part in enumerate("hc"):
        expect_close(got[part], want[k], f"{name}, {part}, against the equations with the parameters it starts with", **TOLERANCE)


def variant_mistakes(x, h_prev, c_prev, params, options):
    """{mistake: (h, c)} for the usual slips in applying one option."""
    default = variant_step(x, h_prev, c_prev, params)
    key = next(iter(options), None)
    mistakes = {f"ignore {key}={options[key]!r} (this is the standard cell)": default} if key else {}
    if options.get("forget_gate") is False:  # f = 0 keeps nothing of c_prev: the standard cell from c_prev = 0
        mistakes["fix f = 0 instead of f = 1: without a forget gate the cell keeps all of c_prev"] = \
            variant_step(x, h_prev, np.zeros_like(c_prev), params)
    if options.get("coupled"):
        H = h_prev.shape[1]
        swapped = {**params, "W_ih": params["W_ih"].copy(), "W_hh": params["W_hh"].copy(),
                   "b_ih": params["b_ih"].copy(), "b_hh": params["b_hh"].copy()}
        for name in swapped:  # f = i is the standard cell with the forget block replaced by the input block
            swapped[name][H:2 * H] = params[name][:H]
        mistakes["use f = i instead of f = 1 - i"] = variant_step(x, h_prev, c_prev, swapped)
    if options.get("candidate") in ("sigmoid", "identity"):
        other = {"sigmoid": "identity", "identity": "sigmoid"}[options["candidate"]]
        mistakes[f"use candidate={other!r} where {options['candidate']!r} was asked"] = \
            variant_step(x, h_prev, c_prev, params, candidate=other)
    return mistakes


def finite_difference_gradients(loss, params, eps=1e-6):
    """Central differences of loss(params) with respect to every entry of every parameter, under torch's names."""
    grads = {}
    for key, torch_key in NAMES:
        grads[torch_key] = np.zeros_like(params[key])
        for index in np.ndindex(params[key].shape):
            up, down = ({**params, key: params[key].copy()} for _ in range(2))
            up[key][index] += eps
            down[key][index] -= eps
            grads[torch_key][index] = (loss(up) - loss(down)) / (2 * eps)
    return grads


def compare_lstm_variant_cell_option(LSTMVariantCell, x, h_prev, c_prev, params, options):
    """One configuration of the learner's cell on one case, against `variant_step`; its gradients against finite differences."""
    __tracebackhide__ = True
    want = variant_step(x, h_prev, c_prev, params, **options)
    N, D = x.shape
    H = h_prev.shape[1]
    make_cell(LSTMVariantCell, D, H, options)
    name = f"LSTMVariantCell({D}, {H}{describe(options)}), forward(x, (h, c)) with N = {N}"
    weights = np.random.default_rng(N + D + H).normal(size=(2, N, H))
    got = run_cell(LSTMVariantCell, options, name, (x, h_prev, c_prev), torch_state(params), weights)
    mistakes = variant_mistakes(x, h_prev, c_prev, params, options)
    for k, part in enumerate("hc"):
        expect_close(got[part], want[k], f"{name}, {part}", **TOLERANCE,
                     mistakes={mistake: value[k] for mistake, value in mistakes.items()})
    grads = learner_gradients(got, name)
    numeric = finite_difference_gradients(lambda p: weighted_loss(weights, *variant_step(x, h_prev, c_prev, p, **options)), params)
    for key in PARAMETER_SHAPES:
        mine = as_array(grads[key], f"{name}, the gradient with respect to {key}", numeric[key].shape)
        if not np.allclose(mine, numeric[key], rtol=1e-5, atol=1e-7):
            raise AssertionError(f"{name}: the gradients of h and c with respect to the parameters disagree with finite "
                                 f"differences (first for {key}). Something in this option is cut off from autograd: "
                                 ".detach(), .data, numpy, or an in-place change.")
