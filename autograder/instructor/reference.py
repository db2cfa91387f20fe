"""The reference implementation of every contract function. Instructor-only: hidden tests compare with it."""
import numpy as np


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
