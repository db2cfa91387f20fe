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
