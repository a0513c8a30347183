"""The Tune page's tables and charts: the leaderboard, Optuna's own plotly figures, and the best
network beside the user's own on the same test rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from kwk.ui.tables import NICE, VERDICT


def _short(v):
    if isinstance(v, float):
        return float(f"{v:.4g}")
    return v


def leaderboard_table(rows: list[dict], search) -> pd.DataFrame:
    """One line per trial, the best first, with the settings it tried."""
    from kwk.tune.space import describe
    layers = search.p.spec["layers"]
    out = []
    for r in rows:
        state = r["state"]
        if r.get("own"):
            state += " · your network"
        if r.get("duplicate_of") is not None:
            state += f" · same as {r['duplicate_of']}"
        if r.get("stopped"):
            state = "stopped"
        line = {"trial": r["number"], NICE.get(search.metric, search.metric): r["value"] if r["state"] == "complete"
                else None, "state": state, "epochs": r.get("epochs"),
                "seconds": None if r["seconds"] is None else round(r["seconds"], 1)}
        for k, v in r["params"].items():
            line[describe(k, layers)] = _short(v)
        if r.get("error"):
            line["why it failed"] = r["error"][:160]
        out.append(line)
    return pd.DataFrame(out)


def study_figures(search) -> list[tuple[str, object]]:
    """Optuna's optimization history, parallel coordinates and parameter importances, when
    there are enough finished trials to draw them."""
    import optuna.visualization as vis
    complete = search.counts()["complete"]
    figs = []
    makers = [("Optimization history", vis.plot_optimization_history, 1),
              ("Parallel coordinates", vis.plot_parallel_coordinate, 2),
              ("Setting importances", vis.plot_param_importances, 3)]
    for name, make, need in makers:
        if complete < need:
            continue
        try:
            fig = make(search.study)
        except Exception:  # e.g. importances of a setting that never varied
            continue
        fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10))
        figs.append((name, fig))
    return figs


def comparison_table(best, own) -> pd.DataFrame:
    """Metrics of the best network and the user's own on the same test rows, each with its
    bootstrap interval, and the paired verdict of the best against the user's."""
    from kwk.evaluation.metrics import CLASS_METRICS, REGRESSION_METRICS, paired_bootstrap
    m_b, m_o = best.metrics, own.metrics if own is not None else {}
    names = REGRESSION_METRICS if m_b["task"] == "regression" else CLASS_METRICS
    paired = {}
    if own is not None and len(best.details["y"]) == len(own.details["y"]) and \
            np.array_equal(np.asarray(best.details["y"]), np.asarray(own.details["y"])):
        paired = paired_bootstrap(m_b["task"], best.details["y"], best.details["out"],
                                  own.details["out"], max(len(best.details["classes"]), 1),
                                  n_boot=300, seed=best.prepared.spec["training"]["seed"])
    rows = []
    for n in names:
        ci_b = m_b.get("test_ci", {}).get(n)
        ci_o = m_o.get("test_ci", {}).get(n) if m_o else None
        rows.append({"metric": NICE[n],
                     "your network": m_o.get("test", {}).get(n) if m_o else None,
                     "yours 95% CI": f"{ci_o[0]:.3f} – {ci_o[1]:.3f}" if ci_o else "",
                     "best found": m_b["test"].get(n),
                     "best 95% CI": f"{ci_b[0]:.3f} – {ci_b[1]:.3f}" if ci_b else "",
                     "best vs yours": VERDICT[paired[n]["verdict"]] if n in paired else ""})
    ref = m_b.get("reference")
    if ref:
        for r in rows:
            key = next(k for k, v in NICE.items() if v == r["metric"])
            r["gradient boosting"] = ref.get(key)
    return pd.DataFrame(rows)
