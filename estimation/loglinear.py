"""Multiple-systems estimation: log-linear Poisson models on the capture histories of k lists.

Each observable capture history (one 0/1 per list, not all zero) is a cell with a count; cells
nobody fell into are included with count 0. A model has the intercept, all main effects and a
subset of the two-way interactions (the interactions carry list dependence and part of the
heterogeneity). The unobserved all-zero cell is exp(intercept). Structural zeros - histories
that cannot occur, e.g. register=0 & sgb2=1 because SGB II requires registration - are left
out of the fit, so they neither count as "observed zero" nor get a fitted value; interactions
that become aliased with a main effect on the remaining cells are not estimable and are
dropped from the candidate set. Model choice by AIC over all subsets of the two-way
interactions (or the stepwise choice of Bales et al.); the interval of the chosen model from the
profile likelihood of N under the multinomial.

References:
- Fienberg, S. E. (1972), The multiple recapture census for closed populations and incomplete 2^k
  contingency tables, Biometrika 59, 591-603: the log-linear model of the incomplete table.
- Cormack, R. M. (1989), Log-linear models for capture-recapture, Biometrics 45, 395-413;
  Cormack, R. M. (1992), Interval estimation for mark-recapture studies of closed populations,
  Biometrics 48, 567-576: the profile-likelihood interval.
- Bishop, Y. M. M., Fienberg, S. E. & Holland, P. W. (1975), Discrete Multivariate Analysis, ch. 6:
  structural zeros.
- Bales, K., Hesketh, O. & Silverman, B. W. (2015), Modern slavery in the UK: how many victims?,
  Significance 12(3), 16-21: the stepwise selection and the UK 2013 data of the reference test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import optimize, special

from estimation.result import Z95, Estimate

ASSUMPTIONS = (
    "closed population on the reference date; the dependence between lists (and the part of "
    "heterogeneity that acts like it) is captured by the two-way interactions of the chosen "
    "model; no three-way interaction; the unobserved people behave like the model extrapolates; "
    "linkage by pseudonym without error; structural zeros declared correctly"
)
CHI2_95 = 3.841458820694124
MAX_ABS_COEF = 12.0  # a coefficient this large means the MLE ran to the boundary (a zero margin)


def capture_cells(
    histories: np.ndarray, counts: np.ndarray, k: int, structural_zeros: list[dict[int, int]] = ()
) -> tuple[np.ndarray, np.ndarray, int]:
    """All 2^k - 1 observable histories (minus structural zeros) with their counts.

    `histories` (n x k, 0/1) and `counts` may list a history several times or not at all.
    Returns (cells, counts, number of persons dropped because they sat in a structural zero).
    """
    cells = np.array([h for h in itertools.product((0, 1), repeat=k) if any(h)], dtype=int)
    keep = np.array([not _is_structural(c, structural_zeros) for c in cells])
    cells = cells[keep]
    index = {tuple(c): i for i, c in enumerate(cells)}
    y = np.zeros(len(cells))
    dropped = 0
    for h, n in zip(np.asarray(histories, dtype=int), np.asarray(counts, dtype=float)):
        key = tuple(int(v) for v in h)
        if not any(key):
            raise ValueError("the all-zero capture history is unobservable and must not be given")
        if key in index:
            y[index[key]] += n
        else:
            dropped += n
    # A negative row (e.g. estimated erroneous inclusions taken off the register-only cell)
    # may not push a cell below zero.
    return cells, np.maximum(y, 0.0), int(dropped)


def _is_structural(cell, structural_zeros) -> bool:
    return any(all(cell[i] == v for i, v in rule.items()) for rule in structural_zeros)


def design(cells: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    cols = [np.ones(len(cells))] + [cells[:, j] for j in range(cells.shape[1])]
    cols += [cells[:, a] * cells[:, b] for a, b in pairs]
    return np.column_stack(cols).astype(float)


def poisson_irls(
    X: np.ndarray, y: np.ndarray, beta0: np.ndarray | None = None, tol: float = 1e-10, max_iter: int = 100
) -> np.ndarray:
    """Plain Poisson IRLS (log link) - used for the many refits of the profile likelihood."""
    beta = np.zeros(X.shape[1]) if beta0 is None else beta0.copy()
    if beta0 is None:
        beta[0] = math.log(max(y.mean(), 0.5))
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -50, 50)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        new, *_ = np.linalg.lstsq(X * w[:, None], z * w, rcond=None)
        if np.max(np.abs(new - beta)) < tol:
            return new
        beta = new
    return beta


def poisson_glm(X: np.ndarray, y: np.ndarray, max_iter: int = 100) -> dict | None:
    """Maximum-likelihood Poisson regression (log link) by iteratively reweighted least squares,
    started like statsmodels' GLM (mu = (y + mean y) / 2) and run until the deviance settles.
    Returns beta, the log-likelihood, the deviance and the covariance (X' W X)^-1, or None when a
    step is not finite. A model whose MLE lies on the boundary (a zero margin) does not converge:
    its coefficients run away, which fit_model reads as `boundary`."""
    mu = (y + y.mean()) / 2 + 1e-12
    eta = np.log(mu)
    dev_old, beta = math.inf, None
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        xtw = X.T * mu
        try:
            new = np.linalg.solve(xtw @ X, xtw @ z)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(new)):
            return None
        beta = new
        eta = np.clip(X @ beta, -50, 50)
        mu = np.exp(eta)
        dev = _deviance(y, mu)
        if abs(dev - dev_old) < 1e-10 * (abs(dev) + 1e-8) + 1e-12:
            break
        dev_old = dev
    pos = y > 0
    llf = float(np.sum(y[pos] * np.log(mu[pos])) - mu.sum() - special.gammaln(y + 1).sum())
    try:
        cov = np.linalg.inv((X * mu[:, None]).T @ X)
    except np.linalg.LinAlgError:
        cov = np.full((X.shape[1], X.shape[1]), np.nan)
    return {"beta": beta, "llf": llf, "deviance": float(_deviance(y, mu)), "cov": cov}


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    pos = y > 0
    return float(2 * (np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu)))


def fit_model(cells: np.ndarray, y: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> dict | None:
    """Fit one log-linear model (Poisson, `poisson_glm`).

    None if it has more parameters than cells; {"aliased": True} if its design is rank-deficient
    on the observable cells (structural zeros make a term indistinguishable from others);
    {"failed": True} if the fit breaks down numerically.
    """
    X = design(cells, pairs)
    if X.shape[1] > len(y):
        return None
    if np.linalg.matrix_rank(X) < X.shape[1]:
        return {"pairs": pairs, "aliased": True}
    with np.errstate(all="ignore"):
        res = poisson_glm(X, y)
    if res is None:
        return {"pairs": pairs, "failed": True}
    beta = res["beta"]
    boundary = (not np.all(np.isfinite(beta))) or np.max(np.abs(beta)) > MAX_ABS_COEF
    # exp() of a runaway intercept overflows: such a fit is at the boundary anyway
    mu0 = math.exp(beta[0]) if np.isfinite(beta[0]) and beta[0] < 700 else math.inf
    var0 = float(res["cov"][0, 0])
    # a near-singular fit can give a (tiny) negative variance: no usable standard error then
    return {
        "pairs": pairs,
        "beta": beta,
        "mu0": mu0,
        "aic": float(-2 * res["llf"] + 2 * X.shape[1]),
        "deviance": res["deviance"],
        "df_resid": int(len(y) - X.shape[1]),
        "se_log_mu0": math.sqrt(var0) if math.isfinite(var0) and var0 >= 0 else math.inf,
        "boundary": bool(boundary),
        "X": X,
    }


def profile_interval(
    cells: np.ndarray, y: np.ndarray, pairs, n0_hat: float, beta_hat: np.ndarray
) -> tuple[float, float, float]:
    """Profile-likelihood 95 % interval for N (multinomial likelihood, Cormack 1992).

    l(N) = log N! - log n0! + sum_c n_c log(mu_c/N), with n0 = N - n_seen and mu the Poisson
    fit of the model to all cells including the all-zero cell with count n0.
    Returns (lower, upper, N at the profile maximum).
    """
    n_seen = float(y.sum())
    X_all = np.vstack([np.r_[1.0, np.zeros(design(cells[:1], pairs).shape[1] - 1)], design(cells, pairs)])
    state = {"beta": beta_hat.copy()}

    def loglik(n0: float) -> float:
        yy = np.r_[n0, y]
        beta = poisson_irls(X_all, yy, state["beta"])
        state["beta"] = beta
        mu = np.exp(X_all @ beta)
        total = n0 + n_seen
        p = mu / mu.sum()
        pos = yy > 0
        return special.gammaln(total + 1) - special.gammaln(n0 + 1) + float(np.sum(yy[pos] * np.log(p[pos])))

    # The profile maximum lies next to the Poisson estimate; search around it.
    hi_search = max(10 * n0_hat, n0_hat + 50, 10.0)
    opt = optimize.minimize_scalar(
        lambda t: -loglik(t), bounds=(0.0, hi_search), method="bounded", options={"xatol": 1e-3}
    )
    n0_max, l_max = float(opt.x), -float(opt.fun)

    def excess(n0: float) -> float:
        return 2 * (l_max - loglik(n0)) - CHI2_95

    lower = 0.0 if excess(0.0) <= 0 else optimize.brentq(excess, 0.0, n0_max, xtol=1e-3)
    upper, step = math.inf, max(n0_max, 1.0)
    for _ in range(40):  # widen until the deviance passes the cut-off
        cand = n0_max + step
        if excess(cand) > 0:
            state["beta"] = beta_hat.copy()
            upper = optimize.brentq(excess, n0_max, cand, xtol=1e-3)
            break
        step *= 2
        if cand > 1e3 * max(n_seen, 1):
            break
    return n_seen + lower, n_seen + upper, n_seen + n0_max


def _stepwise(cells: np.ndarray, y: np.ndarray, pairs: list[tuple[int, int]], p_enter: float = 0.05) -> tuple:
    """Forward selection of Bales, Hesketh & Silverman (2015): add the two-way interaction whose
    likelihood-ratio test against the current model has the smallest p-value, while p < p_enter;
    models that are aliased, fail or run to the boundary are not candidates."""
    from scipy import stats

    chosen: tuple = ()
    current = fit_model(cells, y, chosen)
    if current is None or current.get("aliased") or current.get("failed"):
        return chosen
    while True:
        best = None
        for pair in pairs:
            if pair in chosen:
                continue
            trial = tuple(sorted(chosen + (pair,)))
            fit = fit_model(cells, y, trial)
            if fit is None or fit.get("aliased") or fit.get("failed") or fit["boundary"]:
                continue
            p = float(stats.chi2.sf(max(current["deviance"] - fit["deviance"], 0.0), 1))
            if best is None or p < best[0]:
                best = (p, trial, fit)
        if best is None or best[0] >= p_enter:
            return chosen
        _, chosen, current = best


def _log_normal_fallback(n_seen: float, mu0: float, se_log_mu0: float) -> tuple[float, float, float]:
    """Interval n_seen + mu0 * exp(+-z se(log mu0)); unbounded above without a standard error."""
    if not math.isfinite(se_log_mu0):
        return n_seen, math.inf, n_seen + mu0
    c = math.exp(Z95 * se_log_mu0)
    return n_seen + mu0 / c, n_seen + mu0 * c, n_seen + mu0


def multiple_systems(
    histories,
    counts,
    lists: list[str],
    *,
    structural_zeros: list[dict[str, int]] = (),
    max_alternatives: int = 5,
    force_interactions: list[tuple[str, str]] | None = None,
    selection: str = "aic",
) -> Estimate:
    """Multiple-systems estimate of the population size from capture histories.

    histories: n x k 0/1 array (columns in the order of `lists`), counts: n persons each.
    structural_zeros: e.g. [{"register": 0, "sgb2": 1}] - histories that cannot occur.
    force_interactions: fit only this model (no search), e.g. to propagate the uncertainty
    of an input through the chosen model.
    selection: `aic` - every subset of the two-way interactions, the smallest AIC (2^(k(k-1)/2)
    models: 64 for four lists); `stepwise` - forward selection of Bales, Hesketh & Silverman
    (2015): starting from independence, add the interaction with the smallest likelihood-ratio
    p-value while it is below 0.05 (a few dozen fits for six lists).
    """
    if selection not in ("aic", "stepwise"):
        raise ValueError(f"unknown model selection {selection!r} (aic or stepwise)")
    k = len(lists)
    if k < 2:
        raise ValueError("multiple-systems estimation needs at least two lists")
    histories = np.asarray(histories, dtype=int).reshape(-1, k)
    counts = np.asarray(counts, dtype=float)
    warnings: list[str] = []
    sz = [
        {lists.index(name): v for name, v in rule.items()}
        for rule in structural_zeros
        if all(name in lists for name in rule)
    ]
    cells, y, dropped = capture_cells(histories, counts, k, sz)
    if dropped:
        warnings.append(f"{dropped} persons in histories declared structurally impossible were left out")
    sizes = {name: float(y[cells[:, j] == 1].sum()) for j, name in enumerate(lists)}
    n_seen = float(y.sum())
    empty = [name for name, s in sizes.items() if s == 0]
    if empty:
        raise ValueError(f"lists with nobody in this stratum: {empty}; leave them out")
    if not y[cells.sum(axis=1) >= 2].sum():
        raise ValueError(
            "no overlap between the lists (nobody is on more than one): the number never seen is not estimable"
        )
    all_pairs = list(itertools.combinations(range(k), 2))
    if force_interactions is not None:
        forced = tuple(sorted(tuple(sorted((lists.index(a), lists.index(b)))) for a, b in force_interactions))
        candidates = [forced]
    elif selection == "stepwise":
        candidates = [_stepwise(cells, y, all_pairs)]
    else:
        candidates = [p for r in range(len(all_pairs) + 1) for p in itertools.combinations(all_pairs, r)]
    fits, aliased, failed = [], set(), 0
    for pairs in candidates:
        fit = fit_model(cells, y, pairs)
        if fit is not None and fit.get("failed"):
            failed += 1
            continue
        if fit is None or fit.get("aliased"):
            if fit is not None and len(pairs) == 1:
                aliased.add(pairs[0])  # identifiable cells cannot tell it from a main effect
            continue
        fits.append(fit)
    usable = [f for f in fits if not f["boundary"] and math.isfinite(f["mu0"])]
    if not usable:
        raise ValueError("no identifiable log-linear model with a finite estimate for these histories")
    usable.sort(key=lambda f: f["aic"])
    best = usable[0]
    names = lambda pairs: [f"{lists[a]}:{lists[b]}" for a, b in pairs]
    n_hat = n_seen + best["mu0"]
    try:
        lower, upper, n_prof = profile_interval(cells, y, best["pairs"], best["mu0"], best["beta"])
    except (ValueError, ArithmeticError):  # root finding without a sign change on a flat/odd profile
        lower, upper, n_prof = _log_normal_fallback(n_seen, best["mu0"], best["se_log_mu0"])
        warnings.append("profile likelihood could not be bracketed: log-normal interval on the unseen part instead")
    lower, upper = min(lower, n_hat), max(upper, n_hat)
    if failed:
        warnings.append(f"{failed} models could not be fitted and were not considered")
    if best["df_resid"] == 0:
        warnings.append("chosen model is saturated (no degrees of freedom left): fit cannot be checked")
    if len(usable) < len(fits):
        warnings.append(f"{len(fits) - len(usable)} models ran to the boundary (zero margins) and were not considered")
    alt_within_2 = [f for f in usable[1:] if f["aic"] - best["aic"] < 2]
    if alt_within_2:
        spread = [n_seen + f["mu0"] for f in [best] + alt_within_2]
        if max(spread) > 1.5 * min(spread):
            warnings.append(
                "models within 2 AIC of the chosen one disagree by more than 50 %: model uncertainty not in the interval"
            )
    if not math.isfinite(upper):
        warnings.append("upper profile limit not found: population size practically unbounded")
    aic_min = best["aic"]
    alternatives = [
        {
            "interactions": names(f["pairs"]),
            "aic": round(f["aic"], 3),
            "delta_aic": round(f["aic"] - aic_min, 3),
            "n_hat": round(n_seen + f["mu0"], 2),
            "deviance": round(f["deviance"], 3),
            "df": f["df_resid"],
        }
        for f in usable[: max_alternatives + 1]
    ]
    return Estimate(
        method="mse_loglinear",
        quantity="residents",
        point=n_hat,
        lower=lower,
        upper=upper,
        se=best["mu0"] * best["se_log_mu0"] if math.isfinite(best["se_log_mu0"]) else None,  # delta method
        interval_method=f"profile likelihood (multinomial, Cormack 1992) of the {'AIC' if selection == 'aic' else 'stepwise'}-chosen model",
        assumptions=ASSUMPTIONS,
        warnings=warnings,
        inputs={
            "lists": lists,
            "list_sizes": sizes,
            "n_seen": n_seen,
            "cells": {"".join(map(str, c)): float(v) for c, v in zip(cells, y)},
            "structural_zeros": [dict(r) for r in structural_zeros],
        },
        details={
            "model": names(best["pairs"]),
            "aic": best["aic"],
            "deviance": best["deviance"],
            "df": best["df_resid"],
            "profile_max_n": n_prof,
            "alternatives": alternatives,
            "not_estimable": names(tuple(sorted(aliased))),
        },
    )
