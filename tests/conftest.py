"""What the course's tests share: where things are, and the learner-facing contract."""
from pathlib import Path

import numpy as np
import torch

from autograder.instructor.course import SOLUTIONS, read_notebook, solution_answers

REPO = Path(__file__).resolve().parents[1]

# The contract's functions, lesson by lesson: each is defined in its own solution cell whose grade_id is its name.
CONTRACT = {
    "01_gates": ["sigmoid", "sigmoid_grad", "tanh_via_sigmoid", "gate", "gated_product_grads"],
    "02_cell_state": ["cell_update", "cell_output", "counter_params", "latch_params"],
    "03_lstm_cell": ["lstm_cell_forward", "lstm_forward", "init_lstm_params", "params_from_torch"],
    "04_backprop": ["lstm_cell_backward", "lstm_backward", "numerical_gradient", "relative_error"],
    "05_vanishing_gradients": ["rnn_cell_forward", "rnn_forward", "rnn_step_jacobian", "lstm_state_jacobian",
                               "gradient_norms_through_time", "make_adding_problem"],
    "06_switches_and_counters": ["saturation_fractions", "lstm_variant_cell"],
}

# grade_ids are snake_case; the contract's one class keeps its Python name in the cell.
DEFINED_NAME = {"lstm_variant_cell": "LSTMVariantCell"}


def learner_namespace(lesson, replace=None):
    """Run a lesson's code solution cells in order in a fresh namespace, with `replace` ({grade_id: source}) swapped in."""
    answers = {**solution_answers(lesson), **(replace or {})}
    namespace = {"np": np, "torch": torch}
    for cell in read_notebook(SOLUTIONS / lesson / f"{lesson}.ipynb").cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            exec(answers[meta["grade_id"]], namespace)
    return namespace
