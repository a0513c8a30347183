"""Target: choose what to predict; the task is inferred, explained and overridable."""
import streamlit as st

from kwk.data.profile import target_warnings
from kwk.errors import KwkError
from kwk.plots import target_distribution
from kwk.ui import words
from kwk.ui.inspect import leak_warnings, screening, screening_chart
from kwk.ui.modality import modality_preview, modality_settings
from kwk.ui.runtime import ensure_navigation
from kwk.ui.session import session
from kwk.ui.state import need_data, resolve_session, session_spec, show_error
from kwk.ui.persist import stop_page  # st.stop(), the session kept first

ensure_navigation()

ss = session()
st.title("🎯 Target")
if not need_data():
    stop_page()

df = ss.data.df
cols = [str(c) for c in df.columns]
options = ["—"] + cols
idx = options.index(ss.target) if ss.target in options else 0
target = st.selectbox("What should the model predict?", options, index=idx, key="target_select",
                      help="The column whose values the model learns to predict from the "
                      "others.\n\n📖 " + words.tip("target"))
if target != "—" and target != ss.target:
    ss.target = target  # resets the job shown, the current run and the ✓ marks (session.py)
    ss.roles.pop(target, None)
    ss.task = "auto"
    st.rerun()
if ss.target is None:
    st.info("Pick the target column above. Good targets are outcomes you would like to know "
            "in advance: a diagnosis, a price, whether a customer leaves.", icon="🎯")
    stop_page()

modality_settings()

left, right = st.columns([2, 3], gap="large")
with left:
    labels = {"auto": "Let KwK decide", "binary": "Two classes (binary)",
              "multiclass": "Several classes (multiclass)", "regression": "A number (regression)"}
    choice = st.radio("Task", list(labels), index=list(labels).index(ss.task),
                      format_func=labels.get, key="task_radio", horizontal=True,
                      help="Override KwK's guess, e.g. when whole numbers are amounts, not "
                      "classes.\n\n📖 " + words.tip("classification") + "\n\n📖 "
                      + words.tip("regression"))
    if choice != ss.task:
        ss.task = choice
        st.rerun()
    try:
        resolved, notes = resolve_session(session_spec())
    except KwkError as e:
        show_error(e)
        stop_page()
    task = resolved["data"]["task"]
    st.markdown(f"### Task: **{task}**" + (f" — {words.label(task)}" if words.is_plain() else ""))
    for n in notes:
        st.caption(n)
    feats = resolved["data"]["features"]
    st.markdown(f"**{len(feats)} input columns:** " + ", ".join(f"`{f}`" for f in feats[:25])
                + ("…" if len(feats) > 25 else ""))
    for w in target_warnings(df[ss.target], resolved["data"]["kinds"][ss.target]):
        st.warning(w, icon="⚖️")
    # each input alone against the target (cached per data, target and inputs); pixels skipped
    table_feats = (resolved["data"]["inputs"].get("table", [])  # a mixed model: its table
                   if resolved["data"].get("inputs") else feats)
    screened = None if ss.modality == "images" or not table_feats else screening(
        df, ss.data.fingerprint, ss.target, table_feats, task, resolved["data"]["kinds"])
    if screened is not None:
        leak_warnings(screened)
with right:
    if not modality_preview(df, ss.target):
        st.plotly_chart(target_distribution(df[ss.target], task, ss.target), key="target_dist")
if screened is not None:
    screening_chart(screened)
words.on_page(["target", "feature", "classification", "regression", "screening", "leakage",
               "log loss", "R²"], key="target_words")

st.page_link("pages/3_build.py", label="Next: build the network", icon="➡️")
