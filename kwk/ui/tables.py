"""Metric tables shared by Evaluate and Runs."""
from __future__ import annotations

import pandas as pd

from kwk.evaluation.metrics import CLASS_METRICS, HIGHER_IS_BETTER, REGRESSION_METRICS
from kwk.learn import glossary

NICE = {"accuracy": "Accuracy", "balanced_accuracy": "Balanced accuracy", "f1_macro": "F1 (macro)",
        "precision_macro": "Precision (macro)", "recall_macro": "Recall (macro)",
        "log_loss": "Log loss", "roc_auc": "ROC AUC", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


VERDICT = {"better": "✅ better", "worse": "❌ worse", "about the same": "≈ about the same"}


def _point_verdict(n: str, net, other) -> str:
    better = net > other if HIGHER_IS_BETTER[n] else net < other
    return "✅ better" if better else "❌ no better"


def metrics_table(metrics: dict, comparisons: dict | None = None) -> pd.DataFrame:
    """Rows: metrics. Columns: the network with its 95% interval, then each reference model
    followed by the network's verdict against *that* model. ``comparisons`` (from
    :func:`kwk.evaluation.metrics.paired_bootstrap`, keyed ``baseline`` / ``simple_model`` /
    ``reference``) makes a verdict say "better" or "worse" only outside the noise."""
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    comparisons = comparisons or {}
    simple_name = metrics.get("simple_model", {}).get("name", "simple model")
    parts = [("baseline", f"baseline: {metrics.get('baseline', {}).get('name', '')}",
              "network vs baseline"),
             ("simple_model", simple_name, "network vs simple model")]
    if "reference" in metrics:  # gradient boosting: how close a network comes to it
        parts.append(("reference", metrics["reference"].get("name", "gradient boosting"),
                      "network vs gradient boosting"))
    rows = []
    for n in names:
        net = metrics["test"].get(n)
        ci = metrics.get("test_ci", {}).get(n)
        row = {"metric": NICE[n], "network": net,
               "95% CI": f"{ci[0]:.3f} – {ci[1]:.3f}" if ci else ""}
        for part, label, vs in parts:
            other = metrics.get(part, {}).get(n)
            row[label] = other
            verdict = ""
            paired = comparisons.get(part, {}).get(n)
            if paired is not None:
                verdict = VERDICT[paired["verdict"]]
            elif net is not None and other is not None and part == "baseline":
                verdict = _point_verdict(n, net, other)
            row[vs] = verdict
        rows.append(row)
    return pd.DataFrame(rows)


def _said(n: str, plain: bool | None) -> str:
    """A metric named in a sentence: its usual name, or its plain words with the usual name
    in brackets when the "Plain words" switch is on."""
    if plain is None:
        from kwk.ui.words import is_plain
        plain = is_plain()
    e = glossary.find(NICE[n]) if plain else None
    return NICE[n] if e is None else f"{e.plain} ({NICE[n]})"


def simple_model_notice(metrics: dict, comparison: dict | None = None,
                        plain: bool | None = None) -> str | None:
    """A sentence when the simple model does better than the network. With ``comparison``
    (the paired bootstrap against the simple model) only differences outside the noise count,
    and differences inside it are said to be "about the same". The metrics are named in plain
    words when ``plain`` (default: the "Plain words" switch)."""
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    simple = metrics.get("simple_model", {})
    name = simple.get("name", "simple model")
    if comparison is not None:
        worse = [_said(n, plain) for n in names if comparison.get(n, {}).get("verdict") == "worse"]
        if worse:
            return (f"The simple model ({name}) does better than the network on "
                    f"{', '.join(worse)}, by more than the noise of the test rows (paired "
                    "bootstrap, 95%). A network is worth its cost only when it beats it: try "
                    "more epochs, another stack, or keep the simple model.")
        if all(comparison.get(n, {}).get("verdict") != "better" for n in names if n in comparison):
            return (f"The network and the simple model ({name}) score about the same: their "
                    "differences are within the noise of the test rows (paired bootstrap, 95%). "
                    "The simpler model may be enough.")
        return None
    worse = [_said(n, plain) for n in names
             if metrics["test"].get(n) is not None and simple.get(n) is not None
             and (simple[n] > metrics["test"][n] if HIGHER_IS_BETTER[n]
                  else simple[n] < metrics["test"][n])]
    if not worse:
        return None
    return (f"The simple model ({name}) does better than the network "
            f"on {', '.join(worse)}. A network is worth its cost only when it beats it: try more "
            "epochs, another stack, or keep the simple model.")


def assessment_table(metrics: dict, plain: bool | None = None) -> pd.DataFrame | None:
    """k-fold and repeated-run results as 'mean ± sd' per metric (None when neither ran);
    the metrics in plain words when ``plain`` (default: the "Plain words" switch)."""
    cols = {}
    if metrics.get("cv"):
        cols[f"{metrics['cv']['k']}-fold CV"] = metrics["cv"]
    if metrics.get("repeats"):
        cols[f"{metrics['repeats']['n']} seeds"] = metrics["repeats"]
    if not cols:
        return None
    if plain is None:
        from kwk.ui.words import is_plain
        plain = is_plain()
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    rows = []
    for n in names:
        row = {"metric": _plain(NICE[n], plain)}
        for label, a in cols.items():
            if n in a["mean"]:
                row[label] = f"{a['mean'][n]:.4f} ± {a['sd'][n]:.4f}"
        rows.append(row)
    return pd.DataFrame(rows)


def number_columns(table: pd.DataFrame) -> list[str]:
    """The numeric columns of a metrics table (to format them alike)."""
    return [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]


def number_text(x: float) -> str:
    """A number as a person reads it: 64,530 (not 6.453e+04), 12.35, 0.0421, 3.1e-06."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    a = abs(x)
    if a >= 1e4:
        return f"{x:,.0f}"
    if a >= 1e-3 or a == 0:
        return f"{x:.4g}"
    return f"{x:.2g}"


def size_text(n_bytes: float) -> str:
    """A size a person reads at a glance: 512 bytes, 3.4 kB, 12.0 MB, 1.2 GB."""
    if n_bytes < 1000:
        return f"{int(n_bytes)} bytes"
    for unit in ("kB", "MB", "GB"):
        n_bytes /= 1000
        if n_bytes < 1000 or unit == "GB":
            return f"{n_bytes:.1f} {unit}"


def reference_notice(metrics: dict, comparison: dict | None = None,
                     plain: bool | None = None) -> str | None:
    """A sentence when gradient boosting does better than the network (outside the noise with
    ``comparison``, the paired bootstrap against it), pointing to the Tune page; the metrics
    in plain words when ``plain`` (default: the "Plain words" switch)."""
    ref = metrics.get("reference")
    if not ref:
        return None
    names = REGRESSION_METRICS if metrics["task"] == "regression" else CLASS_METRICS
    if comparison:
        worse = [_said(n, plain) for n in names if comparison.get(n, {}).get("verdict") == "worse"]
    else:
        worse = [_said(n, plain) for n in names
                 if metrics["test"].get(n) is not None and ref.get(n) is not None
                 and (ref[n] > metrics["test"][n] if HIGHER_IS_BETTER[n]
                      else ref[n] < metrics["test"][n])]
    if not worse:
        return None
    lead = (f"Gradient boosting does better than this network on {', '.join(worse)}"
            + (" (outside the noise)" if comparison else "") + ". ")
    if (metrics.get("twins") or {}).get("flagged"):  # trees recognise repeated rows
        return lead + ("Much of its lead may come from recognising test rows it saw in "
                       "training (see the warning about twins above), which tuning the "
                       "network cannot honestly match: fix the split first.")
    return lead + ("It is a strong reference: the **Tune** page searches for a network that "
                   "comes closer.")


SHORT_VERDICT = {"≈ about the same": "≈ same", "❌ no better": "❌ no better"}


def metric_words(shown: list[str], plain: bool) -> str:
    """What each metric of a table means (the glossary's words), for the metric column's
    tooltip: one line per metric, the word on screen first."""
    lines = []
    for name in shown:
        e = glossary.find(name)
        if e is not None:
            first, other = (e.plain, e.term) if plain else (e.term, e.plain)
            lines.append(f"- **{first}** (*{other}*): {e.means}")
    return "What each score means:\n\n" + "\n".join(lines) if lines else ""


def _plain(word: str, plain: bool) -> str:
    e = glossary.find(word) if plain else None
    return word if e is None else e.plain


def metrics_display(table: pd.DataFrame, metrics: dict, plain: bool | None = None
                    ) -> tuple[pd.DataFrame, dict, str]:
    """The metrics table laid out to be read without scrolling sideways (a 1,280 px window):
    the same columns with short headers and fixed narrow widths, the models' full names in
    each header's tooltip and in a caption below. Returns ``(table, columns, names)``:
    ``columns`` maps each column to ``{"label", "help", "width", "number"}`` (width in
    pixels), ``names`` is the caption naming the reference models.

    ``plain`` (default: the sidebar's "Plain words" switch, kwk.ui.words) names the metrics in
    plain words; either way the metric column's tooltip says what each metric means, and the
    other columns' tooltips what a baseline, an interval and a verdict are (the glossary)."""
    if plain is None:
        from kwk.ui.words import is_plain
        plain = is_plain()
    g = glossary.glossary()
    base = metrics.get("baseline", {}).get("name", "")
    simple = metrics.get("simple_model", {}).get("name", "simple model")
    ref = metrics.get("reference", {}).get("name", "gradient boosting") \
        if "reference" in metrics else None
    models = {f"baseline: {base}": ("baseline", f"The baseline: {base}.\n\n📖 "
                                    + g.define("baseline", plain)),
              simple: ("simple", f"The simple model: {simple}.\n\n📖 "
                       + g.define("simple model", plain)),
              **({ref: ("boosting", f"The reference: {ref}.\n\n📖 "
                        + g.define("gradient boosting", plain))} if ref else {})}
    vs = {"network vs baseline": ("vs baseline", "The network against the baseline."),
          "network vs simple model": ("vs simple", "The network against the simple model."),
          "network vs gradient boosting": ("vs boosting",
                                           "The network against gradient boosting.")}
    out = table.copy()
    cols = {}
    for c in out.columns:
        if c == "metric":
            cols[c] = {"label": "metric", "help": metric_words(list(out[c]), plain) or None,
                       "width": 130, "number": False}
            out[c] = out[c].map(lambda v: _plain(v, plain))
        elif c == "network":
            cols[c] = {"label": "network", "help": "This run's network on the test rows.",
                       "width": 72, "number": True}
        elif c == "95% CI":
            cols[c] = {"label": g.say("95% CI", plain) if plain else "95% CI",
                       "help": "The network's 95% interval (bootstrap over the test rows)."
                       "\n\n📖 " + g.define("95% CI", plain), "width": 100, "number": False}
        elif c in vs:
            out[c] = out[c].map(lambda v: SHORT_VERDICT.get(v, v))
            label, help_ = vs[c]
            cols[c] = {"label": label, "help": help_ + " Better or worse only outside the "
                       "noise (paired bootstrap, 95%).\n\n📖 "
                       + g.define("paired bootstrap", plain), "width": 92, "number": False}
        else:
            label, help_ = models.get(c, (c, None))
            cols[c] = {"label": label, "help": help_, "width": 72, "number": True}
    names = (f"Baseline: {base} · simple model: {simple}"
             + (f" · boosting: {ref}" if ref else "") + ".")
    return out, cols, names
