"""Lesson 05: the reference against PyTorch, and failure messages that name the mistake."""

import numpy as np
import pytest
import torch

from autograder import vanishing_gradients as visible
from autograder.assets import ASSETS
from autograder.instructor import reference
from autograder.instructor import vanishing_gradients as hidden
from autograder.lstm_cell import random_params
from conftest import learner_namespace

LESSON = "05_vanishing_gradients"


def test_reference_rnn_and_jacobians_match_torch():
    rng = np.random.default_rng(0)
    params = visible.random_rnn_params(rng, 3, 4)
    xs, h0 = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4))
    with torch.no_grad():
        hs, _ = visible.torch_rnn(params, sequence=True)(torch.tensor(xs), torch.tensor(h0)[None])
    np.testing.assert_allclose(reference.rnn_forward(xs, h0, params)[0], hs.numpy(), rtol=1e-12, atol=1e-14)
    lstm = random_params(rng, 3, 4)
    x, h, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)
    want = visible.autograd_jacobian(visible.torch_lstm_state_step(x, lstm), np.concatenate([h, c]))
    np.testing.assert_allclose(reference.lstm_state_jacobian(x, h, c, lstm), want, rtol=1e-12, atol=1e-14)


def test_reference_norms_and_adding_problem():
    rng = np.random.default_rng(1)
    jacobians = rng.normal(size=(5, 3, 3))
    norms = reference.gradient_norms_through_time(jacobians)
    assert norms[0] == 1.0
    np.testing.assert_allclose(norms[5], np.linalg.norm(jacobians[4] @ jacobians[3] @ jacobians[2] @ jacobians[1] @ jacobians[0], 2))
    xs, y = reference.make_adding_problem(10_000, 100, rng)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01  # predicting the mean scores about 0.167


def test_torch_norms_of_products_match_cases_known_in_closed_form_and_the_reference():
    decays = np.array([0.5, 0.9, 0.8, 0.7])  # diagonal Jacobians: the product's norm is the largest product of entries
    diagonal = np.stack([np.diag([d, d / 2]) for d in decays])
    np.testing.assert_allclose(visible.torch_gradient_norms(diagonal), np.concatenate([[1.0], np.cumprod(decays[::-1])]),
                               rtol=1e-14)
    pair = np.array([[[2.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [0.0, 1.0]]])  # d s_2 / d s_0 = pair[1] @ pair[0]
    np.testing.assert_allclose(visible.torch_gradient_norms(pair), [1.0, (1 + np.sqrt(5)) / 2, np.sqrt(3 + np.sqrt(5))],
                               rtol=1e-14)
    rng = np.random.default_rng(2)
    for T, K in [(1, 3), (6, 2), (25, 5)]:
        jacobians = rng.normal(0, 0.6, size=(T, K, K))
        np.testing.assert_allclose(reference.gradient_norms_through_time(jacobians), visible.torch_gradient_norms(jacobians),
                                   rtol=1e-12, atol=0)


def test_product_of_norms_is_caught_by_the_hidden_check():
    fn = learner_namespace(LESSON, {"gradient_norms_through_time": hidden.WRONG["gradient_norms_through_time"]["product of the norms"]})
    with pytest.raises(AssertionError, match="not the product of the norms"):
        hidden.check_gradient_norms_through_time_hidden(fn["gradient_norms_through_time"], seed=1)


def test_the_stored_models_cover_every_run_of_experiments_3_and_5():
    path = ASSETS / "05_trained_models.pt"
    assert path.stat().st_size < 1_000_000
    trained = torch.load(path, weights_only=True)
    want = {f"{kind} T={T} seed={seed}" for kind in ["RNN", "IRNN", "LSTM"] for T in [10, 50, 100] for seed in range(5)}
    candidates = ["tanh", "2σ(2x)-1", "σ(x)-1/2", "4σ(x)-2", "σ(x)", "softsign", "identity"]
    want |= {f"candidate {name} signed=False seed={seed}" for name in candidates for seed in range(5)}
    want |= {f"candidate {name} signed=True seed={seed}" for name in ["tanh", "σ(x)"] for seed in range(5)}
    assert set(trained) == want
    for key, run in trained.items():
        assert set(run) == {"weights", "curve"} and torch.isfinite(run["curve"]).all(), key
