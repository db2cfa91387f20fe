"""Every contract function as its solution cell has it. Instructor-only: the tests and the catalogue of variants use it.

Generated from the solution cells by `make lessons` (python -m autograder.instructor.lessons): edit the solutions, not this file.
"""
import numpy as np
import torch


# 01_gates

def sigmoid(x):
    """Logistic function, elementwise; never overflows."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))  # never exp of a positive number
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x):
    """Derivative of the sigmoid at x."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_via_sigmoid(x):
    """tanh(x), computed from the sigmoid alone."""
    return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=float)) - 1.0


def gate(x, W, b):
    """A layer of sigmoid gates: sigmoid(x @ W.T + b), shape (N, H)."""
    return sigmoid(x @ W.T + b)


def gated_product_grads(a, b, dy):
    """Gradients (da, db) of y = tanh(a) * sigmoid(b), given the upstream gradient dy."""
    t = np.tanh(a)
    s = sigmoid(b)
    da = dy * (1.0 - t**2) * s
    db = dy * t * sigmoid_grad(b)
    return da, db



# 02_cell_state

def cell_update(c_prev, f, i, g):
    """The new cell state: f * c_prev + i * g."""
    return f * c_prev + i * g


def cell_output(c, o):
    """The hidden state: o * tanh(c)."""
    return o * np.tanh(c)


def counter_params():
    """Weights of a one-unit LSTM whose cell state counts bracket depth; inputs one-hot [open, close]."""
    big = 20.0
    W_ih = np.array([[0.0, 0.0],      # i: held open by its bias
                     [0.0, 0.0],      # f: held open by its bias
                     [big, -big],     # g: +1 on open, -1 on close
                     [0.0, 0.0]])     # o: not needed for counting
    b_ih = np.array([big, big, 0.0, 0.0])
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": b_ih, "b_hh": np.zeros(4)}


def latch_params():
    """Weights of a one-unit LSTM that remembers set (c = 1) or reset (c = 0); inputs one-hot [set, reset, other]."""
    big = 20.0
    W_ih = np.array([[big, -big, -big],   # i: write only on set
                     [-big, -big, big],   # f: forget on set and reset, keep on other
                     [big, 0.0, 0.0],     # g: the value written, +1
                     [0.0, 0.0, 0.0]])    # o: not needed
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": np.zeros(4), "b_hh": np.zeros(4)}



# 03_lstm_cell

def lstm_cell_forward(x, h_prev, c_prev, params):
    """One LSTM step for a batch, in PyTorch's layout; returns (h, c, cache)."""
    z = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, (x, h_prev, c_prev, i, f, g, o, c, params)


def lstm_forward(xs, h0, c0, params):
    """The LSTM over a time-major sequence; returns (hs, (h_T, c_T), cache)."""
    h, c = h0, c0
    hs, caches = [], []
    for x in xs:
        h, c, cache = lstm_cell_forward(x, h, c, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), (h, c), caches


def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
    """PyTorch's LSTM initialisation, U(-1/sqrt(H), 1/sqrt(H)), with forget_bias added to b_ih's forget block."""
    H, D = hidden_size, input_size
    k = 1.0 / np.sqrt(H)
    params = {"W_ih": rng.uniform(-k, k, size=(4 * H, D)), "W_hh": rng.uniform(-k, k, size=(4 * H, H)),
              "b_ih": rng.uniform(-k, k, size=4 * H), "b_hh": rng.uniform(-k, k, size=4 * H)}
    params["b_ih"][H:2 * H] += forget_bias
    return params


def params_from_torch(module):
    """float64 numpy copies of the parameters of a torch.nn.LSTMCell or a one-layer torch.nn.LSTM."""
    suffix = "_l0" if isinstance(module, torch.nn.LSTM) else ""
    names = {"W_ih": "weight_ih", "W_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}
    return {ours: getattr(module, theirs + suffix).detach().double().numpy().copy() for ours, theirs in names.items()}



# 04_backprop

def relative_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), elementwise then the largest, as a Python float."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function f at the array x; x is left unchanged."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f(x)
        x[index] = old - eps
        down = f(x)
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def lstm_cell_backward(dh, dc, cache):
    """One LSTM step backward: (dx, dh_prev, dc_prev, grads) from dL/dh and dL/dc of this step."""
    x, h_prev, c_prev, i, f, g, o, c, params = cache
    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1.0 - tanh_c**2)  # c reaches the loss directly and through h
    do = dh * tanh_c
    di, df, dg = dc * g, dc * c_prev, dc * i
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    grads = {"W_ih": dz.T @ x, "W_hh": dz.T @ h_prev, "b_ih": dz.sum(axis=0), "b_hh": dz.sum(axis=0)}
    return dz @ params["W_ih"], dz @ params["W_hh"], dc * f, grads


def lstm_backward(dhs, cache, dh_T=None, dc_T=None):
    """Backpropagation through time: (dxs, dh0, dc0, grads) from dL/dhs and optional gradients on the final state."""
    dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T
    dc = np.zeros_like(dhs[0]) if dc_T is None else dc_T
    grads, dxs = None, []
    for t in reversed(range(len(cache))):
        dx, dh, dc, step = lstm_cell_backward(dhs[t] + dh, dc, cache[t])
        grads = step if grads is None else {name: grads[name] + step[name] for name in grads}
        dxs.append(dx)
    return np.stack(dxs[::-1]), dh, dc, grads



# 05_vanishing_gradients

def rnn_cell_forward(x, h_prev, params):
    """One step of a tanh RNN for a batch; returns (h, cache)."""
    h = np.tanh(x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"])
    return h, (x, h_prev, h)


def rnn_forward(xs, h0, params):
    """A tanh RNN over a time-major sequence; returns (hs, h_T, cache)."""
    h, hs, caches = h0, [], []
    for x in xs:
        h, cache = rnn_cell_forward(x, h, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), h, caches


def rnn_step_jacobian(x, h_prev, params):
    """d h_t / d h_(t-1) = diag(1 - h_t^2) @ W_hh for each example, shape (N, H, H)."""
    h, _ = rnn_cell_forward(x, h_prev, params)
    return (1.0 - h**2)[:, :, None] * params["W_hh"][None]


def lstm_state_jacobian(x, h_prev, c_prev, params):
    """The (2H, 2H) Jacobian of [h_t; c_t] with respect to [h_(t-1); c_(t-1)], for one example."""
    H = h_prev.shape[0]
    z = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
    c = f * c_prev + i * g
    W_i, W_f, W_g, W_o = np.split(params["W_hh"], 4)
    dc_dh = (c_prev * f * (1 - f))[:, None] * W_f + (g * i * (1 - i))[:, None] * W_i + (i * (1 - g**2))[:, None] * W_g
    squash = o * (1 - np.tanh(c) ** 2)
    dh_dh = (np.tanh(c) * o * (1 - o))[:, None] * W_o + squash[:, None] * dc_dh
    return np.block([[dh_dh, np.diag(squash * f)], [dc_dh, np.diag(f)]])


def gradient_norms_through_time(jacobians):
    """Spectral norms of d s_T / d s_(T-k) for k = 0..T, from the step Jacobians."""
    product = np.eye(jacobians.shape[1])
    norms = [1.0]
    for jacobian in jacobians[::-1]:
        product = product @ jacobian
        norms.append(np.linalg.norm(product, 2))
    return np.array(norms)


def make_adding_problem(n, T, rng):
    """The adding problem: xs (T, n, 2), values and markers; y (n,), the sum of the two marked values."""
    values = rng.uniform(0.0, 1.0, size=(T, n))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((T, n))
    markers[first, np.arange(n)] = 1.0
    markers[second, np.arange(n)] = 1.0
    return np.stack([values, markers], axis=-1), values[first, np.arange(n)] + values[second, np.arange(n)]



# 06_switches_and_counters

def saturation_fractions(gates, low=0.1, high=0.9):
    """Per unit, the fraction of gate values strictly below low and strictly above high; returns (left, right)."""
    gates = np.asarray(gates, dtype=float)
    return (gates < low).mean(axis=(0, 1)), (gates > high).mean(axis=(0, 1))


class LSTMVariantCell(torch.nn.Module):
    """torch.nn.LSTMCell with switchable parts: candidate and output activations, forget gate, coupled gates."""

    def __init__(self, input_size, hidden_size, candidate="tanh", output="tanh", forget_gate=True, coupled=False):
        super().__init__()
        self.candidate, self.output, self.forget_gate, self.coupled = candidate, output, forget_gate, coupled
        k = hidden_size ** -0.5
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))

    def forward(self, x, state):
        """One step for a batch: x (N, D), state = (h, c); returns the new (h, c)."""
        h, c = state
        z = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        zi, zf, zg, zo = z.chunk(4, dim=1)
        i, o = torch.sigmoid(zi), torch.sigmoid(zo)
        f = 1 - i if self.coupled else torch.sigmoid(zf) if self.forget_gate else torch.ones_like(zf)
        squash = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda v: v}
        c = f * c + i * squash[self.candidate](zg)
        return o * squash[self.output](c), c
