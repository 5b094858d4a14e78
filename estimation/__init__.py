"""Estimates of unregistered residents and of registered people who have left (Dunkelziffer).

Pure functions (numpy/scipy/polars), no Dagster: dual-system and log-linear multiple-systems
estimation, the school ratio method, over-count from reporting lags and inspections, and their
validation against any world's truth and over the validation family (family.py). See METHODS.md.
"""

from estimation.capture_history import estimate_capture_history, read_capture_history
from estimation.dual_system import chapman, dual_system, lincoln_petersen
from estimation.loglinear import multiple_systems
from estimation.overcount import inspection_ratio, lag_overcount
from estimation.ratio import ratio_estimate
from estimation.result import Estimate

__all__ = [
    "Estimate",
    "chapman",
    "dual_system",
    "estimate_capture_history",
    "inspection_ratio",
    "lag_overcount",
    "lincoln_petersen",
    "multiple_systems",
    "ratio_estimate",
    "read_capture_history",
]
