"""Lesson 03: the reference against PyTorch, and failure messages that name the mistake."""
import re

import numpy as np
import pytest
import torch

from autograder import lstm_cell as visible
from autograder.instructor import reference


def test_reference_sequence_matches_torch_lstm():
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 4, dtype=torch.float64)
    params = reference.params_from_torch(module)
    rng = np.random.default_rng(0)
    xs, h0, c0 = rng.normal(size=(9, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    with torch.no_grad():
        hs, (h, c) = module(torch.tensor(xs), (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    ours, (h_T, c_T), _ = reference.lstm_forward(xs, h0, c0, params)
    np.testing.assert_allclose(ours, hs.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_T, h[0].numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_T, c[0].numpy(), rtol=1e-12, atol=1e-14)


def test_reference_init_has_pytorchs_range_and_forget_bias_in_b_ih_only():
    params = reference.init_lstm_params(7, 50, np.random.default_rng(0), forget_bias=2.0)
    k = 1 / np.sqrt(50)
    assert abs(params["b_ih"][50:100].mean() - 2.0) < k and abs(params["b_hh"][50:100].mean()) < k / 2
    module = torch.nn.LSTM(7, 50)  # PyTorch's own initialisation has the same bound
    assert max(p.abs().max().item() for p in module.parameters()) <= k
    assert max(np.abs(v).max() for key, v in params.items() if key != "b_ih") <= k


def test_a_transposed_weight_is_explained():
    def lstm_cell_forward(x, h_prev, c_prev, params):
        return reference.lstm_cell_forward(x, h_prev, c_prev, {**params, "W_hh": params["W_hh"].T})

    with pytest.raises(AssertionError, match=r"W_hh is \(4H, H\)"):
        visible.check_lstm_cell_forward(lstm_cell_forward)


def test_more_mistakes_are_named():
    def any_order(x, h, c, params):
        return reference.lstm_cell_forward(x, h, c, visible.reorder(params, [2, 0, 1, 3]))

    def swapped(x, h, c, params):
        h, c, cache = reference.lstm_cell_forward(x, h, c, params)
        return c, h, cache

    def batch_first(xs, h0, c0, params):
        hs, state, cache = reference.lstm_forward(xs, h0, c0, params)
        return hs.transpose(1, 0, 2), state, cache

    def in_float32(x, h, c, params):
        small = {key: value.astype(np.float32) for key, value in params.items()}
        h, c, cache = reference.lstm_cell_forward(x.astype(np.float32), h.astype(np.float32), c.astype(np.float32), small)
        return h.astype(float), c.astype(float), cache

    for fn, phrase in [(any_order, "order f, g, i, o"), (swapped, "returned (c, h, cache)"), (in_float32, "float32 rounding")]:
        with pytest.raises(AssertionError, match=re.escape(phrase)):
            visible.check_lstm_cell_forward(fn)
    with pytest.raises(AssertionError, match="time-major"):
        visible.check_lstm_forward(batch_first)


@pytest.mark.parametrize("change, phrase", [
    (lambda p, H, fb: None, "should be U(-k, k) + forget_bias"),
    (lambda p, H, fb: p["b_hh"].__setitem__(slice(H, 2 * H), p["b_hh"][H:2 * H] + fb), "went into b_hh's forget gate block"),
    (lambda p, H, fb: p.__setitem__("b_ih", p["b_ih"] + fb), "went into b_ih's input gate block and"),
    (lambda p, H, fb: p["b_ih"].__setitem__(slice(H, 2 * H), fb), "do not replace it"),
])
def test_init_says_where_the_forget_bias_went(change, phrase):
    def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
        params = reference.init_lstm_params(input_size, hidden_size, rng)
        change(params, hidden_size, forget_bias)
        return params

    with pytest.raises(AssertionError, match=re.escape(phrase)):
        visible.check_init_lstm_params(init_lstm_params)


def test_init_with_zero_biases_or_another_bound_is_rejected():
    def zero_biases(input_size, hidden_size, rng, forget_bias=0.0):
        params = reference.init_lstm_params(input_size, hidden_size, rng, forget_bias)
        params["b_hh"][:] = 0.0
        return params

    def fan_in_and_out(input_size, hidden_size, rng, forget_bias=0.0):
        params = reference.init_lstm_params(input_size, hidden_size, rng, forget_bias)
        scale = np.sqrt(hidden_size / (input_size + hidden_size))
        return {key: value * scale if key != "b_ih" else value for key, value in params.items()}

    with pytest.raises(AssertionError, match="b_hh is all zeros"):
        visible.check_init_lstm_params(zero_biases)
    with pytest.raises(AssertionError, match=re.escape("1/sqrt(input_size + hidden_size)")):
        visible.check_init_lstm_params(fan_in_and_out)


@pytest.mark.parametrize("spoil, phrase", [
    (lambda value: np.sort(value, axis=None).reshape(value.shape), "neighbouring entries are correlated"),
    (lambda value: np.concatenate([value[: len(value) // 2], -value[: len(value) // 2]]), "gate blocks i and g are correlated"),
])
def test_init_that_is_uniform_but_not_independent_is_rejected(spoil, phrase):
    def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
        params = reference.init_lstm_params(input_size, hidden_size, rng, forget_bias)
        params["W_ih"] = spoil(params["W_ih"])
        return params

    with pytest.raises(AssertionError, match=phrase):
        visible.check_init_lstm_params(init_lstm_params)


def test_reference_init_passes_the_independence_checks_on_many_seeds():
    from autograder.instructor.lstm_cell import check_init_lstm_params_hidden

    for seed in range(100):
        check_init_lstm_params_hidden(reference.init_lstm_params, seed=seed)
