"""Evaluate: metrics against baselines, confusion matrix, ROC/PR, residuals, learning curves."""
import numpy as np
import streamlit as st

from kwk import plots
from kwk.ui.state import owner, store
from kwk.ui.tables import metrics_table

ss = st.session_state
st.title("📊 Evaluate")
runs = store().list(owner())
if not runs:
    st.info("No trained model yet. Train one on the **Train** page, then come back.", icon="📊")
    st.page_link("pages/4_train.py", label="Go to Train", icon="➡️")
    st.stop()

ids = [r["id"] for r in runs]
by_id = {r["id"]: r for r in runs}
default = ids.index(ss.run_id) if ss.run_id in ids else 0
run_id = st.selectbox("Run", ids, index=default, key="eval_run",
                      format_func=lambda i: f"{by_id[i]['created'][:19].replace('T', ' ')} · "
                      f"{by_id[i]['data_name']} · {by_id[i]['metric']} "
                      f"{by_id[i]['value']:.3f}" if by_id[i]["value"] is not None else i)
ss.run_id = run_id
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
