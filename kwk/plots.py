"""Plotly figure factories: data in, ``go.Figure`` out. No Streamlit here."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

ACCENT = "#4F46E5"
SECOND = "#F97316"
GREY = "#9CA3AF"
# No template here: Streamlit's chart theme styles the figures in the app, and resolving a
# plotly template costs ~30 ms per figure (the Data page draws dozens). The HTML report sets
# REPORT_TEMPLATE itself.
_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), font=dict(size=12))
REPORT_TEMPLATE = "plotly_white"


PROBABILITY = [0, 1]        # the axis range of probabilities: never auto-scaled
CURVE_RANGE = [0, 1.02]     # rates and shares drawn as curves (a line at 1 stays visible)
_SMALL_TITLE = dict(font=dict(size=10))


# The chart toolbar (plotly's modebar, shown on hover at the figure's top right) takes about the
# top 30 px of a figure: a title is drawn below that band, just above the plot area, in a top
# margin tall enough for both, so the toolbar never covers it at any width.
TOOLBAR_PX = 32
_TITLE_PAD = 8
TITLED_TOP = TOOLBAR_PX + 24 + _TITLE_PAD  # toolbar band, one line of title, its padding


def _title(text: str | None, above: int = 0) -> dict:
    """Layout settings for a title that stays clear of the toolbar: the title sits ``above``
    pixels (room for subplot titles) over the plot area, the top margin leaves the toolbar band
    free above it."""
    if not text:
        return dict(title=None)
    return dict(title=dict(text=text, x=0, xref="container", xanchor="left", y=1, yref="paper",
                           yanchor="bottom", pad=dict(b=_TITLE_PAD + above, l=10)),
                margin=dict(_LAYOUT["margin"], t=TITLED_TOP + above))


def _fig(title: str | None = None, height: int = 320, **kw) -> go.Figure:
    f = go.Figure()
    f.update_layout(height=height, **{**_LAYOUT, **_title(title)}, **kw)
    return f


# One colour per run wherever runs are drawn together (the Runs page's comparison): a colour map
# by run id, built once by :func:`run_colors` and passed to every chart that draws those runs.
RUN_PALETTE = ["#4F46E5", "#F97316", "#059669", "#DC2626", "#0EA5E9", "#A21CAF", "#CA8A04",
               "#64748B", "#DB2777", "#65A30D"]


def run_colors(run_ids) -> dict:
    """``{run id: colour}``: the runs in the order given, each its own colour (the palette
    repeats past ten runs)."""
    return {i: RUN_PALETTE[k % len(RUN_PALETTE)] for k, i in enumerate(dict.fromkeys(run_ids))}


def column_distribution(col: dict, height: int = 180) -> go.Figure:
    """Histogram (numeric) or bar chart of top values, from a profile column entry."""
    f = _fig(height=height, showlegend=False)
    f.update_layout(margin=dict(l=5, r=5, t=5, b=5))
    h = col.get("histogram")
    if h:
        e = np.asarray(h["edges"])
        f.add_bar(x=(e[:-1] + e[1:]) / 2, y=h["counts"], width=np.diff(e), marker_color=ACCENT,
                  hovertemplate="%{x:.3g}: %{y}<extra></extra>")
    elif col.get("top"):
        f.add_bar(x=[str(t["value"])[:20] for t in col["top"]], y=[t["count"] for t in col["top"]],
                  marker_color=ACCENT, hovertemplate="%{x}: %{y}<extra></extra>")
    f.update_xaxes(title=dict(text=str(col.get("name", "value")), **_SMALL_TITLE))
    f.update_yaxes(title=dict(text="rows", **_SMALL_TITLE))
    return f


def correlation_heatmap(corr: dict, max_columns: int = 40) -> go.Figure:
    """The correlation matrix; a wide table shows its ``max_columns`` most correlated columns
    (strongest correlation with any other column), in their order, and the title says so."""
    cols = list(corr["columns"])
    m = np.array([[np.nan if v is None else v for v in row] for row in corr["matrix"]], dtype=float)
    title = "Correlations between numeric columns"
    if len(cols) > max_columns:
        off = np.abs(m)
        np.fill_diagonal(off, np.nan)
        with np.errstate(all="ignore"):
            strength = np.nan_to_num(np.nanmax(off, axis=1), nan=-1.0)
        keep = np.sort(np.argsort(-strength, kind="stable")[:max_columns])
        title += f" (the {max_columns} most correlated of {len(cols)})"
        cols, m = [cols[i] for i in keep], m[np.ix_(keep, keep)]
    f = _fig(title, height=max(300, 28 * len(cols) + 120))
    f.add_heatmap(z=m, x=cols, y=cols, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
                  colorbar=dict(title="correlation<br>(−1 to 1)"),
                  hovertemplate="%{y} × %{x}: %{z:.2f}<extra></extra>")
    f.update_yaxes(autorange="reversed", title="column")
    f.update_xaxes(title="column")
    return f


def target_distribution(values, task: str, name: str) -> go.Figure:
    import pandas as pd
    s = pd.Series(values).dropna()
    f = _fig(f"Distribution of {name}", showlegend=False)
    if task == "regression":
        f.add_histogram(x=pd.to_numeric(s, errors="coerce"), marker_color=ACCENT, nbinsx=40)
    else:
        vc = s.astype(str).value_counts()
        f.add_bar(x=vc.index.tolist(), y=vc.values.tolist(), marker_color=ACCENT)
    f.update_xaxes(title=name)
    f.update_yaxes(title="rows")
    return f


def network_diagram(rows: list[dict], max_nodes: int = 12) -> go.Figure:
    """One column of nodes per layer. A wider layer gets more nodes and a taller column (on a
    log scale: at most ``max_nodes``), so 32 units look wider than 16; the x labels give the
    exact widths."""
    if any(r.get("branch") for r in rows):
        return _branched_diagram(rows, max_nodes)
    f = _fig("Network", height=340, showlegend=False)
    xs, ys, texts, ex, ey = [], [], [], [], []
    prev = None
    widths = [max(1, int(np.prod(r["shape"]))) for r in rows]
    top = np.log2(max(widths, default=1) + 1)
    for i, r in enumerate(rows):
        width = widths[i]
        n = int(max(1, min(width, round(max_nodes * np.log2(width + 1) / top))))
        half = n / max_nodes
        pos = np.linspace(-half, half, n) if n > 1 else np.array([0.0])
        if prev is not None:
            for a in prev:
                for b in pos:
                    ex += [i - 1, i, None]
                    ey += [a, b, None]
        xs += [i] * n
        ys += list(pos)
        texts += [f"{r['name']}<br>shape {r['shape']}<br>{r['params']:,} weights"] * n
        prev = pos
    f.add_scatter(x=ex, y=ey, mode="lines", line=dict(color="#D1D5DB", width=0.6),
                  hoverinfo="skip")
    f.add_scatter(x=xs, y=ys, mode="markers", marker=dict(size=12, color=ACCENT,
                  line=dict(color="white", width=1)), text=texts, hoverinfo="text")
    f.update_xaxes(tickvals=list(range(len(rows))),
                   ticktext=[f"{r['name']}<br>{int(np.prod(r['shape']))}" for r in rows],
                   showgrid=False, zeroline=False,
                   title="layer, and how many values it passes on (dots on a log scale)")
    f.update_yaxes(visible=False)
    return f


def _branched_diagram(rows: list[dict], max_nodes: int = 8) -> go.Figure:
    """A mixed-input network: one lane per branch (its input on the left), all joined at the
    merge, then the layers after it in the middle lane."""
    branches = list(dict.fromkeys(r["branch"] for r in rows if r.get("branch")))
    lane = {b: (len(branches) - 1) / 2 - k for k, b in enumerate(branches)}
    spread = 2.2  # vertical distance between lanes
    widths = [max(1, int(np.prod(r["shape"]))) for r in rows]
    top = np.log2(max(widths, default=1) + 1)
    depth = max(sum(r.get("branch") == b for r in rows) for b in branches)
    f = _fig("Network", height=120 + 140 * len(branches), showlegend=False)
    xs, ys, texts, ex, ey, ticks = [], [], [], [], [], {}
    last: dict = {}
    step = {b: 0 for b in branches}
    x_head = depth
    for i, r in enumerate(rows):
        n = int(max(1, min(widths[i], round(max_nodes * np.log2(widths[i] + 1) / top))))
        half = 0.8 * n / max_nodes
        b = r.get("branch")
        if b:
            x, centre = step[b], lane[b] * spread
            step[b] += 1
            sources = [last[b]] if b in last else []
        else:
            x, centre = x_head, 0.0
            x_head += 1
            sources = [last[k] for k in branches] if "head" not in last else [last["head"]]
        pos = centre + (np.linspace(-half, half, n) if n > 1 else np.array([0.0]))
        for (px, pys) in sources:
            for a in pys:
                for y in pos:
                    ex += [px, x, None]
                    ey += [a, y, None]
        last[b or "head"] = (x, pos)
        xs += [x] * n
        ys += list(pos)
        texts += [f"{r['name']}<br>shape {r['shape']}<br>{r['params']:,} weights"] * n
        ticks.setdefault(x, []).append(r["name"] if b else f"<b>{r['name']}</b>")
    f.add_scatter(x=ex, y=ey, mode="lines", line=dict(color="#D1D5DB", width=0.6),
                  hoverinfo="skip")
    f.add_scatter(x=xs, y=ys, mode="markers", marker=dict(size=11, color=ACCENT,
                  line=dict(color="white", width=1)), text=texts, hoverinfo="text")
    for b in branches:  # each lane named at its left
        f.add_annotation(x=-0.45, y=lane[b] * spread, text=f"<b>{b}</b>", showarrow=False,
                         xanchor="right", font=dict(size=12))
    f.update_xaxes(tickvals=sorted(ticks), ticktext=["<br>".join(ticks[x][:2]) for x in
                                                     sorted(ticks)],
                   showgrid=False, zeroline=False, range=[-1.2, x_head - 0.5],
                   title="layers, from each input (left) to the output")
    f.update_yaxes(visible=False)
    return f


def learning_curves(history: dict, metric: str = "loss", title: str | None = None,
                    y_title: str | None = None) -> go.Figure:
    """Training and validation curves of ``metric`` by epoch; ``y_title`` names the y axis."""
    f = _fig(title or metric.replace("_", " ").capitalize(), height=300,
             legend=dict(orientation="h", y=-0.32))
    for key, name, color in ((metric, "train", ACCENT), (f"val_{metric}", "validation", SECOND)):
        v = history.get(key) or []
        if v:
            f.add_scatter(x=list(range(1, len(v) + 1)), y=v, name=name, mode="lines+markers",
                          marker=dict(size=4), line=dict(color=color))
    f.update_xaxes(title="epoch")
    share = metric in ("accuracy", "binary_accuracy", "categorical_accuracy", "auc",
                       "precision", "recall")
    f.update_yaxes(title=y_title or metric.replace("_", " ") + (" (0–1)" if share else ""))
    if share:  # a share of rows: the whole 0–1 scale, not a zoom on its last percent
        f.update_yaxes(range=CURVE_RANGE)
    return f


def confusion_matrix(cm, classes, normalized: bool = False) -> go.Figure:
    cm = np.asarray(cm, dtype=float)
    z = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalized else cm
    text = [[f"{v:.0%}" if normalized else f"{int(v)}" for v in row] for row in z]
    labels = [str(c) for c in classes]
    # a short title (a long one ran past a half-width chart): the axes say rows and columns
    f = _fig("Confusion matrix", height=max(320, 40 * len(labels) + 160))
    f.add_heatmap(z=z, x=labels, y=labels, text=text, texttemplate="%{text}",
                  colorscale="Blues", showscale=False,
                  hovertemplate="actual %{y}, predicted %{x}: %{text}<extra></extra>")
    f.update_yaxes(autorange="reversed", title="actual (rows)")
    f.update_xaxes(title="predicted (columns)", side="bottom")
    return f


def roc_curves(y, proba, classes) -> go.Figure:
    from sklearn.metrics import auc, roc_curve
    f = _fig("ROC curve", height=340, legend=dict(orientation="h", y=-0.25))
    f.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color=GREY),
                  name="chance")
    pairs = [(1, classes[1])] if len(classes) == 2 else list(enumerate(classes))
    for i, c in pairs:
        yi = (np.asarray(y) == i).astype(int)
        if yi.min() == yi.max():
            continue
        fpr, tpr, _ = roc_curve(yi, proba[:, i])
        f.add_scatter(x=fpr, y=tpr, mode="lines", name=f"{c} (AUC {auc(fpr, tpr):.3f})")
    f.update_xaxes(title="false positive rate (0–1)", range=PROBABILITY)
    f.update_yaxes(title="true positive rate (0–1)", range=CURVE_RANGE)
    return f


def pr_curves(y, proba, classes) -> go.Figure:
    from sklearn.metrics import average_precision_score, precision_recall_curve
    f = _fig("Precision–recall", height=340, legend=dict(orientation="h", y=-0.25))
    pairs = [(1, classes[1])] if len(classes) == 2 else list(enumerate(classes))
    for i, c in pairs:
        yi = (np.asarray(y) == i).astype(int)
        if yi.min() == yi.max():
            continue
        p, r, _ = precision_recall_curve(yi, proba[:, i])
        ap = average_precision_score(yi, proba[:, i])
        f.add_scatter(x=r, y=p, mode="lines", name=f"{c} (AP {ap:.3f})")
    f.update_xaxes(title="recall (0–1)", range=PROBABILITY)
    f.update_yaxes(title="precision (0–1)", range=CURVE_RANGE)
    return f


def actual_vs_predicted(y, pred) -> go.Figure:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    f = _fig("Actual vs predicted", height=340, showlegend=False)
    f.add_scatter(x=[lo, hi], y=[lo, hi], mode="lines", line=dict(dash="dot", color=GREY))
    f.add_scatter(x=pred, y=y, mode="markers", marker=dict(color=ACCENT, opacity=0.6, size=6),
                  hovertemplate="predicted %{x:.3g}, actual %{y:.3g}<extra></extra>")
    f.update_xaxes(title="predicted")
    f.update_yaxes(title="actual")
    return f


def residuals_vs_fitted(y, pred) -> go.Figure:
    y, pred = np.asarray(y, float), np.asarray(pred, float)
    f = _fig("Residuals vs fitted", height=340, showlegend=False)
    f.add_hline(y=0, line=dict(dash="dot", color=GREY))
    f.add_scatter(x=pred, y=y - pred, mode="markers", marker=dict(color=ACCENT, opacity=0.6, size=6))
    f.update_xaxes(title="predicted")
    f.update_yaxes(title="residual (actual − predicted)")
    return f


def residual_histogram(y, pred) -> go.Figure:
    r = np.asarray(y, float) - np.asarray(pred, float)
    f = _fig("Residuals", height=340, showlegend=False)
    f.add_histogram(x=r, marker_color=ACCENT, nbinsx=30)
    f.update_xaxes(title="residual (actual − predicted)")
    f.update_yaxes(title="rows")
    return f


def gains_chart(g) -> go.Figure:
    f = _fig("Cumulative gains", height=320, showlegend=False)
    f.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color=GREY))
    f.add_scatter(x=[0, *g["fraction"]], y=[0, *g["gain"]], mode="lines+markers",
                  line=dict(color=ACCENT))
    f.update_xaxes(title="share of rows, highest probability first", tickformat=".0%",
                   range=PROBABILITY)
    f.update_yaxes(title="share of positives found", tickformat=".0%", range=CURVE_RANGE)
    return f


def lift_chart(g) -> go.Figure:
    f = _fig("Lift", height=320, showlegend=False)
    f.add_hline(y=1, line=dict(dash="dot", color=GREY))
    f.add_scatter(x=g["fraction"], y=g["lift"], mode="lines+markers", line=dict(color=ACCENT))
    f.update_xaxes(title="share of rows, highest probability first", tickformat=".0%",
                   range=PROBABILITY)
    f.update_yaxes(title="lift (× random)", rangemode="tozero")
    return f


def calibration_chart(c) -> go.Figure:
    f = _fig("Calibration (reliability)", height=320, showlegend=False)
    f.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color=GREY))
    f.add_scatter(x=c["predicted"], y=c["observed"], mode="lines+markers",
                  marker=dict(size=np.clip(np.sqrt(c["count"]) * 2, 5, 20)),
                  line=dict(color=ACCENT), text=c["count"],
                  hovertemplate="predicted %{x:.2f}, observed %{y:.2f} (%{text} rows)<extra></extra>")
    f.update_xaxes(title="mean predicted probability (0–1)", range=PROBABILITY)
    f.update_yaxes(title="observed share of positives (0–1)", range=PROBABILITY)
    return f


def importance_chart(imp, axis_title: str = "drop in score when the column is shuffled") -> go.Figure:
    """Horizontal bars of permutation importance with their spread; ``axis_title`` names the
    score (:func:`kwk.evaluation.analysis.importance_axis`)."""
    imp = imp.iloc[::-1]
    f = _fig("Permutation importance (test rows)", height=max(260, 26 * len(imp) + 100),
             showlegend=False)
    f.add_bar(x=imp["importance"], y=imp["feature"], orientation="h", marker_color=ACCENT,
              error_x=dict(type="data", array=imp["sd"], color=GREY))
    f.update_xaxes(title=axis_title, zeroline=True, zerolinecolor=GREY)
    f.update_yaxes(title="column")
    return f


def profiler_chart(curve, feature: str, current, y_title: str, y_range=None,
                   band=None, categorical: bool = False) -> go.Figure:
    """One profiler panel: the prediction as ``feature`` sweeps its values, the current value
    marked. Numbers: a line; categories: one point per label in the labels' own order (a line
    would invent an order between them). ``band`` = (low, high) arrays from repeated runs."""
    f = _fig(None, height=220, showlegend=False)
    f.update_layout(margin=dict(l=5, r=5, t=10, b=5))
    x = [str(v) for v in curve["value"]] if categorical else list(curve["value"])
    y = np.asarray(curve["prediction"], float)
    if categorical:
        err = None if band is None else dict(type="data", symmetric=False,
                                              array=np.asarray(band[1]) - y,
                                              arrayminus=y - np.asarray(band[0]), color=GREY)
        colors = [SECOND if current is not None and v == str(current) else ACCENT for v in x]
        f.add_scatter(x=x, y=y, mode="markers", marker=dict(size=11, color=colors), error_y=err,
                      hovertemplate=f"{feature} = %{{x}}<br>%{{y:.4g}}<extra></extra>")
        f.update_xaxes(type="category", categoryorder="array", categoryarray=x)
    else:
        if band is not None:
            f.add_scatter(x=x + x[::-1], y=list(band[1]) + list(band[0])[::-1], fill="toself",
                          fillcolor="rgba(79,70,229,0.15)", line=dict(width=0), hoverinfo="skip")
        f.add_scatter(x=x, y=y, mode="lines+markers", line=dict(color=ACCENT),
                      marker=dict(size=4))
        if current is not None:
            try:
                f.add_vline(x=current, line=dict(color=SECOND, dash="dash"))
            except (TypeError, ValueError):
                pass
    f.update_xaxes(title=feature + (" (current value in orange)" if categorical else ""))
    f.update_yaxes(title=y_title, range=y_range)
    return f


def roc_overlay(curves: dict, title: str = "ROC", colors: dict | None = None,
                names: dict | None = None) -> go.Figure:
    """Several models' ROC curves: ``{key: (fpr, tpr, auc)}``; ``colors`` and ``names`` map the
    same keys (run ids, from :func:`run_colors`) to each curve's colour and legend name."""
    f = _fig(title, height=340, legend=dict(orientation="h", y=-0.25))
    f.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color=GREY),
                  name="chance")
    for key, (fpr, tpr, a) in curves.items():
        f.add_scatter(x=fpr, y=tpr, mode="lines", name=f"{(names or {}).get(key, key)} "
                      f"(AUC {a:.3f})", line=dict(color=(colors or {}).get(key)))
    f.update_xaxes(title="false positive rate (0–1)", range=PROBABILITY)
    f.update_yaxes(title="true positive rate (0–1)", range=CURVE_RANGE)
    return f


def runs_curves(curves: dict, title: str, y_title: str, colors: dict | None = None,
                names: dict | None = None) -> go.Figure:
    """Several runs' curves by epoch (``{key: values}``, e.g. each run's validation loss), with
    ``colors`` and ``names`` keyed like :func:`roc_overlay`."""
    f = _fig(title, height=300, legend=dict(orientation="h", y=-0.32))
    for key, v in curves.items():
        f.add_scatter(x=list(range(1, len(v) + 1)), y=list(v), mode="lines",
                      name=str((names or {}).get(key, key)),
                      line=dict(color=(colors or {}).get(key)))
    f.update_xaxes(title="epoch")
    f.update_yaxes(title=y_title)
    return f


def series_chart(times, values, groups=None, name: str = "", max_series: int = 8) -> go.Figure:
    """The target over time, one line per series (the first ``max_series``)."""
    import pandas as pd
    f = _fig(f"{name} over time" if name else None, height=300)
    frame = pd.DataFrame({"t": list(times), "v": list(values),
                          "g": list(groups) if groups is not None else [""] * len(values)})
    for g in list(dict.fromkeys(frame["g"]))[:max_series]:
        part = frame[frame["g"] == g]
        f.add_scatter(x=part["t"], y=part["v"], mode="lines", name=str(g) or name,
                      line=dict(width=1.3))
    f.update_layout(showlegend=groups is not None, legend=dict(orientation="h", y=-0.15))
    f.update_xaxes(title="time")
    f.update_yaxes(title=name or "value")
    return f


def forecast_chart(times, actual, predicted, naive=None, title: str = "Forecast on the test "
                   "period", y_title: str = "target (its own units)",
                   x_title: str = "time") -> go.Figure:
    """Actual vs predicted over the test period (and the naive last-value forecast);
    ``y_title`` names the target, ``x_title`` the time axis (a row number when there is no
    time column)."""
    order = np.argsort(np.asarray(times), kind="stable")
    t = np.asarray(times)[order]
    f = _fig(title, height=340)
    f.add_scatter(x=t, y=np.asarray(actual, float)[order], mode="lines", name="actual",
                  line=dict(color="#111827", width=1.6))
    f.add_scatter(x=t, y=np.asarray(predicted, float)[order], mode="lines", name="model",
                  line=dict(color=ACCENT, width=1.6))
    if naive is not None:
        f.add_scatter(x=t, y=np.asarray(naive, float)[order], mode="lines",
                      name="naive (last value)", line=dict(color=GREY, width=1, dash="dot"))
    f.update_layout(legend=dict(orientation="h", y=-0.15))
    f.update_xaxes(title=x_title)
    f.update_yaxes(title=y_title)
    return f


def contribution_waterfall(w: dict, title: str = "Why this prediction",
                           x_title: str = "prediction") -> go.Figure:
    """A waterfall from the average prediction through each column's contribution to the row's
    prediction (``w`` from :func:`kwk.evaluation.explain.steps`); red pushes down, green up.
    A class's probability (``w["class"]`` set) is drawn on the whole 0–1 axis, never a zoom
    on part of it; a number's axis spans the path from the average to the prediction (a
    number has no natural zero), so small steps show."""
    labels = ["average prediction"] + [s[0] for s in w["steps"]] + ["this prediction"]
    values = [w["base"]] + [s[1] for s in w["steps"]] + [w["prediction"]]
    measure = ["absolute"] + ["relative"] * len(w["steps"]) + ["total"]
    text = [f"{w['base']:.4g}"] + [f"{v:+.3g}" for v in values[1:-1]] + [f"{w['prediction']:.4g}"]
    f = _fig(title, height=max(300, 30 * len(labels) + 90), showlegend=False)
    f.add_trace(go.Waterfall(orientation="h", y=labels, x=values, measure=measure, text=text,
                             textposition="outside", connector=dict(line=dict(color=GREY)),
                             increasing=dict(marker=dict(color="#16A34A")),
                             decreasing=dict(marker=dict(color="#DC2626")),
                             totals=dict(marker=dict(color=ACCENT))))
    f.update_yaxes(autorange="reversed", title="step: the average, each column, the result")
    if w.get("class") is not None:
        f.update_xaxes(title=f"{x_title} (0–1)", range=PROBABILITY)
        return f
    path = np.cumsum([w["base"]] + [s[1] for s in w["steps"]])
    lo, hi = float(min(path.min(), w["prediction"])), float(max(path.max(), w["prediction"]))
    pad = 0.25 * (hi - lo) or 0.05 * (abs(hi) or 1.0)
    lo, hi = lo - pad, hi + pad
    f.update_xaxes(title=x_title + (" (the axis does not start at 0)" if lo > 0 or hi < 0
                                    else ""), range=[lo, hi])
    return f


def contribution_bars(importance: list[dict], axis_title: str, top: int = 15) -> go.Figure:
    """Mean |contribution| per column (records ``{"feature", "mean_abs"}``), largest on top."""
    rows = importance[:top][::-1]
    f = _fig("Average size of each column's contribution", height=max(260, 26 * len(rows) + 100),
             showlegend=False)
    f.add_bar(x=[r["mean_abs"] for r in rows], y=[r["feature"] for r in rows], orientation="h",
              marker_color=ACCENT)
    f.update_xaxes(title=axis_title)
    f.update_yaxes(title="column")
    return f


def beeswarm(swarm: list[dict], axis_title: str, seed: int = 0) -> go.Figure:
    """One row of dots per column (the most important on top): each dot is one explained row,
    placed at its contribution and coloured by the column's value (blue low, red high; grey for
    labels and missing values)."""
    rng = np.random.default_rng(seed)
    f = _fig("Each row's contributions", height=max(300, 34 * len(swarm) + 110),
             showlegend=False)
    names = [s["feature"] for s in swarm][::-1]
    scale_shown = False
    for pos, s in enumerate(swarm[::-1]):
        x = np.asarray(s["contribution"], dtype=float)
        shade = np.array([np.nan if v is None else v for v in s["shade"]], dtype=float)
        y = pos + rng.uniform(-0.28, 0.28, len(x))
        known = ~np.isnan(shade)
        hover = [f"{s['feature']} = {v}<br>contribution {c:+.3g}" for v, c in zip(s["value"], x)]
        if (~known).any():
            f.add_scatter(x=x[~known], y=y[~known], mode="markers", hoverinfo="text",
                          hovertext=[h for h, k in zip(hover, known) if not k],
                          marker=dict(size=6, color=GREY, opacity=0.7))
        if known.any():
            f.add_scatter(x=x[known], y=y[known], mode="markers", hoverinfo="text",
                          hovertext=[h for h, k in zip(hover, known) if k],
                          marker=dict(size=6, color=shade[known], cmin=0, cmax=1,
                                      colorscale="RdBu_r", opacity=0.8,
                                      showscale=not scale_shown, colorbar=dict(
                                          title="value", tickvals=[0, 1],
                                          ticktext=["low", "high"], thickness=10)))
            scale_shown = True
    f.update_yaxes(tickvals=list(range(len(names))), ticktext=names, title="column")
    f.update_xaxes(title=axis_title, zeroline=True, zerolinecolor=GREY)
    return f


# ---------------------------------------------------------------------- the layer inspector
MAX_BARS = 128    # a layer output drawn as bars shows at most this many values
MAX_MAPS = 8      # feature maps drawn per convolution


def layer_output_figure(o: dict, names: list[str] | None = None,
                        y_title: str | None = None) -> go.Figure | None:
    """One layer's output for one row (``o`` from :func:`kwk.evaluation.inspect.layer_outputs`):
    bars for a flat output, a heat-map for steps × units, the first feature maps of a
    convolution; None for other shapes. ``names`` label the bars (the inputs, or the classes of
    an output layer); ``y_title`` says what a bar's height is. An output of probabilities
    (``o["probability"]``) is drawn on a fixed 0–1 axis, so 5.8% looks small."""
    v = o["values"]
    title = f"{o['layer']} ({o['type']})"
    if o["kind"] == "maps":
        from plotly.subplots import make_subplots
        n = min(MAX_MAPS, v.shape[-1])
        f = make_subplots(rows=1, cols=n, horizontal_spacing=0.01,
                          subplot_titles=[f"map {i + 1}" for i in range(n)])
        for i in range(n):
            f.add_heatmap(z=v[:, :, i], row=1, col=i + 1, colorscale="Viridis",
                          showscale=i == 0, colorbar=dict(title="strength", thickness=8),
                          hovertemplate="%{z:.3g}<extra></extra>")
        f.update_yaxes(autorange="reversed", showticklabels=False)
        f.update_xaxes(showticklabels=False)
        f.update_xaxes(title="picture width →", row=1, col=1)
        f.update_yaxes(title="height", row=1, col=1)
        f.update_layout(height=220, showlegend=False, **{**_LAYOUT, **_title(title, above=18)})
        return f
    f = _fig(title, showlegend=False)
    if o["kind"] == "matrix":
        f.add_heatmap(z=v.T, colorscale="RdBu", zmid=0, colorbar=dict(title="value"),
                      hovertemplate="step %{x}, unit %{y}: %{z:.3g}<extra></extra>")
        f.update_xaxes(title="step (or word) in the sequence")
        f.update_yaxes(title="unit")
        f.update_layout(height=240)
        return f
    if o["kind"] != "vector":
        return None
    shown = v[:MAX_BARS]
    labels = names[:len(shown)] if names is not None and len(names) == len(v) else \
        list(range(1, len(shown) + 1))
    probability = bool(o.get("probability"))
    f.add_bar(x=labels, y=shown, marker_color=[ACCENT if x > 0 else GREY for x in shown],
              hovertemplate="%{x}: %{y:" + (".1%" if probability else ".3g")
              + "}<extra></extra>")
    if o["layer"] == "input":  # the caption says what the scale means
        x_title, default_y = "input (number column or 0/1 category)", "scaled value"
    elif probability:
        x_title, default_y = "class" if names is not None else "unit", "probability"
    else:
        x_title, default_y = "unit", "output value"
    f.update_xaxes(title=x_title, type="category" if names is not None else None)
    f.update_yaxes(title=y_title or default_y)
    if probability:
        f.update_yaxes(range=[0, 1], tickformat=".0%")
    f.update_layout(height=240)
    return f


def weight_histogram(w: dict) -> go.Figure:
    """A layer's weights and biases counted by value (``w`` from
    :func:`kwk.evaluation.inspect.weight_histograms`)."""
    f = _fig(f"{w['layer']} ({w['type']}, {w['n_weights']:,} numbers)", height=240,
             barmode="overlay", legend=dict(orientation="h", y=-0.35))
    for part, color in (("kernel", ACCENT), ("bias", SECOND)):
        h = w[part]
        if h is None:
            continue
        e = np.asarray(h["edges"])
        f.add_bar(x=(e[:-1] + e[1:]) / 2, y=h["counts"], width=np.diff(e), marker_color=color,
                  name="weights" if part == "kernel" else "biases", opacity=0.8,
                  hovertemplate="%{x:.3g}: %{y}<extra></extra>")
    f.update_xaxes(title="value of the weight or bias")
    f.update_yaxes(title="how many")
    return f


def dead_units_chart(dead: list[dict]) -> go.Figure:
    """The share of each ReLU layer's units that are dead (records ``{"layer", "dead",
    "units", "share"}``), on a 0–100% axis."""
    f = _fig(None, height=260, showlegend=False)
    f.add_bar(x=[d["layer"] for d in dead], y=[d["share"] for d in dead],
              text=[f"{d['dead']} of {d['units']}" for d in dead], textposition="outside",
              marker_color=SECOND, customdata=[[d["dead"], d["units"]] for d in dead],
              hovertemplate="%{x}: %{customdata[0]} of %{customdata[1]} units dead"
                            "<extra></extra>")
    f.update_xaxes(title="layer")
    f.update_yaxes(range=[0, 1], tickformat=".0%", title="share of its units dead")
    return f


def gradient_norms_chart(grads: list[dict]) -> go.Figure:
    """The norm of the loss gradient per layer (records ``{"layer", "norm"}``); a log axis when
    the norms span more than a factor of 100, and the axis title says so."""
    f = _fig(None, height=280, showlegend=False)
    norms = [g["norm"] for g in grads]
    f.add_bar(x=[g["layer"] for g in grads], y=norms, marker_color=ACCENT,
              text=[f"{v:.2g}" for v in norms], textposition="outside",
              hovertemplate="%{x}: %{y:.3g}<extra></extra>")
    spread = max(norms) / max(min(norms), 1e-30) if norms and max(norms) > 0 else 1.0
    log = spread > 100
    f.update_xaxes(title="layer")
    f.update_yaxes(type="log" if log else "linear",
                   title="gradient norm" + (" (log scale)" if log else ""))
    return f
