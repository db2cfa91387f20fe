"""The one statistic the lessons report for trained models: a mean over seeds with its 95% confidence interval."""
import numpy as np

# Student's t distribution, its 0.975 quantile by degrees of freedom (from a t-table: the course does without scipy).
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
         11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093}


def mean_interval(values):
    """(mean, half-width of the 95% t-interval): mean ± t_{0.975, n-1} s / sqrt(n), s the sample standard deviation."""
    values = np.asarray(values, dtype=float)
    return values.mean(), T_975[len(values) - 1] * values.std(ddof=1) / np.sqrt(len(values))
