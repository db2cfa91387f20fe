"""Lesson 04: the reference backward pass against autograd and finite differences, and messages that name the mistake."""
import re

import numpy as np
import pytest
import torch

from autograder import backprop as visible
from autograder.instructor import reference
from autograder.lstm_cell import random_params


def test_reference_backward_matches_torch_lstm_autograd():
    rng = np.random.default_rng(0)
    T, N, D, H = 5, 2, 3, 4
    params = random_params(rng, D, H)
    xs, h0, c0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs, dh_T, dc_T = rng.normal(size=(T, N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    _, _, cache = reference.lstm_forward(xs, h0, c0, params)
    dxs, dh0, dc0, grads = reference.lstm_backward(dhs, cache, dh_T, dc_T)
    module = torch.nn.LSTM(D, H, dtype=torch.float64)
    module.load_state_dict({f"{t}_l0": torch.tensor(params[k]) for k, t in
                            [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]})
    X, H0, C0 = (torch.tensor(a, requires_grad=True) for a in (xs, h0[None], c0[None]))
    out, (h, c) = module(X, (H0, C0))
    ((out * torch.tensor(dhs)).sum() + (h[0] * torch.tensor(dh_T)).sum() + (c[0] * torch.tensor(dc_T)).sum()).backward()
    assert reference.relative_error(dxs, X.grad.numpy()) < 1e-10
    assert reference.relative_error(dh0, H0.grad[0].numpy()) < 1e-10
    assert reference.relative_error(dc0, C0.grad[0].numpy()) < 1e-10
    assert reference.relative_error(grads["W_hh"], module.weight_hh_l0.grad.numpy()) < 1e-10


def test_reference_numerical_gradient_and_relative_error():
    x = np.array([[0.3, -1.2], [2.0, 0.1]])
    np.testing.assert_allclose(reference.numerical_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=1e-8)
    assert reference.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    for a, b, want in visible.RELATIVE_ERROR_CASES:
        assert np.isclose(reference.relative_error(np.array(a), np.array(b)), want, rtol=1e-12)


def test_averaging_over_the_batch_is_named():
    def lstm_cell_backward(dh, dc, cache):
        dx, dh_prev, dc_prev, grads = reference.lstm_cell_backward(dh, dc, cache)
        return dx, dh_prev, dc_prev, {k: v / dh.shape[0] for k, v in grads.items()}

    with pytest.raises(AssertionError, match="average the parameter gradients over the batch"):
        visible.check_lstm_cell_backward(lstm_cell_backward, reference.lstm_cell_forward)


def test_changing_dc_in_place_is_reported_not_misdiagnosed():
    def lstm_cell_backward(dh, dc, cache):
        x, h_prev, c_prev, i, f, g, o, c, params = cache
        dc += dh * o * (1 - np.tanh(c) ** 2)  # right value, but written into the caller's array
        return reference.lstm_cell_backward(np.zeros_like(dh), dc, cache)

    with pytest.raises(AssertionError, match="changed its input in place"):
        visible.check_lstm_cell_backward(lstm_cell_backward, reference.lstm_cell_forward)


@pytest.mark.parametrize("a, b, want", visible.RELATIVE_ERROR_CASES)
def test_the_relative_error_check_expects_the_values_worked_out_by_hand(a, b, want):
    visible.compare_relative_error(lambda a, b: float(want), np.array(a), np.array(b))


def test_a_missing_floor_is_explained_where_the_floor_decides():
    with pytest.raises(AssertionError, match=re.escape("Without the 1e-8 floor you get 1.0 here")):
        visible.check_relative_error(lambda a, b: float(np.max(np.abs(a - b) / np.maximum(1e-30, np.abs(a) + np.abs(b)))))


def test_adding_the_floor_instead_of_taking_the_max_is_explained():
    def relative_error(a, b):
        return float(np.max(np.abs(a - b) / (1e-8 + np.abs(a) + np.abs(b))))

    with pytest.raises(AssertionError, match="added 1e-8 to the denominator"):
        visible.check_relative_error(relative_error)


def intermediates_by_hand(x, h_prev, c_prev, params, dh, dc):
    """Every intermediate gradient of one step, written out as the hints of the lesson derive them."""
    H = h_prev.shape[1]
    z = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    i, f, g, o = (reference.sigmoid(z[:, :H]), reference.sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]),
                  reference.sigmoid(z[:, 3 * H:]))
    c = f * c_prev + i * g
    steps = {"do": dh * np.tanh(c), "dc_via_h": dh * o * (1 - np.tanh(c) ** 2)}
    steps["dc_total"] = dc + steps["dc_via_h"]
    steps.update(di=steps["dc_total"] * g, df=steps["dc_total"] * c_prev, dg=steps["dc_total"] * i,
                 dc_prev=steps["dc_total"] * f)
    steps["dz"] = dz = np.concatenate([steps["di"] * i * (1 - i), steps["df"] * f * (1 - f), steps["dg"] * (1 - g**2),
                                       steps["do"] * o * (1 - o)], axis=1)
    steps.update(dx=dz @ params["W_ih"], dh_prev=dz @ params["W_hh"], W_ih=dz.T @ x, W_hh=dz.T @ h_prev,
                 b_ih=dz.sum(axis=0), b_hh=dz.sum(axis=0))
    return steps


def test_the_step_by_step_check_accepts_the_hints_and_flags_a_slip(capsys):
    rng = np.random.default_rng(3)
    N, D, H = 2, 3, 4
    params = random_params(rng, D, H)
    args = (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), params,
            rng.normal(size=(N, H)), rng.normal(size=(N, H)))
    mine = intermediates_by_hand(*args)
    assert set(mine) == set(visible.STEPS)
    errors = visible.show_backward_steps(mine, *args)
    assert set(errors) == set(visible.STEPS) and max(errors.values()) < 1e-12
    assert capsys.readouterr().out.count(" right (relative error") == len(visible.STEPS)

    slip = {**mine, "dc_via_h": None, "dc_total": args[5] + args[4] * np.tanh(args[4])}  # and one not derived yet
    errors = visible.show_backward_steps(slip, *args)
    out = capsys.readouterr().out
    assert errors["dc_total"] > 1e-2 and "dc_via_h" not in errors
    assert "WRONG" in out and "not derived yet" in out


def test_the_step_by_step_check_names_a_wrong_shape(capsys):
    rng = np.random.default_rng(4)
    params = random_params(rng, 2, 3)
    args = (rng.normal(size=(1, 2)), *(rng.normal(size=(1, 3)) for _ in range(2)), params,
            *(rng.normal(size=(1, 3)) for _ in range(2)))
    errors = visible.show_backward_steps({"dz": np.zeros((12, 1))}, *args)
    assert errors == {} and "shape (12, 1), autograd's is (1, 12)" in capsys.readouterr().out


def test_the_step_values_are_those_of_the_forward_pass():
    rng = np.random.default_rng(5)
    params = random_params(rng, 3, 4)
    x, h_prev, c_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    _, _, (_, _, _, *values, _) = reference.lstm_cell_forward(x, h_prev, c_prev, params)
    for got, want in zip(visible.torch_step_values(x, h_prev, c_prev, params), values):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def step_args(seed):
    rng = np.random.default_rng(seed)
    N, D, H = 2, 3, 4
    params = random_params(rng, D, H)
    return (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), params,
            rng.normal(size=(N, H)), rng.normal(size=(N, H)))


def later_steps(steps, args, dz):
    """The steps after dz, computed from the given dz as the hints say."""
    x, h_prev, _, params, _, _ = args
    return {**steps, "dz": dz, "dx": dz @ params["W_ih"], "dh_prev": dz @ params["W_hh"], "W_ih": dz.T @ x,
            "W_hh": dz.T @ h_prev, "b_ih": dz.sum(axis=0), "b_hh": dz.sum(axis=0)}


def verdicts(out):
    return {line.split()[0]: line for line in out.splitlines()[1:] if line.split() and line.split()[0] in visible.STEPS}


def test_a_slip_flags_only_its_own_row_and_the_later_rows_follow_from_it(capsys):
    args = step_args(6)
    x, h_prev, c_prev, params, dh, dc = args
    right = intermediates_by_hand(*args)
    c = visible.torch_step_values(x, h_prev, c_prev, params)[4]
    o = visible.torch_step_values(x, h_prev, c_prev, params)[3]
    steps = {"do": right["do"], "dc_via_h": dh * o * (1 - np.tanh(c))}  # 1 - tanh instead of 1 - tanh**2
    steps["dc_total"] = dc + steps["dc_via_h"]
    i, f, g, _, _ = visible.torch_step_values(x, h_prev, c_prev, params)
    steps.update(di=steps["dc_total"] * g, df=steps["dc_total"] * c_prev, dg=steps["dc_total"] * i,
                 dc_prev=steps["dc_total"] * f)
    dz = np.concatenate([steps["di"] * i * (1 - i), steps["df"] * f * (1 - f), steps["dg"] * (1 - g**2),
                         steps["do"] * o * (1 - o)], axis=1)
    errors = visible.show_backward_steps(later_steps(steps, args, dz), *args)
    lines = verdicts(capsys.readouterr().out)
    assert "WRONG" in lines["dc_via_h"] and sum("WRONG" in line for line in lines.values()) == 1
    assert "right given your dc_via_h" in lines["dc_total"] and "right given your dc_total" in lines["di"]
    assert "right given your di, df, dg, do" in lines["dz"] and "right given your dz" in lines["W_ih"]
    assert errors["dc_via_h"] > 1e-2 and errors["W_ih"] > 1e-2


def test_the_step_by_step_check_names_the_block_order(capsys):
    args = step_args(7)
    right = intermediates_by_hand(*args)
    blocks = np.split(right["dz"], 4, axis=1)
    visible.show_backward_steps(later_steps(right, args, np.concatenate([blocks[j] for j in (1, 2, 3, 0)], axis=1)), *args)
    lines = verdicts(capsys.readouterr().out)
    assert "blocks in the order f, g, o, i" in lines["dz"] and sum("WRONG" in line for line in lines.values()) == 1
    assert all("right given your dz" in lines[name] for name in ["dx", "dh_prev", "W_ih", "W_hh", "b_ih", "b_hh"])


def test_the_graded_check_names_a_cyclic_block_order():
    def lstm_cell_backward(dh, dc, cache):
        dx, dh_prev, dc_prev, grads = reference.lstm_cell_backward(dh, dc, cache)
        return dx, dh_prev, dc_prev, {k: np.concatenate([np.split(v, 4)[j] for j in (1, 2, 3, 0)]) for k, v in grads.items()}

    with pytest.raises(AssertionError, match="in the order f, g, o, i"):
        visible.check_lstm_cell_backward(lstm_cell_backward, reference.lstm_cell_forward)
