"""Metric tables shared by Evaluate and Runs."""
from __future__ import annotations

import pandas as pd

from kwk.evaluate import CLASS_METRICS, HIGHER_IS_BETTER, REGRESSION_METRICS

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
            verdict = "✅ beats baseline" if better else "❌ no better than baseline"
        rows.append({"metric": NICE[n], "network": net,
                     metrics.get("simple_model", {}).get("name", "simple model"): simple,
                     f"baseline ({metrics.get('baseline', {}).get('name', '')})": base,
                     "": verdict})
    return pd.DataFrame(rows)
