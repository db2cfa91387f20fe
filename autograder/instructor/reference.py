"""The reference implementation of every contract function. Instructor-only: hidden tests compare with it."""
import math

import numpy as np
import torch


# 01_gates

def sigmoid(x):
    """Logistic function that never takes exp of a positive number, so it cannot overflow."""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x):
    """Derivative of the sigmoid: s * (1 - s)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh_via_sigmoid(x):
    """tanh from the sigmoid alone: tanh(x) = 2 * sigmoid(2x) - 1."""
    return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=float)) - 1.0


def gate(x, W, b):
    """A sigmoid gate: sigmoid(x @ W.T + b), x (N, D), W (H, D), b (H,) -> (N, H)."""
    return sigmoid(x @ W.T + b)


def gated_product_grads(a, b, dy):
    """(da, db) for y = tanh(a) * sigmoid(b), given the upstream gradient dy."""
    t, s = np.tanh(a), sigmoid(b)
    return dy * (1.0 - t**2) * s, dy * t * s * (1.0 - s)


# 02_cell_state

def cell_update(c_prev, f, i, g):
    """The new cell state: keep f of the old one, write i of the candidate."""
    return f * c_prev + i * g


def cell_output(c, o):
    """The hidden state: the squashed cell state, let out by the output gate."""
    return o * np.tanh(c)


def counter_params():
    """One unit whose cell state counts bracket depth: inputs [open, close], gates i, f held open, g = +-1."""
    big = 20.0
    W_ih = np.array([[0.0, 0.0], [0.0, 0.0], [big, -big], [0.0, 0.0]])
    b_ih = np.array([big, big, 0.0, 0.0])
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": b_ih, "b_hh": np.zeros(4)}


def latch_params():
    """One unit that remembers whether the last event was set (c = 1) or reset (c = 0); inputs [set, reset, other]."""
    big = 20.0
    W_ih = np.array([[big, -big, -big],   # i: write only on set
                     [-big, -big, big],   # f: forget on set and reset, keep otherwise
                     [big, 0.0, 0.0],     # g: write +1
                     [0.0, 0.0, 0.0]])    # o: unused
    return {"W_ih": W_ih, "W_hh": np.zeros((4, 1)), "b_ih": np.zeros(4), "b_hh": np.zeros(4)}


# 03_lstm_cell

def lstm_cell_forward(x, h_prev, c_prev, params):
    """One step of PyTorch's LSTM for a batch: gates i, f, g, o stacked in W_ih (4H, D) and W_hh (4H, H)."""
    z = x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"]
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), np.tanh(zg), sigmoid(zo)
    c = cell_update(c_prev, f, i, g)
    h = cell_output(c, o)
    return h, c, (x, h_prev, c_prev, i, f, g, o, c, params)


def lstm_forward(xs, h0, c0, params):
    """The cell over a time-major sequence xs (T, N, D); returns (hs, (h_T, c_T), caches)."""
    h, c, hs, caches = h0, c0, [], []
    for x in xs:
        h, c, cache = lstm_cell_forward(x, h, c, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), (h, c), caches


def init_lstm_params(input_size, hidden_size, rng, forget_bias=0.0):
    """PyTorch's initialisation, U(-1/sqrt(H), 1/sqrt(H)), with forget_bias added to b_ih's forget block."""
    k = 1.0 / np.sqrt(hidden_size)
    H, D = hidden_size, input_size
    params = {"W_ih": rng.uniform(-k, k, size=(4 * H, D)), "W_hh": rng.uniform(-k, k, size=(4 * H, H)),
              "b_ih": rng.uniform(-k, k, size=4 * H), "b_hh": rng.uniform(-k, k, size=4 * H)}
    params["b_ih"][H:2 * H] += forget_bias
    return params


def params_from_torch(module):
    """float64 numpy params from a torch.nn.LSTMCell or a one-layer torch.nn.LSTM."""
    suffix = "_l0" if hasattr(module, "weight_ih_l0") else ""
    return {name: getattr(module, f"{torch_name}{suffix}").detach().cpu().double().numpy().copy()
            for name, torch_name in [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]}


# 04_backprop

def lstm_cell_backward(dh, dc, cache):
    """Gradients of one step, given dL/dh and dL/dc of this step's outputs: (dx, dh_prev, dc_prev, grads)."""
    x, h_prev, c_prev, i, f, g, o, c, params = cache
    tanh_c = np.tanh(c)
    dc = dc + dh * o * (1.0 - tanh_c**2)          # c reaches the loss directly and through h
    do = dh * tanh_c
    di, df, dg = dc * g, dc * c_prev, dc * i
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1)
    grads = {"W_ih": dz.T @ x, "W_hh": dz.T @ h_prev, "b_ih": dz.sum(axis=0), "b_hh": dz.sum(axis=0)}
    return dz @ params["W_ih"], dz @ params["W_hh"], dc * f, grads


def lstm_backward(dhs, cache, dh_T=None, dc_T=None):
    """Backpropagation through time over lstm_forward's caches: (dxs, dh0, dc0, grads)."""
    dh = np.zeros_like(dhs[0]) if dh_T is None else dh_T
    dc = np.zeros_like(dhs[0]) if dc_T is None else dc_T
    grads, dxs = None, []
    for t in reversed(range(len(cache))):
        dx, dh, dc, step = lstm_cell_backward(dhs[t] + dh, dc, cache[t])
        grads = step if grads is None else {k: grads[k] + step[k] for k in grads}
        dxs.append(dx)
    return np.stack(dxs[::-1]), dh, dc, grads


def numerical_gradient(f, x, eps=1e-6):
    """Central differences of the scalar function f at array x, one entry at a time; x is left unchanged."""
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


def relative_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), as a Python float."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


# 05_vanishing_gradients

def rnn_cell_forward(x, h_prev, params):
    """One step of PyTorch's tanh RNN for a batch: (h, cache)."""
    h = np.tanh(x @ params["W_ih"].T + params["b_ih"] + h_prev @ params["W_hh"].T + params["b_hh"])
    return h, (x, h_prev, h, params)


def rnn_forward(xs, h0, params):
    """The RNN over a time-major sequence: (hs, h_T, caches)."""
    h, hs, caches = h0, [], []
    for x in xs:
        h, cache = rnn_cell_forward(x, h, params)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs), h, caches


def rnn_step_jacobian(x, h_prev, params):
    """d h_t / d h_{t-1} for each example: diag(1 - h_t^2) @ W_hh, shape (N, H, H)."""
    h, _ = rnn_cell_forward(x, h_prev, params)
    return (1.0 - h**2)[:, :, None] * params["W_hh"][None]


def lstm_state_jacobian(x, h_prev, c_prev, params):
    """The (2H, 2H) Jacobian of [h_t; c_t] with respect to [h_{t-1}; c_{t-1}] for one example."""
    h, c, (_, _, _, i, f, g, o, _, _) = lstm_cell_forward(x[None], h_prev[None], c_prev[None], params)
    i, f, g, o, c = i[0], f[0], g[0], o[0], c[0]
    Wi, Wf, Wg, Wo = np.split(params["W_hh"], 4, axis=0)
    di, df, dg, do = (i * (1 - i))[:, None] * Wi, (f * (1 - f))[:, None] * Wf, (1 - g**2)[:, None] * Wg, (o * (1 - o))[:, None] * Wo
    dc_dh = c_prev[:, None] * df + g[:, None] * di + i[:, None] * dg
    dc_dc = np.diag(f)
    squash = o * (1 - np.tanh(c) ** 2)
    dh_dh = np.tanh(c)[:, None] * do + squash[:, None] * dc_dh
    dh_dc = np.diag(squash * f)
    return np.block([[dh_dh, dh_dc], [dc_dh, dc_dc]])


def gradient_norms_through_time(jacobians):
    """Spectral norms of d s_T / d s_{T-k} for k = 0..T, from the step Jacobians jacobians[t-1] = d s_t / d s_{t-1}."""
    product = np.eye(jacobians.shape[1])
    norms = [1.0]
    for jacobian in jacobians[::-1]:
        product = product @ jacobian
        norms.append(np.linalg.norm(product, 2))
    return np.array(norms)


def make_adding_problem(n, T, rng):
    """The adding problem: xs (T, n, 2) with values U[0, 1) and two markers, one in each half; y the marked sum."""
    values = rng.uniform(0.0, 1.0, size=(T, n))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((T, n))
    markers[first, np.arange(n)] = 1.0
    markers[second, np.arange(n)] = 1.0
    return np.stack([values, markers], axis=-1), values[first, np.arange(n)] + values[second, np.arange(n)]


# 06_switches_and_counters

def saturation_fractions(gates, low=0.1, high=0.9):
    """Per unit, the fraction of gate values strictly below `low` and strictly above `high`."""
    gates = np.asarray(gates, dtype=float)
    return (gates < low).mean(axis=(0, 1)), (gates > high).mean(axis=(0, 1))


class LSTMVariantCell(torch.nn.Module):
    """torch.nn.LSTMCell with switchable parts: candidate and output activations, forget gate, coupled gates."""

    ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda z: z}

    def __init__(self, input_size, hidden_size, candidate="tanh", output="tanh", forget_gate=True, coupled=False):
        super().__init__()
        self.candidate, self.output, self.forget_gate, self.coupled = candidate, output, forget_gate, coupled
        k = 1 / math.sqrt(hidden_size)
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))
        self.bias_hh = torch.nn.Parameter(torch.empty(4 * hidden_size).uniform_(-k, k))

    def forward(self, x, state):
        h, c = state
        z = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
        zi, zf, zg, zo = z.chunk(4, dim=1)
        i, o = torch.sigmoid(zi), torch.sigmoid(zo)
        f = 1 - i if self.coupled else torch.sigmoid(zf) if self.forget_gate else torch.ones_like(zf)
        c = f * c + i * self.ACTIVATIONS[self.candidate](zg)
        return o * self.ACTIVATIONS[self.output](c), c
