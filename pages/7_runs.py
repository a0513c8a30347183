"""Runs: every training run, saved; open, reuse or delete."""
import pandas as pd
import streamlit as st

from kwk.ui.state import owner, store

ss = st.session_state
st.title("🗂️ Runs")
runs = store().list(owner())
st.caption(f"Saved in `{store().root}`" + (f" for {owner()}" if owner() else " (shared workspace)"))
if not runs:
    st.info("No runs yet: every training you start is saved here automatically.", icon="🗂️")
    st.stop()
table = pd.DataFrame([{"run": r["id"], "created": r["created"][:19].replace("T", " "),
                       "data": r["data_name"], "task": r["task"], "status": r["status"],
                       "metric": r["metric"], "value": r["value"], "epochs": r["epochs"],
                       "weights": r["parameters"], "seconds": round(r["seconds"] or 0, 1)}
                      for r in runs])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"value": st.column_config.NumberColumn(format="%.4f")})
ids = table["run"].tolist()
sel = st.selectbox("Selected run", ids, index=ids.index(ss.run_id) if ss.run_id in ids else 0,
                   key="runs_sel")
c1, c2, c3 = st.columns(3)
if c1.button("📊 Open in Evaluate", key="open_eval"):
    ss.run_id = sel
    st.switch_page("pages/5_evaluate.py")
if c2.button("🧱 Load its spec into Build", key="load_spec"):
    spec = store().get(sel, owner())["spec"]
    ss.spec = {k: spec[k] for k in ("kwk_spec", "name", "layers", "output", "training")}
    ss.spec_version = ss.get("spec_version", 0) + 1
    if ss.data is not None and spec["data"]["target"] in ss.data.df.columns:
        ss.target = spec["data"]["target"]
    st.switch_page("pages/3_build.py")
if c3.button("🗑️ Delete", key="delete_run"):
    store().delete(sel, owner())
    if ss.run_id == sel:
        ss.run_id = None
    st.rerun()
