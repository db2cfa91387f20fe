"""autograder.stats: the t-interval the lessons print."""
import numpy as np
import pytest

from autograder.stats import mean_interval


def test_five_seeds():
    mean, half = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert mean == 3.0 and half == pytest.approx(2.776 * np.sqrt(2.5) / np.sqrt(5))


def test_covers_the_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    covered = [abs(m) <= h for m, h in (mean_interval(rng.normal(size=n)) for n in [5, 10] * 2000)]
    assert 0.93 < np.mean(covered) < 0.97
