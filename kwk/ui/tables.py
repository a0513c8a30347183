"""Metric tables shared by Evaluate and Runs."""
from __future__ import annotations

import pandas as pd

from kwk.evaluation.metrics import CLASS_METRICS, HIGHER_IS_BETTER, REGRESSION_METRICS

NICE = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "f1_macro": "F1 (macro)",
        "precision_macro": "Precision (macro)", "recall_macro": "Recall (macro)",
        "log_loss": "Log loss", "roc_auc": "ROC AUC", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


def metrics_table(metrics: dict) -> pd.DataFrame:
    """Rows: metrics; columns: network, simple model, baseline; plus which is better."""
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    rows = []
    for n in names:
        net = metrics["test"].get(n)
        simple = metrics.get("simple_model", {}).get(n)
        base = metrics.get("baseline", {}).get(n)
        verdict = ""
        if net is not None and base is not None:
            better = net > base if HIGHER_IS_BETTER[n] else net < base
            verdict = "✅ better" if better else "❌ no better"
        ci = metrics.get("test_ci", {}).get(n)
        rows.append({"metric": NICE[n], "network": net,
                     "95% CI": f"{ci[0]:.3f} – {ci[1]:.3f}" if ci else "",
                     "vs baseline": verdict,
                     metrics.get("simple_model", {}).get("name", "simple model"): simple,
                     f"baseline: {metrics.get('baseline', {}).get('name', '')}": base})
    return pd.DataFrame(rows)


def simple_model_notice(metrics: dict) -> str | None:
    """A sentence when the simple model scores better than the network on some metrics."""
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    simple = metrics.get("simple_model", {})
    worse = [NICE[n] for n in names
             if metrics["test"].get(n) is not None and simple.get(n) is not None
             and (simple[n] > metrics["test"][n] if HIGHER_IS_BETTER[n]
                  else simple[n] < metrics["test"][n])]
    if not worse:
        return None
    return (f"The simple model ({simple.get('name', 'simple model')}) does better than the network "
            f"on {', '.join(worse)}. A network is worth its cost only when it beats it: try more "
            "epochs, another stack, or keep the simple model.")


def assessment_table(metrics: dict) -> pd.DataFrame | None:
    """k-fold and repeated-run results as 'mean ± sd' per metric (None when neither ran)."""
    cols = {}
    if metrics.get("cv"):
        cols[f"{metrics['cv']['k']}-fold CV"] = metrics["cv"]
    if metrics.get("repeats"):
        cols[f"{metrics['repeats']['n']} seeds"] = metrics["repeats"]
    if not cols:
        return None
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    rows = []
    for n in names:
        row = {"metric": NICE[n]}
        for label, a in cols.items():
            if n in a["mean"]:
                row[label] = f"{a['mean'][n]:.4f} ± {a['sd'][n]:.4f}"
        rows.append(row)
    return pd.DataFrame(rows)


def number_columns(table: pd.DataFrame) -> list[str]:
    """The numeric columns of a metrics table (to format them alike)."""
    return [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]


def size_text(n_bytes: float) -> str:
    """A size a person reads at a glance: 512 bytes, 3.4 kB, 12.0 MB, 1.2 GB."""
    if n_bytes < 1000:
        return f"{int(n_bytes)} bytes"
    for unit in ("kB", "MB", "GB"):
        n_bytes /= 1000
        if n_bytes < 1000 or unit == "GB":
            return f"{n_bytes:.1f} {unit}"
