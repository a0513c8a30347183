"""Keras Without Keras — entry point: page config, session defaults, navigation."""
import streamlit as st

from kwk.ui.state import init

st.set_page_config(page_title="Keras Without Keras", page_icon="🧱", layout="wide")
init()
ss = st.session_state


def _title(name: str, done: bool) -> str:
    return f"{name} ✓" if done else name


pages = [
    st.Page("pages/1_data.py", title=_title("Data", ss.data is not None), icon="📂", default=True),
    st.Page("pages/2_target.py", title=_title("Target", bool(ss.target)), icon="🎯"),
    st.Page("pages/3_build.py", title=_title("Build", bool(ss.get("build_ok"))), icon="🧱"),
    st.Page("pages/4_train.py", title=_title("Train", bool(ss.run_id)), icon="🏋️"),
    st.Page("pages/5_evaluate.py", title=_title("Evaluate", bool(ss.get("evaluated"))), icon="📊"),
    st.Page("pages/6_predict.py", title=_title("Predict & export", bool(ss.get("predicted"))),
            icon="📦"),
    st.Page("pages/7_runs.py", title="Runs", icon="🗂️"),
]
with st.sidebar:
    st.markdown("### 🧱 Keras Without Keras")
    st.caption("Your data → a trained, evaluated Keras model and the script that made it.")
nav = st.navigation(pages)
nav.run()
