"""Lesson 01: the reference against PyTorch and numpy, and the checks against right and wrong answers."""
import warnings

import numpy as np
import pytest
import torch

from autograder import gates
from autograder.instructor import gates as hidden
from autograder.instructor import reference
from conftest import learner_namespace

LESSON = "01_gates"


def as_tensor(x):
    return torch.tensor(np.asarray(x, dtype=float), requires_grad=True)


def test_reference_sigmoid_matches_torch_and_never_warns():
    x = np.concatenate([np.linspace(-50, 50, 1001), [-1e308, -1e4, -1000.0, 1000.0, 1e4, 1e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = reference.sigmoid(x)
    np.testing.assert_allclose(got, torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-14, atol=1e-300)
    assert reference.sigmoid(0.0) == 0.5


def test_reference_derivatives_match_autograd():
    rng = np.random.default_rng(0)
    x = as_tensor(rng.normal(0, 4, size=50))
    torch.sigmoid(x).sum().backward()
    np.testing.assert_allclose(reference.sigmoid_grad(x.detach().numpy()), x.grad.numpy(), rtol=1e-12, atol=1e-15)

    a, b, dy = as_tensor(rng.normal(0, 2, 30)), as_tensor(rng.normal(0, 2, 30)), rng.normal(size=30)
    (torch.tanh(a) * torch.sigmoid(b)).backward(torch.tensor(dy))
    da, db = reference.gated_product_grads(a.detach().numpy(), b.detach().numpy(), dy)
    np.testing.assert_allclose(da, a.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_reference_tanh_and_gate_match_numpy_and_torch():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 5, size=(4, 6))
    np.testing.assert_allclose(reference.tanh_via_sigmoid(x), np.tanh(x), rtol=1e-12, atol=1e-15)
    W, b = rng.normal(size=(3, 6)), rng.normal(size=3)
    want = torch.sigmoid(torch.nn.functional.linear(torch.tensor(x), torch.tensor(W), torch.tensor(b))).numpy()
    np.testing.assert_allclose(reference.gate(x, W, b), want, rtol=1e-12)


# A failing check must say what is wrong: these wrong answers are each named in the message.


def test_unimplemented_function_gets_a_friendly_message():
    def sigmoid(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        gates.check_sigmoid(sigmoid)


def test_in_place_modification_is_reported():
    def sigmoid(x):
        x = np.asarray(x, dtype=float)
        if x.ndim:
            x *= 1.0
            x[...] = reference.sigmoid(x)
            return x
        return reference.sigmoid(x)

    with pytest.raises(AssertionError, match="changed its input in place"):
        gates.check_sigmoid(sigmoid)


def test_learner_code_gets_copies_so_an_in_place_bug_cannot_corrupt_later_checks():
    def sigmoid_grad(x):
        x[...] = reference.sigmoid(x)
        return x * (1 - x)

    before = gates.X.copy()
    with pytest.raises(AssertionError, match="changed its input in place"):
        gates.check_sigmoid_grad(sigmoid_grad)
    np.testing.assert_array_equal(gates.X, before)


def test_a_list_is_not_an_array():
    with pytest.raises(AssertionError, match="returned a list; return a numpy array"):
        gates.check_sigmoid(lambda x: np.atleast_1d(reference.sigmoid(x)).tolist() if np.ndim(x) else reference.sigmoid(x))


def test_torch_tanh_is_refused_but_a_sigmoid_built_on_np_tanh_is_fine():
    namespace = learner_namespace(LESSON, {
        "sigmoid": hidden.RIGHT["sigmoid"]["via tanh"],
        "tanh_via_sigmoid": "import torch\ndef tanh_via_sigmoid(x):\n    sigmoid(x)\n    return torch.tanh(torch.as_tensor(x)).numpy()\n"})
    with pytest.raises(AssertionError, match="ready-made tanh"):
        gates.check_tanh_via_sigmoid(namespace["tanh_via_sigmoid"])
    gates.check_tanh_via_sigmoid(learner_namespace(LESSON, {"sigmoid": hidden.RIGHT["sigmoid"]["via tanh"]})["tanh_via_sigmoid"])


@pytest.mark.parametrize("wrong, phrase", [
    ("def gate(x, W, b):\n    return np.tanh(x @ W.T + b)", "sigmoid of 0"),
    ("def gate(x, W, b):\n    return sigmoid(x @ W.T)", "only the bias can close the gate"),
    ("def gate(x, W, b):\n    return np.clip(x @ W.T + b, 0, 1)", "strictly between 0 and 1"),
])
def test_the_switch_experiment_check_rejects_wrong_gates(wrong, phrase):
    namespace = learner_namespace(LESSON, {"gate": wrong})
    with pytest.raises(AssertionError, match=phrase):
        gates.check_gate_learns_to_switch(namespace["gate"], namespace["sigmoid_grad"])


def test_the_switch_experiment_check_accepts_the_solution_and_rejects_a_frozen_gradient():
    namespace = learner_namespace(LESSON)
    gates.check_gate_learns_to_switch(namespace["gate"], namespace["sigmoid_grad"])
    frozen = learner_namespace(LESSON, {"sigmoid_grad": "def sigmoid_grad(x):\n    return x * (1 - x)"})
    with pytest.raises(AssertionError, match="weights hardly moved"):
        gates.check_gate_learns_to_switch(frozen["gate"], frozen["sigmoid_grad"])
