"""Runs: every training run, saved; open, reuse or delete."""
import pandas as pd
import streamlit as st

from kwk.tune.job import list_studies
from kwk.ui.runtime import ensure_navigation, on_this_computer
from kwk.ui.session import session
from kwk.ui.state import apply_spec, owner, store
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()


ss = session()
st.title("🗂️ Runs")
runs = store().list(owner())
where = f"Saved in `{store().root}`" if on_this_computer() else "Saved on the server"
st.caption(where + (f" for {owner()}" if owner() else " (shared workspace)"))
studies = list_studies(store().root, owner())
if studies:  # a search is one study of many trials, not hundreds of runs
    st.subheader("Searches")
    st.dataframe(pd.DataFrame([{
        "updated": s.get("updated", ""), "data": s.get("data_name", ""),
        "target": s.get("target", ""), "scored by": s["metric"],
        "trials": s["trials"], "complete": s["counts"].get("complete", 0),
        "pruned": s["counts"].get("pruned", 0), "failed": s["counts"].get("failed", 0),
        "best (validation)": (s.get("best") or {}).get("value"),
        "your network (validation)": (s.get("own") or {}).get("value"),
        "saved as run": (s.get("run_id") or "")[:6]} for s in studies]),
        hide_index=True, width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.4f")
                       for c in ("best (validation)", "your network (validation)")})
    st.caption("Each search (the **Tune** page) is one study: its trials stay in the study; "
               "only the network you save becomes a run below.")
    st.subheader("Runs")
if not runs:
    st.info("No runs yet: every training you start is saved here automatically.", icon="🗂️")
    stop_page()
table = pd.DataFrame([{"run": r["id"], "name": r["name"] or "",
                       "created": r["created"][:19].replace("T", " "),
                       "data": r["data_name"], "task": r["task"], "status": r["status"],
                       "metric": r["metric"], "value": r["value"], "epochs": r["epochs"],
                       "weights": r["parameters"], "seconds": round(r["seconds"] or 0, 1),
                       "notes": (r["notes"] or "")[:60]}
                      for r in runs])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"value": st.column_config.NumberColumn(format="%.4f")})
ids = table["run"].tolist()
sel = st.selectbox("Selected run", ids, index=ids.index(ss.run_id) if ss.run_id in ids else 0,
                   key="runs_sel")
by_id = {r["id"]: r for r in runs}
with st.expander("✏️ Name this run and add notes"):
    new_name = st.text_input("Name", by_id[sel]["name"] or "", key=f"run_name_{sel}", max_chars=120,
                             help="Shown in lists and comparisons instead of the time and file.")
    new_notes = st.text_area("Notes", by_id[sel]["notes"] or "", key=f"run_notes_{sel}",
                             max_chars=5000, help="What you tried and what you saw: for you and "
                             "for whoever reads this run later.")
    if st.button("💾 Save name and notes", key="save_run_notes"):
        store().describe(sel, owner(), new_name, new_notes)
        # The browser keeps the compare chips' labels as drawn; setting the choice again (by
        # run id) sends it the chips with the current names.
        if st.session_state.get("compare_sel"):
            st.session_state["compare_sel"] = list(st.session_state["compare_sel"])
        st.rerun()
with st.expander("📤 Send to MLflow"):
    import os
    ml_uri = st.text_input("Tracking URI", os.environ.get("MLFLOW_TRACKING_URI", ""),
                           key="mlflow_uri", placeholder="http://mlflow.example.com:5000",
                           help="Your MLflow server, or sqlite:///path/mlflow.db for a local store.")
    ml_exp = st.text_input("Experiment", "kwk", key="mlflow_exp")
    ml_reg = st.text_input("Register the model as (optional)", "", key="mlflow_reg")
    if st.button("📤 Send this run to MLflow", key="mlflow_send"):
        from kwk.errors import KwkError
        from kwk.runs.tracker import log_run
        try:
            with st.spinner("Logging the run, its report and its model…"):
                sent = log_run(store().run_dir(sel), ml_uri, ml_exp, ml_reg.strip() or None)
            reg = sent["registered"]
            st.success(f"Logged as MLflow run `{sent['run_id']}`; model `{sent['model_uri']}`"
                       + (f", registered as {reg['name']} version {reg['version']}" if reg
                          else "") + ".")
        except KwkError as e:
            st.error(f"Sending the run to MLflow failed: {e}")
c1, c2, c3 = st.columns(3)
if c1.button("📊 Open in Evaluate", key="open_eval"):
    ss.run_id = sel
    st.switch_page("pages/5_evaluate.py")
if c2.button("🧱 Load its spec into Build", key="load_spec"):
    apply_spec(store().get(sel, owner())["spec"], "loaded the spec of a run")
    st.switch_page("pages/3_build.py")
if c3.button("🗑️ Delete", key="delete_run"):
    store().delete(sel, owner())
    if ss.run_id == sel:
        ss.run_id = None
    st.rerun()

st.subheader("Compare runs")
labels = {r["id"]: (r["name"] or f"{r['created'][11:19]} · {r['data_name']}") + f" · {r['id'][:6]}"
          for r in runs}
def _default_pair(rows: list[dict]) -> list[str]:
    """The two newest runs on the same data and task (newest first), else the two newest."""
    seen: dict = {}
    for r in rows:
        same = seen.setdefault((r.get("fingerprint"), r.get("task")), [])
        same.append(r["id"])
        if len(same) == 2:
            return same
    return [r["id"] for r in rows[:2]]


chosen = st.multiselect("Runs to compare", ids, default=_default_pair(runs),
                        format_func=labels.get, key="compare_sel",
                        help="Pick two or more runs that predict the same target: metrics side "
                        "by side, overlaid curves and what differs in their specs.")
if len(chosen) >= 2:
    from kwk import plots
    from kwk.evaluation.analysis import spec_differences
    from kwk.runs.groups import comparison_choices, data_difference
    from kwk.ui.tables import NICE
    full = {i: store().get(i, owner()) for i in chosen}
    groups = comparison_choices(full)
    if st.session_state.get("compare_group_of") != sorted(chosen) and len(groups) > 1:
        # other runs chosen: offer the largest group again, not the group picked among the last
        # (set, not dropped: the browser shows the choice it is sent)
        st.session_state["compare_group"] = next(iter(groups))
        st.session_state["compare_group_of"] = sorted(chosen)
    if len(groups) > 1:
        pick = st.radio("These runs were trained on different data or predict different things. "
                        "Compare the runs of:", list(groups), key="compare_group",
                        help="Runs are comparable when they were trained on the same data file "
                        "and predict the same target with the same task. Runs on different "
                        "data can be put side by side only by choosing 'across different data'.")
        chosen = groups[pick]
        full = {i: full[i] for i in chosen}
        if len(chosen) < 2:
            st.info("Only one of the chosen runs is in this group: choose more runs on the same "
                    "data to compare them.", icon="🗂️")
    tasks = {r["task"] for r in full.values()}
    differ = data_difference(full, short=lambda i: by_id[i]["name"] or i[:6])
    if len(chosen) >= 2 and differ:
        st.warning(differ, icon="⚠️")
if len(chosen) >= 2:
    colors = plots.run_colors(chosen)  # one colour per run in every chart below
    rows = []
    for name in NICE:
        vals = {labels[i]: full[i]["metrics"]["test"].get(name) for i in chosen}
        if any(v is not None for v in vals.values()):
            rows.append({"metric": NICE[name], **vals})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    losses = {i: store().history(i).get("val_loss") or [] for i in chosen}
    st.plotly_chart(plots.runs_curves(losses, "Validation loss by epoch", "loss", colors, labels),
                    key="compare_curves")
    if tasks == {"binary"} or tasks == {"multiclass"}:
        from kwk.evaluation.analysis import roc_points
        curves = {}
        for i in chosen:
            ev = store().evaluation(i)
            if ev:
                curves[i] = roc_points(ev["y"], ev["out"])
        title = "ROC" if tasks == {"binary"} else "ROC (micro-average over classes)"
        st.plotly_chart(plots.roc_overlay(curves, title, colors, labels), key="compare_roc")
    st.markdown("**What differs in their specs**")
    diff = spec_differences({labels[i]: full[i]["spec"] for i in chosen})
    if diff.empty:
        st.caption("Their specs are identical (they differ only by chance or data).")
    else:
        st.dataframe(diff, hide_index=True, width="stretch")
