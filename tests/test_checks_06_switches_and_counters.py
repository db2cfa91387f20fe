"""Lesson 06: the reference against PyTorch, the checks' own ground truth, and the trained weights."""
import numpy as np
import pytest
import torch

from autograder import switches_and_counters as visible
from autograder.instructor import reference
from autograder.instructor import switches_and_counters as hidden
from autograder.lstm_cell import random_params, torch_module


def loaded(cell, params):
    """`cell` in float64 with the parameters of a numpy params dict."""
    cell = cell.double()
    cell.load_state_dict(torch_module(params).state_dict())
    return cell


def test_reference_cell_is_torch_lstm_cell_by_default():
    rng = np.random.default_rng(0)
    params = random_params(rng, 3, 5)
    x, h, c = (torch.tensor(rng.normal(size=shape)) for shape in [(4, 3), (4, 5), (4, 5)])
    with torch.no_grad():
        mine = loaded(reference.LSTMVariantCell(3, 5), params)(x, (h, c))
        theirs = torch_module(params)(x, (h, c))
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", visible.OPTIONS + hidden.COMBINED, ids=str)
def test_ground_truth_built_from_torch_gates_matches_the_reference(options):
    rng = np.random.default_rng(1)
    for _ in range(5):
        N, D, H = (int(v) for v in rng.integers(1, 7, size=3))
        params = random_params(rng, D, H, 0.8)
        x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(0, 3, size=(N, H))
        with torch.no_grad():
            want = loaded(reference.LSTMVariantCell(D, H, **options), params)(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        for got, expected in zip(visible.variant_step(x, h, c, params, **options), want):
            np.testing.assert_allclose(got, expected.numpy(), rtol=1e-13, atol=1e-14)


def test_saturation_fractions_by_hand():
    gates = np.array([[[0.05, 0.5], [0.1, 0.95]], [[0.9, 0.0], [0.99, 0.3]]])
    left, right = reference.saturation_fractions(gates)
    np.testing.assert_array_equal(left, [0.25, 0.25])  # unit 0: 0.05 (0.1 itself is not below); unit 1: 0.0
    np.testing.assert_array_equal(right, [0.25, 0.25])  # unit 0: 0.99 (0.9 itself is not above); unit 1: 0.95


def test_trained_weights_hold_every_model_the_lesson_loads():
    trained = torch.load(visible.ASSETS / "06_trained_models.pt", weights_only=True)
    variants = ["standard", "sigmoid candidate", "identity candidate", "identity output", "no forget gate", "coupled gates"]
    expected = {f"counter/{kind}/{seed}" for kind in ["LSTM", "GRU"] for seed in range(3)} | {"switch"}
    expected |= {f"ablation/{task}/{variant}/{seed}" for task in ["counter", "latch"] for variant in variants for seed in range(3)}
    assert set(trained) == expected
    standard = trained["ablation/counter/standard/0"]
    assert {key for key in standard if key.startswith("cell.")} == {f"cell.{name}" for name in visible.PARAMETER_SHAPES}
