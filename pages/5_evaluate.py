"""Evaluate: metrics against baselines, confusion matrix, ROC/PR, residuals, learning curves."""
import numpy as np
import streamlit as st

from kwk import plots
from kwk.ui.state import owner, run_picker, store
from kwk.ui.tables import metrics_table

ss = st.session_state
st.title("📊 Evaluate")
run_id = run_picker("eval_run")
if run_id is None:
    st.stop()
ss.evaluated = True
run = store().get(run_id, owner())
m, spec = run["metrics"], run["spec"]
ev = store().evaluation(run_id)
hist = store().history(run_id)
task = m["task"]

st.caption(f"Target **{spec['data']['target']}** · {task} · {m['n_test']} test rows never seen in "
           f"training · status: {run['status']} after {run['epochs']} epochs")
st.dataframe(metrics_table(m), hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f")
                            for c in metrics_table(m).columns[1:4]})

if not ev:
    st.warning("This run's predictions were not saved, so only its metrics can be shown.")
    st.stop()
y, out = ev["y"], ev["out"]
if task == "regression":
    c1, c2 = st.columns(2)
    c1.plotly_chart(plots.actual_vs_predicted(y, out), key="avp")
    c2.plotly_chart(plots.residuals_vs_fitted(y, out), key="rvf")
    c3, c4 = st.columns(2)
    c3.plotly_chart(plots.residual_histogram(y, out), key="rhist")
    c4.plotly_chart(plots.learning_curves(hist, "loss", "Learning curves (loss)"), key="lc")
else:
    classes = m["test"]["per_class"].keys()
    classes = list(classes)
    c1, c2 = st.columns(2)
    with c1:
        norm = st.toggle("Normalize by actual class", key="cm_norm",
                         help="Show the share of each actual class instead of counts.")
        st.plotly_chart(plots.confusion_matrix(m["test"]["confusion_matrix"], classes, norm),
                        key="cm")
    with c2:
        per = [{"class": c, **v} for c, v in m["test"]["per_class"].items()]
        st.markdown("**Per class**")
        st.dataframe(per, hide_index=True, width="stretch")
    c3, c4 = st.columns(2)
    c3.plotly_chart(plots.roc_curves(y, np.asarray(out), classes), key="roc")
    c4.plotly_chart(plots.pr_curves(y, np.asarray(out), classes), key="pr")
    c5, c6 = st.columns(2)
    c5.plotly_chart(plots.learning_curves(hist, "loss", "Learning curves (loss)"), key="lc")
    if "accuracy" in hist:
        c6.plotly_chart(plots.learning_curves(hist, "accuracy", "Learning curves (accuracy)"),
                        key="lca")
st.page_link("pages/6_predict.py", label="Next: predict new rows and export", icon="➡️")
