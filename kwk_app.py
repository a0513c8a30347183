"""Keras Without Keras — entry point: page config, session defaults, navigation."""
import logging
import os
import time

import streamlit as st

from kwk import preload
from kwk.errors import KwkError
from kwk.runs.jobs import default_limit
from kwk.ui import persist, words
from kwk.ui.cache_export import low_memory
from kwk.ui.lesson import lesson_box
from kwk.ui.runtime import DATA_STACK_KEY, RerunProfile, keep_keras_state
from kwk.ui.state import init, show_error
from kwk.ui.session import session

# Memory-saving mode (KWK_LOW_MEMORY=1, kwk/ui/cache_export.py): one job at a time unless
# KWK_MAX_JOBS says otherwise, and model downloads built in a child process.
if low_memory():
    os.environ.setdefault("KWK_MAX_JOBS", "1")
# Share the CPUs between the trainings that may run at once (KWK_MAX_JOBS), so they do not
# oversubscribe the machine (override with KWK_TF_THREADS; 0 = TensorFlow's own choice).
os.environ.setdefault("KWK_TF_THREADS", str(max(1, (os.cpu_count() or 1) // default_limit())))

# The pages' emoji are in their titles and the favicon is a Material icon: an emoji given as an
# icon makes Streamlit load its table of every emoji (0.23 s of the first page's 0.41 s script
# run, for a check); the warm-up loads it in the background instead (kwk/ui/runtime.py).
FAVICON = ":material/stacks:"
_profile = RerunProfile()  # KWK_PROFILE_DIR set: where each script run's time goes
keep_keras_state()

st.set_page_config(page_title="Keras Without Keras", page_icon=FAVICON, layout="wide")
init()
ss = session()
persist.restore()  # a reload or a new tab with ?s=<key>: the kept work comes back first


def _title(name: str, done: bool) -> str:
    return f"{name} ✓" if done else name


def _marks() -> tuple:
    """What the sidebar's ✓ marks show: the steps done with the current data. Train,
    Evaluate and Predict count only for a run trained on the data (and target) now loaded:
    a run of other data does not tick them (kwk.runs.fit.run_matches_data)."""
    from kwk.ui.stale import run_fits
    fits = run_fits()
    return (ss.data is not None, bool(ss.target), bool(ss.build_ok), fits,
            fits and bool(ss.evaluated), fits and bool(ss.predicted))


marks = _marks()
pages = [
    st.Page("pages/1_data.py", title="📂 " + _title("Data", marks[0]), default=True),
    st.Page("pages/2_target.py", title="🎯 " + _title("Target", marks[1])),
    st.Page("pages/3_build.py", title="🧱 " + _title("Build", marks[2])),
    st.Page("pages/4_train.py", title="🏋️ " + _title("Train", marks[3])),
    st.Page("pages/9_tune.py", title="🎛️ Tune", url_path="tune"),
    st.Page("pages/5_evaluate.py", title="📊 " + _title("Evaluate", marks[4])),
    st.Page("pages/6_predict.py", title="📦 " + _title("Predict & export", marks[5])),
    st.Page("pages/7_runs.py", title="🗂️ Runs"),
    st.Page("pages/8_playground.py", title="🛝 Playground", url_path="playground"),
    st.Page("pages/10_learn.py", title="🎓 Learn", url_path="learn"),
    st.Page("pages/11_challenge.py", title="🏆 Challenge", url_path="challenge"),
]
with st.sidebar:
    st.markdown("### 🧱 Keras Without Keras")
    st.caption("Your data → a trained, evaluated Keras model and the script that made it.")
    words.switch()  # "Plain words": jargon replaced on every page; a glossary to search
nav = st.navigation(pages)
lesson_box(nav)  # the open lesson's goal, hints and Check in the sidebar (not on Learn itself)
persist.show_note()
# a page does not import beside the data stack's preload (kwk/preload.py): it waits for it, once
# per server process at most about a second after the first landing page, for what it needs
preload.wait(once=DATA_STACK_KEY)
_started, _again = time.monotonic(), ss.run_again
ss.run_again = False
try:
    nav.run()
except KwkError as e:  # engine errors carry a message and a hint for the user
    show_error(e)
except Exception as e:  # never show a traceback; Streamlit's rerun/stop are BaseExceptions
    if preload.overlapped(_started) and not _again:
        # a module imported beside a preload can come half-made (kwk/preload.py): once the
        # preloads are over the page runs again, once; a second failure is shown below
        logging.getLogger("kwk").warning("page %r failed beside a preload; run again",
                                         nav.url_path, exc_info=True)
        preload.wait()
        ss.run_again = True
        st.rerun()
    logging.getLogger("kwk").exception("page failed")
    st.error(f"Something unexpected went wrong on this page ({type(e).__name__}: {e}). "
             "Your data and saved runs are kept: go back a step, or try again. If it keeps "
             "happening, please report it with the file you used.", icon="⚠️")
finally:  # also after a page's st.rerun(): keep what changed (cheap when nothing did). A page
    _profile.stop(nav.url_path)  # that stops keeps it itself first (persist.stop_page): after
    persist.save()               # st.stop() this save raises the stop again
if ss.data is not None and nav.url_path in ("train", "tune"):
    from kwk.training.warmup import warm_up
    warm_up()  # TensorFlow loads while the user reads the settings, not after Start
if _marks() != marks:  # the page changed a step (new data, a run...): redraw the sidebar
    st.rerun()
