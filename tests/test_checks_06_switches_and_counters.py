"""Lesson 06: the reference against PyTorch, the checks' own ground truth, the trained weights, and the
cell's check run as at grade time, its learner's class reached only through plain data."""
import importlib

import numpy as np
import pytest
import torch

from autograder import switches_and_counters as visible
from autograder import wire
from autograder.assets import ASSETS
from autograder.checking import random_sizes
from autograder.instructor import reference
from autograder.instructor import switches_and_counters as hidden
from autograder.instructor.edits import edited
from autograder.lstm_cell import random_params, torch_module
from conftest import learner_namespace


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
        N, D, H = random_sizes(rng)
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
    trained = torch.load(ASSETS / "06_trained_models.pt", weights_only=True)
    variants = ["standard", "sigmoid candidate", "sigmoid − ½ candidate", "identity candidate", "identity output", "no forget gate", "coupled gates",
                "tied candidate"]
    expected = {f"counter/{kind}/{seed}" for kind in ["LSTM", "GRU"] for seed in range(5)} | {"switch"}
    expected |= {f"ablation/{task}/{variant}/{seed}" for task in ["counter", "latch"] for variant in variants for seed in range(10)}
    assert set(trained) == expected
    standard = trained["ablation/counter/standard/0"]
    assert {key for key in standard if key.startswith("cell.")} == {f"cell.{name}" for name in visible.PARAMETER_SHAPES}


@pytest.mark.parametrize("seed", range(5))
def test_reference_saturation_fractions_is_numpy_comparisons_with_values_on_the_thresholds(seed):
    rng = np.random.default_rng(seed)
    for low, high in [(0.1, 0.9), (0.3, 0.7), (0.05, 0.5)]:
        gates = rng.uniform(size=random_sizes(rng))
        gates.flat[rng.choice(gates.size, min(gates.size, 4), replace=False)] = [low, high, low, high][:min(gates.size, 4)]
        left, right = reference.saturation_fractions(gates, low, high)
        np.testing.assert_array_equal(left, np.mean(gates < low, axis=(0, 1)))
        np.testing.assert_array_equal(right, np.mean(gates > high, axis=(0, 1)))


class Remote:
    """The learner's class as the examiner sees it at grade time: reached only through run_beside, plain data only."""

    def __init__(self, cls):
        self.cls = cls

    def run_beside(self, procedure):
        assert getattr(importlib.import_module(procedure.__module__), procedure.__name__) is procedure  # routable by name
        assert procedure.__module__.startswith("autograder.") and not procedure.__module__.startswith("autograder.instructor")

        def run(learner, *args, **kwargs):
            assert learner is self
            args, kwargs = wire.decode(wire.encode([list(args), kwargs]))
            try:
                result = procedure(self.cls, *args, **kwargs)
            except AssertionError as error:  # only its message crosses
                raise AssertionError(str(error)) from None
            return wire.decode(wire.encode(result))  # a WireError if anything but plain data came back
        return run


def verdict(check, *args):
    """What a check says: None if it passes, else its message."""
    try:
        check(*args)
    except AssertionError as error:
        return str(error)
    return None


CELLS = [("WRONG", label) for label in hidden.WRONG["lstm_variant_cell"]] + [("RIGHT", label) for label in hidden.RIGHT["lstm_variant_cell"]]


@pytest.mark.parametrize("kind, label", CELLS)
def test_lstm_variant_cell_check_says_the_same_across_the_pipe(kind, label):
    cls = learner_namespace("06_switches_and_counters", {"lstm_variant_cell": getattr(hidden, kind)["lstm_variant_cell"][label]})
    here = verdict(visible.check_lstm_variant_cell, cls["LSTMVariantCell"])
    assert (here is None) == (kind == "RIGHT"), here
    assert verdict(visible.check_lstm_variant_cell, Remote(cls["LSTMVariantCell"])) == here


def test_hidden_lstm_variant_cell_check_runs_across_the_pipe():
    hidden.check_lstm_variant_cell_hidden(Remote(reference.LSTMVariantCell), seed=3)
    with pytest.raises(AssertionError, match="f = i instead of f = 1 - i"):
        cls = learner_namespace("06_switches_and_counters", {"lstm_variant_cell": hidden.WRONG["lstm_variant_cell"]["coupled as f = i"]})
        hidden.check_lstm_variant_cell_hidden(Remote(cls["LSTMVariantCell"]), seed=3)


def test_probe_reports_plain_data_and_raises_what_the_learner_must_hear():
    rng = np.random.default_rng(2)
    params = random_params(rng, 2, 3)
    inputs = (rng.normal(size=(4, 2)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)))
    got = visible.probe_cell(reference.LSTMVariantCell, 2, 3, {"coupled": True}, visible.torch_state(params), inputs,
                             rng.normal(size=(2, 4, 3)))
    wire.encode(got)  # stash=None: refuses anything that is not plain data
    assert set(got) == {"parameters", "h", "c", "dtypes", "requires_grad", "grads"}
    assert got["dtypes"] == ["torch.float64", "torch.float64"] and got["requires_grad"]
    assert {key: np.shape(value) for key, value in got["grads"].items()} == {"weight_ih": (12, 2), "weight_hh": (12, 3),
                                                                            "bias_ih": (12,), "bias_hh": (12,)}
    float32 = visible.probe_cell(reference.LSTMVariantCell, 2, 3, {}, inputs=tuple(v.astype(np.float32) for v in inputs))
    assert float32["dtypes"] == ["torch.float32", "torch.float32"] and "grads" not in float32
    with pytest.raises(AssertionError, match="must subclass torch.nn.Module"):
        visible.probe_cell(lambda D, H: "a cell", 2, 3, {})
    in_place = learner_namespace("06_switches_and_counters", {"lstm_variant_cell": edited(
        reference.LSTMVariantCell, ("c = f * c + i * squash", "c = c.mul_(f).add_(i * squash"), ("(zg)\n", "(zg))\n"))})["LSTMVariantCell"]
    with pytest.raises(AssertionError, match="Do not change h, c or a parameter in place"):
        visible.probe_cell(in_place, 2, 3, {}, visible.torch_state(params), inputs, rng.normal(size=(2, 4, 3)))


@pytest.mark.parametrize("options", visible.OPTIONS + hidden.COMBINED, ids=str)
def test_finite_differences_of_the_ground_truth_match_autograd_well_within_the_tolerance(options):
    rng = np.random.default_rng(4)
    for _ in range(2):
        N, D, H = random_sizes(rng)
        params = random_params(rng, D, H, 0.8)
        inputs = (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(0, 3, size=(N, H)))
        weights = rng.normal(size=(2, N, H))
        got = visible.probe_cell(reference.LSTMVariantCell, D, H, options, visible.torch_state(params), inputs, weights)
        numeric = visible.finite_difference_gradients(
            lambda p: visible.weighted_loss(weights, *visible.variant_step(*inputs, p, **options)), params)
        for key, value in numeric.items():
            np.testing.assert_allclose(got["grads"][key], value, rtol=1e-6, atol=1e-8)  # the check allows 10 times more
