"""Did the search beat the user's own network? Decided here, once, from the paired comparison
of the two on the same test rows, so every display (the Tune page, a summary) says the same.

The search chose its best network by one metric on the validation rows; the verdict asks the
same question of the test rows, which the search never saw: is the best network better than
the user's own on that metric by more than the noise (a paired bootstrap of the difference,
95%)? Only then did the search win; when it is worse, or not clearly better, the user's own
network is kept.
"""
from __future__ import annotations

import numpy as np

SEARCH_BETTER = "search better"  # the best network beat the user's own on the search's metric
KEPT_YOURS = "kept yours"        # it did not (worse, or not clearly better): keep the user's
NO_COMPARISON = "no comparison"  # the user's own network could not be scored beside it

MODEL_SECTIONS = ("branches", "layers", "output", "training")


def _point(name: str, best: float, yours: float) -> str:
    from kwk.evaluation.metrics import HIGHER_IS_BETTER
    if best == yours:
        return "about the same"
    return "better" if (best > yours) == HIGHER_IS_BETTER[name] else "worse"


def compare(best, own, metric: str, n_boot: int | None = None, level: float = 0.95) -> dict:
    """The verdict of the search's ``best`` result against the user's ``own`` (both
    :class:`~kwk.training.core.TrainResult` on the same prepared test rows), by ``metric`` (the
    one the search optimised).

    Returns ``{"outcome", "reason", "metric", "best", "yours", "difference", "low", "high",
    "paired", "metrics", "better_on", "worse_on", "level"}``: ``outcome`` is
    :data:`SEARCH_BETTER` only when the paired interval of ``best - yours`` on ``metric``
    lies on the better side of 0, else :data:`KEPT_YOURS` (``reason`` "worse", "about the
    same", or "your own" when the best settings tried were the user's own) or
    :data:`NO_COMPARISON`; ``metrics`` holds the same comparison for every test
    metric (``verdict`` "better" / "worse" / "about the same" for the best network), and
    ``better_on`` / ``worse_on`` list the metrics where it is clearly better or worse.
    Without a paired bootstrap (fewer than 5 test rows), the point values decide and
    ``paired`` is False. ``n_boot``: the resamples (Evaluate's, :data:`PAIRED_RESAMPLES`, when
    None)."""
    from kwk.evaluation.metrics import (CLASS_METRICS, PAIRED_RESAMPLES, REGRESSION_METRICS,
                                        paired_bootstrap)
    n_boot = n_boot or PAIRED_RESAMPLES
    m_b = best.metrics
    task = m_b["task"]
    names = REGRESSION_METRICS if task == "regression" else CLASS_METRICS
    out = {"outcome": NO_COMPARISON, "reason": "", "metric": metric, "best": None,
           "yours": None, "difference": None, "low": None, "high": None, "paired": False,
           "metrics": {}, "better_on": [], "worse_on": [], "level": level}
    if own is None or not own.metrics.get("test"):
        return out
    y_b, y_o = np.asarray(best.details["y"]), np.asarray(own.details["y"])
    paired = {}
    if len(y_b) == len(y_o) and np.array_equal(y_b, y_o):
        paired = paired_bootstrap(task, y_b, best.details["out"], own.details["out"],
                                  max(len(best.details["classes"]), 1), n_boot=n_boot,
                                  level=level, seed=best.prepared.spec["training"]["seed"])
    for n in names:
        b, o = m_b["test"].get(n), own.metrics["test"].get(n)
        if b is None or o is None:
            continue
        p = paired.get(n)
        out["metrics"][n] = {"best": b, "yours": o, "difference": b - o,
                             "low": p["low"] if p else None, "high": p["high"] if p else None,
                             "verdict": p["verdict"] if p else _point(n, b, o),
                             "paired": p is not None}
    out["better_on"] = [n for n, v in out["metrics"].items() if v["verdict"] == "better"]
    out["worse_on"] = [n for n, v in out["metrics"].items() if v["verdict"] == "worse"]
    key = out["metrics"].get(metric)
    if key is None:
        return out
    out.update({k: key[k] for k in ("best", "yours", "difference", "low", "high", "paired")})
    if key["verdict"] == "better":
        out["outcome"] = SEARCH_BETTER
    else:
        out["outcome"], out["reason"] = KEPT_YOURS, key["verdict"]
        if same_network(best.prepared.spec, own.prepared.spec):
            out["reason"] = "your own"  # the best settings tried were the user's own
    return out


def same_network(spec_a: dict, spec_b: dict) -> bool:
    """Whether two specs describe the same network and training (layers, branches, output,
    training options): a saved run and the stack now on the Build page may differ."""
    return all(spec_a.get(k) == spec_b.get(k) for k in MODEL_SECTIONS)
