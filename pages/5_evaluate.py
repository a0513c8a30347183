"""Evaluate: metrics against baselines and every chart a statistician expects; decision
threshold, importance, profiler and a downloadable report."""
import numpy as np
import pandas as pd
import streamlit as st

from kwk import plots
from kwk.catalog.presets import modality
from kwk.evaluation.analysis import (
    analyses_for,
    calibration,
    default_base,
    gains_lift,
    grid_is_levels,
    importance_axis,
    importance_groups,
    misclassified,
    permutation_importance,
    profile_grid,
    profiler_bands,
    profiler_curves,
    shared_range,
    threshold_metrics,
)
from kwk.errors import KwkError
from kwk.evaluation.curves import readable_loss
from kwk.evaluation.metrics import compare_with_references
from kwk.runs.service import set_threshold
from kwk.prep.series import series_labels, time_axis
from kwk.data.times import in_steps, time_step
from kwk.ui import later, words
from kwk.ui.tables import number_text
from kwk.ui.explain import global_view, mixed_row_view, picture_heatmaps, text_words
from kwk.ui.images import misclassified_gallery
from kwk.ui import lazytabs
from kwk.ui.memo import once  # a run never changes: its charts are built once
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.runs.bundle import preload_bundle
from kwk.ui.state import cached_bundle, owner, run_data, run_picker, show_error, store
from kwk.prep.twins import twins_note
from kwk.ui.stale import run_banner
from kwk.ui.tables import (assessment_table, metrics_display, metrics_table, number_columns,
                           reference_notice, simple_model_notice)
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()
st.title("📊 Evaluate")
run_id = run_picker("eval_run")
if run_id is None:
    stop_page()
run = store().get(run_id, owner())
if run_banner(run, run_id, "evaluate"):  # a run of other data says so first, not a ✓
    ss.evaluated = True
m, spec = run["metrics"], run["spec"]
hist = store().history(run_id)
task = m["task"]
classes = list(m["test"].get("per_class", {}))

st.caption(f"Data **{run['data_name']}** · target **{spec['data']['target']}** · {task} · "
           f"{m['n_test']} test rows never seen in "
           f"training · status: {run['status']} after {run['epochs']} epochs")
ev = store().evaluation(run_id)
if ev and run_id not in ss.comparisons:  # the network vs each reference, on the same test rows
    def _compare(progress, stop):  # in the background: the table fills in its verdicts
        return compare_with_references(task, ev, len(classes), spec["training"]["seed"],
                                       progress, stop)
    done = later.result(("comparisons", run_id), "Comparing the network with the reference "
                        "models", _compare, small=len(ev["y"]) <= 5_000)  # more: not waited for
    if done is not None:
        ss.comparisons[run_id] = done
paired = ss.comparisons.get(run_id, {})
table = metrics_table(m, {"baseline": paired.get("baseline", {}),
                          "simple_model": paired.get("simple", {}),
                          "reference": paired.get("reference", {})} if paired else None)
twins = twins_note(m.get("twins"))
if twins:
    st.warning(twins, icon="👯")
shown, layout, model_names = metrics_display(table, m)  # no sideways scrolling at 1,280 px
metrics_cols = {c: st.column_config.NumberColumn(v["label"], help=v["help"], width=v["width"],
                                                 format="%.4f")
                if v["number"] and c in number_columns(table) else
                st.column_config.TextColumn(v["label"], help=v["help"], width=v["width"])
                for c, v in layout.items()}
st.container(key="eval_metrics").dataframe(shown, hide_index=True, width="stretch",
                                           column_config=metrics_cols)
st.caption(model_names)
if ev and not paired:
    later.progress(("comparisons", run_id))
st.caption("Each *vs …* column compares the network with the model just left of it, on "
           "the same test rows: *better* or *worse* only when the difference is larger than the "
           "noise (paired bootstrap, 95%), else *about the same* (≈).")
ref_note = reference_notice(m, paired.get("reference"))
if ref_note:
    st.info(ref_note, icon="🌲")
mixed_text = (spec["data"].get("inputs") or {}).get("text")
if mixed_text:  # what the comparison models read of the text
    names = f"{m.get('simple_model', {}).get('name', '')} {m.get('reference', {}).get('name', '')}"
    st.caption(f"The logistic/linear model and gradient boosting read the table's columns and "
               f"the text '{mixed_text[0]}' as TF-IDF word weights (fitted on the training "
               "texts; at most 20,000 words for the linear model, the 300 commonest for "
               "gradient boosting), not the network's word numbers." if "TF-IDF" in names else
               f"⚠️ The comparison models did **not** see the text '{mixed_text[0]}' (they read "
               "its word numbers as plain numbers" + (", or only the table" if "did not see"
                                                       in names else "") + "): they compare "
               "with the table alone. Train the run again to compare with models that read "
               "the text too.")
notice = simple_model_notice(m, paired.get("simple"))
if notice and "does better" in notice:
    st.warning(notice, icon="⚠️")
elif notice:
    st.info(notice, icon="⚖️")
assess = assessment_table(m)
if assess is not None:
    st.markdown("**Cross-validation and repeated runs** (mean ± standard deviation)")
    st.dataframe(assess, hide_index=True, width="stretch")
if not ev:
    st.warning("This run's predictions were not saved, so only its metrics can be shown.")
    stop_page()
y, out = ev["y"], np.asarray(ev["out"])
seq, text = spec["data"].get("sequence"), spec["data"].get("text")
names = analyses_for(task, modality(spec["data"]))
per_column = "Profiler" in names  # the profiler changes one column of one row
tabs = lazytabs.tabs(names, key="eval_tabs", keep={  # only the open tab is drawn (with a
    "Charts": ("cm_norm", "sal_pick", "words_pick", "words_typed"),  # server); the settings
    "Forecast": ("fc_series",),                                      # of a hidden tab are kept
    "Decision threshold": ("threshold",),
    "Importance": ("imp_repeats", "shap_rows", "shap_class", f"mixed_row_{run_id}",
                   "eval_mixed_class"),
    "Profiler": ("prof_class", f"prof_{run_id}_", f"opt_goal_{run_id}", f"opt_value_{run_id}",
                 f"opt_fix_{run_id}")})
if not per_column:
    st.caption("The profiler is for tables: a "
               + ("forecast reads a whole window of rows." if seq else
                  "model with several inputs reads them together (the importance tab compares "
                  "them)." if spec["data"].get("inputs") else
                  "picture model reads hundreds of pixels together: the heat-maps below show "
                  "which of them it looked at." if spec["data"].get("image_shape") else
                  "text model reads words, not columns (so there is no column importance "
                  "either)."))

if seq and tabs.open("Forecast"):
    with tabs["Forecast"]:
        df_s = run_data(run)
        naive = np.asarray(ev["baseline_out"], dtype=float)
        if df_s is None or "test_rows" not in ev:
            st.info("Load the data this run was trained on (Data page) to see the forecast "
                    "against its dates; shown here in test order.", icon="📂")
            st.plotly_chart(plots.forecast_chart(np.arange(len(y)), y, out, naive), key="fc_plain")
        else:
            rows = df_s.iloc[ev["test_rows"]]
            times = time_axis(rows[seq["time"]])
            groups = series_labels(rows[seq["group"]]).to_numpy() if seq["group"] else None
            pick = None
            if groups is not None:
                opts = list(dict.fromkeys(groups))
                pick = st.selectbox("Series", opts, key="fc_series",
                                    help=f"One line per value of '{seq['group']}'.")
            mask = groups == pick if groups is not None else np.ones(len(y), bool)
            st.plotly_chart(plots.forecast_chart(np.asarray(times)[mask], np.asarray(y)[mask],
                                                 out[mask], naive[mask],
                                                 f"Forecast of {spec['data']['target']} on the "
                                                 "test period" + (f" · {pick}" if pick else "")),
                            key="fc")
        step = time_step(df_s[seq["time"]]) if df_s is not None else None
        st.caption(f"Each point is forecast from the {in_steps(seq['window'], step)} before it "
                   f"({in_steps(seq['horizon'], step)} ahead). The dotted line repeats the "
                   "window's last "
                   "value: the naive forecast a model has to beat. The test period comes after "
                   "every row the model was trained or tuned on.")

_, loss_label, curves = readable_loss(hist, spec, store().target_state(run_id))
loss_curves = {**hist, **curves}
if tabs.open("Charts"):
    with tabs["Charts"]:
        if task == "regression":
            c1, c2 = st.columns(2)
            c1.plotly_chart(once((run_id, "avp"), lambda: plots.actual_vs_predicted(y, out)),
                            key="avp")
            c2.plotly_chart(once((run_id, "rvf"), lambda: plots.residuals_vs_fitted(y, out)),
                            key="rvf")
            c3, c4 = st.columns(2)
            c3.plotly_chart(once((run_id, "rhist"), lambda: plots.residual_histogram(y, out)),
                            key="rhist")
            c4.plotly_chart(once((run_id, "lc", loss_label), lambda: plots.learning_curves(
                loss_curves, "loss", "Learning curves", loss_label)), key="lc")
        else:
            c1, c2 = st.columns(2)
            with c1:
                norm = st.toggle("Normalize by actual class", key="cm_norm",
                                 help="Show the share of each actual class instead of counts.")
                st.plotly_chart(once((run_id, "cm", norm), lambda: plots.confusion_matrix(
                    m["test"]["confusion_matrix"], classes, norm)), key="cm")
            with c2:
                st.markdown("**Per class**")
                st.dataframe([{"class": c, **v} for c, v in m["test"]["per_class"].items()],
                             column_config={k: st.column_config.NumberColumn(help=words.tip(t))
                                            for k, t in (("precision", "precision"),
                                                         ("recall", "recall"), ("f1", "F1"))},
                             hide_index=True, width="stretch")
            c3, c4 = st.columns(2)
            c3.plotly_chart(once((run_id, "roc"), lambda: plots.roc_curves(y, out, classes)),
                            key="roc")
            c4.plotly_chart(once((run_id, "pr"), lambda: plots.pr_curves(y, out, classes)),
                            key="pr")
            c5, c6 = st.columns(2)
            c5.plotly_chart(once((run_id, "lc", loss_label), lambda: plots.learning_curves(
                loss_curves, "loss", "Learning curves", loss_label)), key="lc")
            if "accuracy" in hist:
                c6.plotly_chart(once((run_id, "lca"), lambda: plots.learning_curves(
                    hist, "accuracy", "Learning curves (accuracy)")), key="lca")

image = spec["data"].get("image_shape")
inputs = spec["data"].get("inputs") or {}  # a mixed-input model: each branch's columns
if inputs:  # the misclassified examples of the branch that is not the table
    image = image if "image" in inputs else None
if (image or spec["data"].get("text")) and task != "regression" and tabs.open("Charts"):
    what = "pictures" if image else "texts"
    with tabs["Charts"]:
        st.markdown(f"**Misclassified test {what}** (most confident mistakes first)")
        df_ex = run_data(run)
        if df_ex is None or "test_rows" not in ev:
            st.info(f"Load the data this run was trained on (Data page) to see its {what}.")
        else:
            wrong = misclassified(y, out, classes, limit=None if image else 50)
            rows = ev["test_rows"][wrong["position"].to_numpy()]
            if not len(wrong):
                st.success(f"Every test {what[:-1]} was classified correctly.")
            elif image:
                misclassified_gallery(df_ex, rows, inputs.get("image") or spec["data"]["features"],
                                      tuple(image),
                                      wrong["actual"].tolist(), wrong["predicted"].tolist(),
                                      wrong["probability"].tolist())
            else:
                col = (inputs.get("text") or spec["data"]["features"])[0]
                st.dataframe(wrong.drop(columns="position").assign(
                    text=df_ex[col].iloc[rows].to_numpy())[["text", "actual", "predicted",
                                                             "probability"]],
                    hide_index=True, width="stretch", column_config={
                        "probability": st.column_config.NumberColumn(format="%.3f")})
            if inputs:  # one row's columns and words: the Importance tab
                st.caption("The **Importance** tab ranks this model's inputs and columns and "
                           "explains any test row: each column's contribution"
                           + (" and the words that moved it." if not image else
                              " and its picture's as a whole (no pixel heat-map for a model "
                              "with several inputs)."))
            elif image:  # where the model looked, and which words pushed it
                picture_heatmaps(run, df_ex, ev["test_rows"], wrong, tuple(image), classes)
            else:
                text_words(run, df_ex[spec["data"]["features"][0]].iloc[rows].tolist())

if tabs.open("Decision threshold"):
    with tabs["Decision threshold"]:
        st.caption(f"A row is predicted **{classes[1]}** when its probability is at least the "
                   "threshold. Move it to trade precision against recall.")
        saved = store().threshold(run_id)
        thr = st.slider("Threshold", 0.01, 0.99, saved, 0.01, key="threshold",
                        help="0.5 is the default; lower it to catch more positives.\n\n📖 "
                        + words.tip("threshold"))
        st.caption(f"This run labels **{classes[1]}** from a probability of **{saved:.2f}** on: "
                   "Predict, `kwk predict`, the report and the run's script use it.")
        if round(thr, 2) != round(saved, 2) and st.button(
                f"✅ Use {thr:.2f} for this run's predictions", key="threshold_save",
                help="Saves the threshold with the run."):
            try:
                set_threshold(run["dir"], thr)
                st.rerun()
            except KwkError as e:
                show_error(e)
        tm = once((run_id, "thr_metrics", round(thr, 2)),
                  lambda: threshold_metrics(y, out[:, 1], thr))
        k = st.columns(4)
        for col, name in zip(k, ("accuracy", "precision", "recall", "f1")):
            col.metric(name.capitalize() if name != "f1" else "F1", f"{tm[name]:.3f}")
        d1, d2 = st.columns(2)
        d1.plotly_chart(once((run_id, "thr_cm", round(thr, 2)), lambda: plots.confusion_matrix(
            tm["confusion_matrix"], classes)), key="thr_cm")
        d2.plotly_chart(once((run_id, "calib"), lambda: plots.calibration_chart(
            calibration(y, out[:, 1]))), key="calib")
        d3, d4 = st.columns(2)
        d3.plotly_chart(once((run_id, "gains"), lambda: plots.gains_chart(
            gains_lift(y, out[:, 1]))), key="gains")
        d4.plotly_chart(once((run_id, "lift"), lambda: plots.lift_chart(
            gains_lift(y, out[:, 1]))), key="lift")

df = run_data(run)
need_data_msg = ("Load the data this run was trained on (same file) on the **Data** page to "
                 "compute this: it needs the original rows.")

if tabs.open("Importance") or "Importance" not in tabs:  # (absent: drawn as before)
    with tabs.get("Importance", st.empty()):
        if text and not inputs:  # a text model reads words, not columns
            pass
        elif df is None or "test_rows" not in ev:
            st.info(need_data_msg, icon="📂")
        else:
            st.caption("How much worse the model gets on the test rows when one input column is "
                       "shuffled" + (" (its whole history in each window, swapped between "
                                     "windows; the score is the forecast's RMSE)" if seq else
                                     " — and each input as a whole: the texts, the pictures or "
                                     "all the table's columns swapped between rows" if inputs
                                     else "")
                       + ": the longer the bar, the more the model relies on that column. "
                       "Error bars: spread over repeated shuffles.")
            repeats = st.slider("Repeats", 2, 20, 5, key="imp_repeats",
                                help="More repeats give steadier estimates but take longer.")
            if st.button("Compute importance", key="imp_go", type="primary"):
                try:
                    b = cached_bundle(run["dir"])
                    rows = df.iloc[ev["test_rows"]]
                    yy = b.pre.encode_target(rows[spec["data"]["target"]]) if task != "regression" \
                        else y
                    with st.spinner("Shuffling columns…"):
                        if seq:
                            ss.importance[run_id] = b.series_importance(
                                df, ev["test_rows"], repeats=repeats, seed=spec["training"]["seed"])
                        elif inputs:  # each input as a whole, then each table column
                            from kwk.evaluation.mixed import input_importance
                            ss.importance[run_id] = input_importance(
                                b, rows, yy, repeats=repeats, seed=spec["training"]["seed"])
                        else:
                            ss.importance[run_id] = permutation_importance(
                                b.output, rows, yy, task, importance_groups(b.pre),
                                repeats=repeats, seed=spec["training"]["seed"])
                except KwkError as e:
                    show_error(e)
            imp = ss.importance.get(run_id)
            if imp is not None:
                st.plotly_chart(plots.importance_chart(
                    imp, importance_axis(task, spec["data"]["target"])), key="imp_chart")
                if (imp["importance"] < 0).any():
                    st.caption("A bar below zero: shuffling that column made the predictions slightly "
                               "*better* on these rows, so the model does not rely on it — the "
                               "difference is noise (compare it with its error bar).")
            if inputs:  # one row: its columns, its text's words (or its picture)
                mixed_row_view(run, run_id, df, ev)
            elif not seq:
                global_view(run, run_id, df, ev)

if tabs.open("Profiler") or "Profiler" not in tabs:  # (absent: drawn as before)
    with tabs.get("Profiler", st.empty()):
        if not per_column:
            pass
        elif df is None:
            st.info(need_data_msg, icon="📂")
        else:
            b = cached_bundle(run["dir"])
            kinds = spec["data"]["kinds"]
            feats = b.pre.features
            if run_id not in ss.profiler:  # quantiles over the whole table: once per run
                ss.profiler[run_id] = {"base": default_base(df, feats, kinds),
                                       "grids": {f: profile_grid(df[f], kinds[f], 30) for f in feats}}
            base, grids = ss.profiler[run_id]["base"], ss.profiler[run_id]["grids"]
            out_idx, y_title, y_range = None, f"predicted {spec['data']['target']}", None
            if task != "regression":
                cls = st.selectbox("Show the probability of", classes,
                                   index=1 if task == "binary" else 0, key="prof_class")
                out_idx, y_title, y_range = classes.index(cls), f"P({cls})", [0, 1]
            st.caption("Each curve shows the prediction as one input sweeps its range while the "
                       "others stay at the values set below (they start at the median or the most "
                       "frequent label). Change any value: every curve updates.")
            with st.expander("Values of the other inputs", expanded=False):
                cols = st.columns(3)
                for i, f in enumerate(feats):
                    g = grids[f]
                    with cols[i % 3]:
                        if not g:
                            continue
                        if kinds[f] == "numeric" and grid_is_levels(g):  # a code: its values only
                            near = min(g, key=lambda v: abs(float(v) - float(base[f])))
                            base[f] = st.select_slider(f, options=[float(v) for v in g],
                                                       value=float(near), key=f"prof_{run_id}_{f}")
                        elif kinds[f] == "numeric" and len(g) > 1:
                            base[f] = st.slider(f, float(g[0]), float(g[-1]),
                                                float(np.clip(base[f], g[0], g[-1])),
                                                key=f"prof_{run_id}_{f}")
                        elif kinds[f] != "numeric":
                            opts = [str(v) for v in g]
                            cur = str(base[f]) if str(base[f]) in opts else opts[0]
                            base[f] = st.selectbox(f, opts, index=opts.index(cur),
                                                   key=f"prof_{run_id}_{f}")
            try:
                import json
                at = (run_id, "profiler", json.dumps(base, sort_keys=True, default=str), out_idx)

                def _curves():  # the model's answers along each sweep: once per set of values
                    from kwk.runs.bundle import repeat_dirs
                    curves = profiler_curves(b.output, base, grids, out_idx)
                    others = [profiler_curves(cached_bundle(str(r)).output, base, grids, out_idx)
                              for r in repeat_dirs(run["dir"])]
                    now = float(np.asarray(b.output(pd.DataFrame([base])))[0, out_idx]
                                if out_idx is not None else b.output(pd.DataFrame([base]))[0])
                    return curves, others, profiler_bands(curves, others), now
                curves, others, bands, now = once(at, _curves)
                if others:
                    st.caption(f"Shaded: the range of the curves of all {len(others) + 1} seeds "
                               "(repeated runs).")
                y_range = y_range or shared_range(curves, [b for pair in bands.values() for b in pair])
                st.caption("All panels share one vertical scale, so steep means a large change.")
                cols = st.columns(3)
                for i, (f, curve) in enumerate(curves.items()):
                    cols[i % 3].plotly_chart(once((*at, f, y_title, str(y_range)),
                                                  lambda f=f, curve=curve: plots.profiler_chart(
                        curve, f, base[f], y_title, y_range, bands.get(f),
                        categorical=kinds[f] != "numeric")), key=f"prof_chart_{f}")
                st.metric(f"Prediction at these values ({y_title})", number_text(now))
            except KwkError as e:
                show_error(e)
            from kwk.ui.optimize import best_settings
            best_settings(run, run_id, b, df, base, kinds, grids,
                          classes[out_idx] if out_idx is not None else None, y_title)

if tabs.open("Report"):
    with tabs["Report"]:
        st.caption("A single HTML file with the data summary, the network, the training settings, "
                   "every chart and the generated code — to share or archive.")
        if st.button("Build the report", key="report_go"):
            from kwk.runs.report import build_report
            try:
                ss.reports[run_id] = build_report(run["dir"]).encode("utf-8")
            except KwkError as e:
                show_error(e)
        if ss.reports.get(run_id):
            st.download_button("⬇️ Download report.html", ss.reports[run_id],
                               file_name=f"kwk_report_{run_id}.html", mime="text/html",
                               key="dl_report", on_click="ignore")

words.on_page(["accuracy", "balanced accuracy", "precision", "recall", "F1", "ROC AUC", "log loss",
               "RMSE", "MAE", "R²", "confusion matrix", "residual", "95% CI", "baseline",
               "threshold", "permutation importance", "SHAP", "profiler"], key="eval_words")
st.page_link("pages/6_predict.py", label="Next: predict new rows and export", icon="➡️")

# --- Layer inspector: below this line belongs to the layer-inspector work ---
from kwk.ui.inspect import layer_inspector  # noqa: E402

layer_inspector(run, ev, run_data(run))

# The model, loaded behind the drawn page: the profiler, the importance and the inspector then
# answer without loading it (issue 30)
preload_bundle(run["dir"])
