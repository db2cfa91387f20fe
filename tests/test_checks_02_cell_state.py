"""Lesson 02: the reference against PyTorch, and failure messages that name the mistake."""

import numpy as np
import pytest
import torch

from autograder import cell_state as visible
from autograder.instructor import cell_state as hidden
from autograder.instructor import reference


def reference_cell_states(params, xs):
    """Cell states (T, N, H) of the reference LSTM cell over xs (T, N, D), from h = c = 0."""
    h = c = np.zeros((xs.shape[1], params["W_hh"].shape[1]))
    cs = []
    for x in xs:
        h, c, _ = reference.lstm_cell_forward(x, h, c, params)
        cs.append(c)
    return np.stack(cs)


def test_reference_cell_matches_torch_lstmcell():
    rng = np.random.default_rng(0)
    params = reference.init_lstm_params(3, 5, rng)
    x, h, c = rng.normal(size=(4, 3)), rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    cell = torch.nn.LSTMCell(3, 5, dtype=torch.float64)
    cell.load_state_dict({"weight_ih": torch.tensor(params["W_ih"]), "weight_hh": torch.tensor(params["W_hh"]),
                          "bias_ih": torch.tensor(params["b_ih"]), "bias_hh": torch.tensor(params["b_hh"])})
    h_torch, c_torch = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    h_ref, c_ref, _ = reference.lstm_cell_forward(x, h, c, params)
    np.testing.assert_allclose(h_ref, h_torch.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c_ref, c_torch.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_reference_hand_wired_cells_track_their_targets_in_torch_and_in_the_reference():
    sequences = hidden.random_bracket_sequences(np.random.default_rng(1), 200)
    xs = np.eye(2)[sequences]
    depth = visible.bracket_depths(sequences)
    for run in [reference_cell_states, visible.torch_cell_states]:
        assert np.abs(run(reference.counter_params(), xs)[..., 0] - depth).max() < 1e-5
    assert np.abs(depth).max() == 20  # the random sequences reach the contract's limit
    events = hidden.random_latch_sequences(np.random.default_rng(1), 200)
    for run in [reference_cell_states, visible.torch_cell_states]:
        assert np.abs(run(reference.latch_params(), np.eye(3)[events])[..., 0] - visible.latch_targets(events)).max() < 1e-5


def test_random_bracket_sequences_respect_the_depth_limit():
    depth = visible.bracket_depths(hidden.random_bracket_sequences(np.random.default_rng(2), 500))
    assert np.abs(depth).max() <= 20 and depth.shape == (100, 500)


def test_malformed_parameters_get_a_clear_message():
    with pytest.raises(AssertionError, match=r"W_ih has shape \(4, 3\), expected \(4, 2\)"):
        visible.check_counter_params(lambda: {**reference.counter_params(), "W_ih": np.zeros((4, 3))})
    with pytest.raises(AssertionError, match="no W_hh"):
        visible.check_counter_params(lambda: {k: v for k, v in reference.counter_params().items() if k != "W_hh"})


def test_any_gate_order_and_misplaced_weights_are_recognised():
    params = visible.reorder(reference.counter_params(), [2, 0, 1, 3])
    with pytest.raises(AssertionError, match="read in the order g, i, f, o"):
        visible.check_counter_params(lambda: params)
    in_w_hh = {**reference.counter_params(), "W_ih": np.zeros((4, 2)), "W_hh": np.ones((4, 1))}
    with pytest.raises(AssertionError, match="W_ih is all zeros"):
        visible.check_counter_params(lambda: in_w_hh)
    with pytest.raises(AssertionError, match="looks transposed"):
        visible.check_counter_params(lambda: {**reference.counter_params(), "W_ih": np.zeros((2, 4))})


def test_a_counter_that_leaks_slowly_is_caught_by_the_visible_check():
    params = reference.counter_params()
    params["b_ih"][1] = 9.5  # forgets 7.5e-5 of the count per step: 0.13 over 100 brackets near depth 20
    with pytest.raises(AssertionError, match="not saturated"):
        visible.check_counter_params(lambda: params)


def test_gate_table_shows_each_gate_on_each_symbol():
    rows = visible.gate_table(reference.counter_params(), "()").splitlines()
    assert rows[0].split() == ["input", "i", "f", "g", "o"]
    assert [float(v) for v in rows[1].split()[1:]] == [1.0, 1.0, 1.0, 0.5]
    assert [float(v) for v in rows[2].split()[1:]] == [1.0, 1.0, -1.0, 0.5]

