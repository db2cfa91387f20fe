"""What the course's tests share: where things are, and the learner-facing contract."""
from pathlib import Path

import numpy as np
import torch

from autograder.instructor.course import solution_answers

REPO = Path(__file__).resolve().parents[1]

# The contract's functions, lesson by lesson: each is defined in its own solution cell whose grade_id is its name.
CONTRACT = {
    "01_gates": ["sigmoid", "sigmoid_grad", "tanh_via_sigmoid", "gate", "gated_product_grads"],
    "02_cell_state": ["cell_update", "cell_output", "counter_params", "latch_params"],
}


def learner_namespace(lesson, replace=None):
    """Run a lesson's solution cells in a fresh namespace, with `replace` ({grade_id: source}) swapped in."""
    answers = {**solution_answers(lesson), **(replace or {})}
    namespace = {"np": np, "torch": torch}
    for name in CONTRACT[lesson]:
        exec(answers[name], namespace)
    return namespace
