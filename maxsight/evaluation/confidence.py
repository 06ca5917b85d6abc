"""Wilson score intervals for the proportions behind the safety gates, and the verdict
that says whether the interval or only the point estimate clears a gate.

Wilson (1927): for k successes in n trials, p = k / n and z the normal quantile,
centre = (p + z^2 / 2n) / (1 + z^2 / n), half width = z / (1 + z^2 / n) *
sqrt(p (1 - p) / n + z^2 / 4n^2). Unlike the normal interval it stays inside [0, 1] and is
not empty at p = 0 or 1, which matters for gates near 0.95 and 0.01.
"""
import math
from typing import Optional, Tuple

#: Two-sided 95 %: the 0.975 quantile of the standard normal.
Z_95 = 1.959963984540054


def wilson_interval(successes: float, n: float, z: float = Z_95) -> Tuple[float, float]:
    """(low, high) of the Wilson interval; (0, 1) when there are no trials."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def gate_verdict(op: str, threshold: float, value: Optional[float],
                 ci: Optional[Tuple[float, float]] = None) -> str:
    """'PASS' when the whole interval clears the gate (or the value does, without an
    interval), 'PASS (point only)' when the estimate clears it but the interval does not,
    'FAIL' when the estimate does not (or there is no value)."""
    if value is None:
        return 'FAIL'
    point = value >= threshold if op == '>=' else value <= threshold
    if not point:
        return 'FAIL'
    if ci is None:
        return 'PASS'
    interval = ci[0] >= threshold if op == '>=' else ci[1] <= threshold
    return 'PASS' if interval else 'PASS (point only)'
