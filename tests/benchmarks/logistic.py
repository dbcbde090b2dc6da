"""Weighted logistic regression by Newton steps, for the evaluation scripts' learned decisions
(small problems: a few thousand rows, a few dozen features, no library beyond numpy)."""

from __future__ import annotations


def fit_logistic(x, y, weight, penalty, *, max_steps: int, tolerance: float):
    """Coefficients minimising the weighted log loss of `y` (0..1, soft labels allowed) plus
    `penalty * beta**2 / 2` per coefficient (0 for the bias column)."""
    import numpy as np

    beta = np.zeros(x.shape[1])
    for _ in range(max_steps):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ (weight * (p - y)) + penalty * beta
        hess = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < tolerance:
            break
    return beta
