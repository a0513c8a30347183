"""A self-contained HTML report of a run folder: data summary, network, training settings,
metrics against baselines, every evaluation chart and the generated code."""
from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from kwk.errors import DataError


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>—</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))  # every key, first-seen order
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list)):
        return html.escape(json.dumps(v))
    return html.escape("" if v is None else str(v))


_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
color:#111827;padding:0 1em}h1{color:#4F46E5}h2{border-bottom:2px solid #E5E7EB;padding-bottom:.2em;
margin-top:2em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #E5E7EB;
padding:.3em .7em;text-align:left;font-size:.92em}th{background:#F3F4F6}pre{background:#F9FAFB;
border:1px solid #E5E7EB;padding:1em;overflow:auto;font-size:.85em}.grid{display:grid;
grid-template-columns:1fr 1fr;gap:1em}.muted{color:#6B7280}"""


def _assessment_html(metrics: dict, names) -> str:
    blocks = []
    for key, title in (("cv", "k-fold cross-validation"), ("repeats", "Repeated runs (seeds)")):
        a = metrics.get(key)
        if a:
            blocks.append(f"<h3>{title} (n = {a['n']})</h3>" + _table(
                [{"metric": n, "mean": a["mean"][n], "sd": a["sd"][n]}
                 for n in names if n in a["mean"]]))
    return "".join(blocks)


def _threshold_html(d: Path, task: str, ev: dict, metrics: dict) -> str:
    """A binary run's decision threshold and what it gives on the test rows."""
    if task != "binary" or "y" not in ev:
        return ""
    from kwk.evaluation.analysis import threshold_metrics
    from kwk.runs.bundle import read_threshold
    t = read_threshold(d)
    classes = list(metrics["test"].get("per_class", {})) or ["0", "1"]
    out = np.asarray(ev["out"], float)
    p1 = out[:, 1] if out.ndim == 2 else out.reshape(-1)
    tm = threshold_metrics(ev["y"], p1, t)
    return (f"<h3>Decision threshold: {t:.2f}</h3><p>A row is predicted "
            f"<b>{html.escape(str(classes[1]))}</b> when its probability is at least {t:.2f} "
            "(predictions, <code>kwk predict</code> and the script use it).</p>"
            + _table([{k: tm[k] for k in ("accuracy", "precision", "recall", "f1")}]))


def _explain_html(d: Path, task: str, target: str, include_js: bool) -> str:
    """The global view of column contributions, when it was computed (Evaluate page)."""
    from kwk import plots
    from kwk.evaluation.explain import bars_axis, contribution_axis, load_global
    g = load_global(d)
    if not g or not g.get("importance"):
        return ""
    figs = [plots.contribution_bars(g["importance"], bars_axis(task, target, g)),
            plots.beeswarm(g["beeswarm"], contribution_axis(task, target, g.get("class")))]
    charts = []
    for fig in figs:
        fig.update_layout(template=plots.REPORT_TEMPLATE)
        charts.append(f"<div>{fig.to_html(full_html=False, include_plotlyjs=include_js)}</div>")
        include_js = False
    top = ", ".join(f"<code>{html.escape(str(r['feature']))}</code>"
                    for r in g["importance"][:3])
    return ("<h2>Which columns matter (SHAP)</h2>"
            f"<p>Shapley contributions of each column over {g['rows']} test rows, against "
            f"{g.get('background_rows', '?')} training rows. The columns that move the "
            f"predictions most: {top}.</p>"
            f"<div class=grid>{''.join(charts)}</div>"
            "<p class=muted>How to read it: a bar is the average size of a column's "
            "contribution to a prediction, in either direction. Each dot is one test row: right "
            "of zero the column's value raised the prediction, left of it lowered it; red dots "
            "are high values, blue low, grey labels.</p>")


def _figures(d: Path, spec: dict, task: str, metrics: dict, ev: dict, history: dict) -> dict:
    """The charts the Evaluate page draws, from the same factories and the same numbers: the
    forecast first for a series (in test order: the report has no data to date it), the
    learning curves in the units the page uses (RMSE in the target's units, or log loss)."""
    from kwk import plots
    from kwk.evaluation.curves import readable_loss
    figs = evaluation_figures(task, metrics, ev, history)
    try:
        target_state = json.loads((d / "preprocess.json").read_text()).get("target") or {}
    except (OSError, json.JSONDecodeError):
        target_state = {}
    _, label, curves = readable_loss(history, spec, target_state)
    figs["Learning curves (loss)"] = plots.learning_curves({**history, **curves}, "loss",
                                                           "Learning curves", label)
    seq = spec["data"].get("sequence")
    if seq and ev and "baseline_out" in ev:
        y, out = ev["y"], np.asarray(ev["out"])
        fc = plots.forecast_chart(np.arange(len(y)), y, out,
                                  np.asarray(ev["baseline_out"], dtype=float),
                                  f"Forecast of {spec['data']['target']} on the test period "
                                  "(in test order)")
        figs = {"Forecast": fc, **figs}
    return figs


def build_report(run_dir) -> str:
    """The report of a run folder (as written by ``train``) as one HTML string."""
    from kwk import plots
    from kwk.evaluation.metrics import CLASS_METRICS, REGRESSION_METRICS
    from kwk.spec import check_stack
    d = Path(run_dir)
    need = ("spec.json", "metrics.json", "history.json", "run.json")
    missing = [f for f in need if not (d / f).exists()]
    if not d.is_dir() or missing:
        raise DataError(f"{d} is not a complete KwK run folder"
                        + (f" ({', '.join(missing)} missing)." if d.is_dir() else "."),
                        "Give the folder written by 'python -m kwk train ... --out DIR'.")
    try:
        spec, metrics, history, run = (json.loads((d / f).read_text()) for f in need)
    except (json.JSONDecodeError, OSError) as e:
        raise DataError(f"The run folder {d} is damaged: {e}.", "Train the model again.")
    ev = {}
    if (d / "evaluation.npz").exists():
        with np.load(d / "evaluation.npz", allow_pickle=False) as z:
            ev = {k: z[k] for k in z.files}
    task = metrics["task"]
    names = REGRESSION_METRICS if task == "regression" else CLASS_METRICS
    ci = metrics.get("test_ci", {})
    mrows = [{"metric": n, "network": metrics["test"].get(n),
              "95% CI": f"{ci[n][0]:.4g} – {ci[n][1]:.4g}" if n in ci else "",
              metrics.get("simple_model", {}).get("name", "simple model"):
                  metrics.get("simple_model", {}).get(n),
              f"baseline: {metrics['baseline'].get('name', '')}": metrics["baseline"].get(n)}
             for n in names]
    n_classes = len(metrics["test"].get("per_class", {})) or 1
    try:
        shapes = check_stack(spec, run.get("n_inputs", 1), n_classes)
        net = [{"layer": r["name"], "output shape": str(tuple(r["shape"])), "weights": r["params"]}
               for r in shapes]
    except Exception:  # an old or edited spec: still report the rest
        net = [{"layer": f"{i} · {l['type']}", "settings": {k: v for k, v in l.items() if k != "type"}}
               for i, l in enumerate(spec["layers"], 1)]
    figs = _figures(d, spec, task, metrics, ev, history)
    charts, first = [], True
    for title, fig in figs.items():
        fig.update_layout(template=plots.REPORT_TEMPLATE)
        charts.append(f"<div>{fig.to_html(full_html=False, include_plotlyjs=first)}</div>")
        first = False
    script = (d / "train_script.py").read_text() if (d / "train_script.py").exists() else ""
    dd = spec["data"]
    parts = [
        f"<h1>KwK report: predicting {html.escape(str(dd['target']))}</h1>",
        f"<p class=muted>Run created {html.escape(run.get('created', ''))} · {task} · "
        f"status {html.escape(str(run.get('status')))}: {html.escape(run.get('message', ''))}</p>",
        "<h2>Data</h2>",
        _table([{"file": run["data"]["name"], "fingerprint": run["data"]["fingerprint"],
                 **{f"{k} rows": v for k, v in run["data"]["rows"].items()},
                 "inputs": len(dd["features"]), "encoded inputs": run.get("n_inputs")}]),
        "<p>Inputs: " + ", ".join(f"<code>{html.escape(f)}</code> ({html.escape(dd['kinds'][f])})"
                                  for f in dd["features"]) + "</p>",
        "".join(f"<p class=muted>{html.escape(n)}</p>" for n in run.get("notes", [])),
        "<h3>Columns used</h3>" + _table(run["data_summary"]) if run.get("data_summary") else "",
        "<h2>Network</h2>", _table(net),
        "<h2>Training settings</h2>",
        _table([{"setting": k, "value": v} for k, v in spec["training"].items()]),
        "<h2>Test metrics</h2>", _table(mrows), _threshold_html(d, task, ev, metrics),
        _assessment_html(metrics, names),
        "<h2>Charts</h2>", f"<div class=grid>{''.join(charts)}</div>",
        _explain_html(d, task, dd["target"], include_js=not charts),
        "<h2>Reproduce</h2>", f"<p class=muted>Versions: {html.escape(json.dumps(run.get('versions', {})))}</p>",
        f"<pre>{html.escape(script)}</pre>",
    ]
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>KwK report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")


def evaluation_figures(task: str, metrics: dict, ev: dict, history: dict) -> dict:
    """Every evaluation chart of a run, by name (used by the report; the Evaluate page lays
    out the same factories). The numbers (gains, calibration) come from
    :mod:`kwk.evaluation.analysis`; :mod:`kwk.plots` only draws them."""
    from kwk.plots import (actual_vs_predicted, calibration_chart, confusion_matrix,
                           gains_chart, learning_curves, lift_chart, pr_curves,
                           residual_histogram, residuals_vs_fitted, roc_curves)
    figs = {"Learning curves (loss)": learning_curves(history, "loss", "Learning curves (loss)")}
    if "accuracy" in history:
        figs["Learning curves (accuracy)"] = learning_curves(history, "accuracy",
                                                             "Learning curves (accuracy)")
    if not ev:
        return figs
    y, out = ev["y"], np.asarray(ev["out"])
    if task == "regression":
        figs["Actual vs predicted"] = actual_vs_predicted(y, out)
        figs["Residuals vs fitted"] = residuals_vs_fitted(y, out)
        figs["Residuals"] = residual_histogram(y, out)
        return figs
    from kwk.evaluation.analysis import calibration, gains_lift
    classes = list(metrics["test"]["per_class"])
    figs["Confusion matrix"] = confusion_matrix(metrics["test"]["confusion_matrix"], classes)
    figs["ROC curve"] = roc_curves(y, out, classes)
    figs["Precision-recall"] = pr_curves(y, out, classes)
    if task == "binary":
        g = gains_lift(y, out[:, 1])
        figs["Cumulative gains"] = gains_chart(g)
        figs["Lift"] = lift_chart(g)
        figs["Calibration"] = calibration_chart(calibration(y, out[:, 1]))
    return figs
