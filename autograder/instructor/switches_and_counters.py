"""Lesson 06, instructor-only: hidden checks on random cases, and the catalogue of variants (see gates.py)."""
import numpy as np

from autograder.checking import random_sizes
from autograder.instructor import reference
from autograder.instructor.edits import edited
from autograder.lstm_cell import random_params
from autograder.switches_and_counters import (OPTIONS, compare_lstm_variant_cell_option, compare_lstm_variant_cell_with_torch,
                                              compare_saturation_fractions)

# Configurations beyond the single options: two parts switched at once.
COMBINED = [{"candidate": "identity", "output": "identity"}, {"candidate": "sigmoid", "forget_gate": False},
            {"coupled": True, "output": "identity"}]


def check_saturation_fractions_hidden(saturation_fractions, seed):
    """saturation_fractions on random sizes, with values on the thresholds and other thresholds."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for thresholds in [None, (0.3, 0.7), (0.05, 0.5)]:
        T, N, H = random_sizes(rng)
        gates = rng.uniform(size=(T, N, H))
        low, high = thresholds or (0.1, 0.9)
        gates.flat[rng.choice(gates.size, min(gates.size, 4), replace=False)] = [low, high, low, high][:min(gates.size, 4)]
        compare_saturation_fractions(saturation_fractions, gates, thresholds)


def check_lstm_variant_cell_hidden(LSTMVariantCell, seed):
    """LSTMVariantCell against torch.nn.LSTMCell (defaults) and the equations on PyTorch's gates (every option) on random sizes."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    for _ in range(2):
        N, D, H = random_sizes(rng)
        compare_lstm_variant_cell_with_torch(LSTMVariantCell, rng.normal(size=(N, D)), rng.normal(size=(N, H)),
                                             rng.normal(size=(N, H)), random_params(rng, D, H, 0.8))
    for options in OPTIONS[1:] + COMBINED:
        N, D, H = random_sizes(rng)
        params = random_params(rng, D, H, 0.8)
        x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(0, 3, size=(N, H))
        compare_lstm_variant_cell_option(LSTMVariantCell, x, h_prev, c_prev, params, options)


WRONG = {
    "saturation_fractions": {
        "averaged over time only": edited(reference.saturation_fractions, (".mean(axis=(0, 1))", ".mean(axis=0)")),
        "boundaries counted": edited(reference.saturation_fractions, ("gates < low", "gates <= low"), ("gates > high", "gates >= high")),
        "sides swapped": edited(reference.saturation_fractions, ("(gates < low).mean(axis=(0, 1)), (gates > high).mean(axis=(0, 1))", "(gates > high).mean(axis=(0, 1)), (gates < low).mean(axis=(0, 1))")),
        "counts, not fractions": edited(reference.saturation_fractions, (".mean(", ".sum(")),
        "thresholds ignored": edited(reference.saturation_fractions, ("gates < low", "gates < 0.1"), ("gates > high", "gates > 0.9")),
        "right is 1 - left": edited(reference.saturation_fractions, ("(gates > high).mean(axis=(0, 1))", "1 - (gates < low).mean(axis=(0, 1))")),
    },
    "lstm_variant_cell": {
        "CS231n gate order i, f, o, g": edited(reference.LSTMVariantCell, ("zi, zf, zg, zo = z.chunk", "zi, zf, zo, zg = z.chunk")),
        "bias_hh left out": edited(reference.LSTMVariantCell, (" + self.bias_hh\n", "\n")),
        "no forget gate as f = 0": edited(reference.LSTMVariantCell, ("torch.ones_like(zf)", "torch.zeros_like(zf)")),
        "coupled as f = i": edited(reference.LSTMVariantCell, ("f = 1 - i if", "f = i if")),
        "candidate option ignored": edited(reference.LSTMVariantCell, ("squash[self.candidate](zg)", "torch.tanh(zg)")),
        "output option ignored": edited(reference.LSTMVariantCell, ("squash[self.output](c), c", "torch.tanh(c), c")),
        "one bias only": edited(reference.LSTMVariantCell, (" + self.bias_hh\n", "\n"), ("        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))\n", "")),
        "cell state detached": edited(reference.LSTMVariantCell, ("c = f * c + i * squash[self.candidate](zg)", "c = (f * c + i * squash[self.candidate](zg)).detach()")),
        "coupled gate detached": edited(reference.LSTMVariantCell, ("f = 1 - i if", "f = 1 - i.detach() if")),
        "zero initialisation": edited(reference.LSTMVariantCell, (".uniform_(-k, k)", ".zero_()")),
    },
}

RIGHT = {
    "saturation_fractions": {
        "flattened to (T * N, H)": '''
def saturation_fractions(gates, low=0.1, high=0.9):
    flat = np.asarray(gates).reshape(-1, np.shape(gates)[-1])
    return np.mean(flat < low, axis=0), np.mean(flat > high, axis=0)
''',
        "a loop over units": '''
def saturation_fractions(gates, low=0.1, high=0.9):
    T, N, H = gates.shape
    left, right = np.zeros(H), np.zeros(H)
    for unit in range(H):
        values = gates[:, :, unit]
        left[unit] = np.count_nonzero(values < low) / values.size
        right[unit] = np.count_nonzero(values > high) / values.size
    return left, right
''',
        "in torch": '''
def saturation_fractions(gates, low=0.1, high=0.9):
    g = torch.as_tensor(gates)
    return (g < low).double().mean(dim=(0, 1)).numpy(), (g > high).double().mean(dim=(0, 1)).numpy()
''',
    },
    "lstm_variant_cell": {
        "the chunked class, another wording": edited(reference.LSTMVariantCell, ("squash[self.output](c), c", '(c if self.output == "identity" else torch.tanh(c)), c')),
        "a subclass of torch.nn.LSTMCell": '''
class LSTMVariantCell(torch.nn.LSTMCell):
    def __init__(self, input_size, hidden_size, candidate="tanh", output="tanh", forget_gate=True, coupled=False):
        super().__init__(input_size, hidden_size)
        self.candidate, self.output, self.forget_gate, self.coupled = candidate, output, forget_gate, coupled

    def forward(self, x, state):
        h, c = state
        z = torch.nn.functional.linear(x, self.weight_ih, self.bias_ih) + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh)
        H = self.hidden_size
        i, f, o = torch.sigmoid(z[:, :H]), torch.sigmoid(z[:, H:2 * H]), torch.sigmoid(z[:, 3 * H:])
        if self.coupled:
            f = 1 - i
        elif not self.forget_gate:
            f = torch.ones_like(f)
        zg = z[:, 2 * H:3 * H]
        if self.candidate == "tanh":
            g = torch.tanh(zg)
        elif self.candidate == "sigmoid":
            g = torch.sigmoid(zg)
        else:
            g = zg
        c = f * c + i * g
        if self.output == "tanh":
            return o * torch.tanh(c), c
        return o * c, c
''',
        "parameters initialised in a loop, gates by name": '''
class LSTMVariantCell(torch.nn.Module):
    def __init__(self, input_size, hidden_size, candidate="tanh", output="tanh", forget_gate=True, coupled=False):
        super().__init__()
        self.options = dict(candidate=candidate, output=output, forget_gate=forget_gate, coupled=coupled)
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size))
        for p in self.parameters():
            torch.nn.init.uniform_(p, -hidden_size ** -0.5, hidden_size ** -0.5)

    def forward(self, x, state):
        h_prev, c_prev = state
        gates = dict(zip("ifgo", torch.split(x @ self.weight_ih.T + h_prev @ self.weight_hh.T + self.bias_ih + self.bias_hh,
                                            self.weight_hh.shape[1], dim=-1)))
        i, o = gates["i"].sigmoid(), gates["o"].sigmoid()
        f = 1 - i if self.options["coupled"] else gates["f"].sigmoid() if self.options["forget_gate"] else 1.0
        g = {"tanh": gates["g"].tanh(), "sigmoid": gates["g"].sigmoid(), "identity": gates["g"]}[self.options["candidate"]]
        c = f * c_prev + i * g
        return o * (c.tanh() if self.options["output"] == "tanh" else c), c
''',
    },
}

# The example class's student with typical mistakes picks these.
TYPICAL_MISTAKES = {"saturation_fractions": "boundaries counted", "lstm_variant_cell": "coupled as f = i"}

# What a failing check must say for some of the wrong variants: (function, variant, phrase in the message).
DIAGNOSES = [
    ("saturation_fractions", "averaged over time only", "axis=(0, 1)"),
    ("saturation_fractions", "boundaries counted", "strictly less than low"),
    ("saturation_fractions", "sides swapped", "swap the two"),
    ("saturation_fractions", "counts, not fractions", "instead of taking their fraction"),
    ("saturation_fractions", "thresholds ignored", "ignore the low and high"),
    ("saturation_fractions", "right is 1 - left", "1 - left"),
    ("lstm_variant_cell", "CS231n gate order i, f, o, g", "i, f, o, g"),
    ("lstm_variant_cell", "bias_hh left out", "leave out b_hh"),
    ("lstm_variant_cell", "no forget gate as f = 0", "f = 0 instead of f = 1"),
    ("lstm_variant_cell", "coupled as f = i", "f = i instead of f = 1 - i"),
    ("lstm_variant_cell", "candidate option ignored", "ignore candidate="),
    ("lstm_variant_cell", "output option ignored", "ignore output="),
    ("lstm_variant_cell", "one bias only", "no parameter `bias_hh`"),
    ("lstm_variant_cell", "cell state detached", "gradient"),
    ("lstm_variant_cell", "coupled gate detached", "disagree with finite differences"),
    ("lstm_variant_cell", "zero initialisation", "constant at creation"),
]
