"""The welcome shown on the Data page before any data is loaded: what KwK is, the steps at a
glance, and the samples and the Playground one click away."""
from __future__ import annotations

import streamlit as st

STEPS = [("📂", "Data", "upload a table, pictures, a series or texts"),
         ("🎯", "Target", "choose what to predict"),
         ("🧱", "Build", "stack layers like bricks"),
         ("🏋️", "Train", "watch it learn, live"),
         ("📊", "Evaluate", "judge it like a statistician"),
         ("📦", "Predict", "score new rows, take the model and its script")]

# One-click starts: a sample per task and kind of data.
QUICK = [("🌸", "iris", "three species from four measurements"),
         ("📉", "churn", "which customers leave (categories, dates, gaps)"),
         ("🩺", "diabetes", "a number: disease progression"),
         ("✍️", "digits", "pictures of handwritten digits"),
         ("🛒", "store_sales", "a time series: tomorrow's sales"),
         ("📰", "news", "texts: the topic of a headline")]


def welcome(start_sample) -> None:
    """Two sentences on KwK, the six steps, and one button per quick-start sample.
    ``start_sample(key)`` loads a sample (with its target and starting network)."""
    from kwk.data.samples import SAMPLES
    st.markdown("Train a real deep-learning model on **your own data** without writing code. "
                "You leave with the trained Keras model, an honest evaluation and a readable "
                "Python script that reproduces it.")
    cols = st.columns(len(STEPS))
    for i, (col, (icon, name, what)) in enumerate(zip(cols, STEPS), start=1):
        col.markdown(f"**{i}. {icon} {name}**  \n{what}")
    st.markdown("**Try it in one click** — a sample loads with its target and a network that "
                "suits it; then follow the *Next* links and press *Start training*.")
    cols = st.columns(3)
    for i, (icon, key, what) in enumerate(QUICK):
        with cols[i % 3]:
            if st.button(f"{icon} {SAMPLES[key].title}", key=f"quick_{key}", width="stretch",
                         help=SAMPLES[key].description):
                start_sample(key)
            st.caption(what)
    st.page_link("pages/8_playground.py", label="🛝 …or watch a tiny network learn in the "
                 "Playground")  # the emoji in the label, not icon=: see FAVICON in kwk_app.py
    st.divider()
