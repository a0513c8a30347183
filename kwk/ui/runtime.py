"""Process-wide adjustments to the Streamlit runtime, applied once by kwk_app.py."""
from __future__ import annotations

import sys
import threading


def keep_keras_state() -> None:
    """Stop Streamlit from calling ``keras.backend.clear_session()`` after every script run.

    Streamlit's script runner "cleans" Keras at the end of each rerun. In a server where models
    train in background threads that is harmful: it replaces Keras's global state for every
    thread (including those training), empties TensorFlow's kernel cache and runs a full
    ``gc.collect()`` each time. With two trainings and their pages polling once a second, it
    took over a third of the server's CPU and made opening a new page take about a minute.
    The matplotlib part of the clean-up is kept.
    """
    from streamlit.runtime.scriptrunner import script_runner as sr
    if getattr(sr._clean_problem_modules, "kwk_keeps_keras", False):
        return

    def clean_without_keras() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            try:
                plt.close("all")
            except Exception:  # as Streamlit does: never crash the app over this
                pass

    clean_without_keras.kwk_keeps_keras = True
    sr._clean_problem_modules = clean_without_keras


def ensure_navigation() -> None:
    """Run at the top of every page. Because the pages live in a folder named ``pages/``,
    Streamlit starts each server process in its old "pages directory" mode: if the very first
    request of the process is a page's address (a bookmark such as ``/train``), it runs that
    page script directly, without kwk_app.py (no session defaults, no navigation, no error
    guard). st.navigation turns that mode off, but only once kwk_app.py has run. Here the mode
    is turned off and the run restarted, so kwk_app.py runs and shows the requested page."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def on_this_computer() -> bool:
    """True when the app is opened from the machine it runs on (a laptop set-up), where showing
    server paths helps; on a shared server they are nobody's business. ``$KWK_SHOW_PATHS``
    (1 / 0) overrides."""
    import os

    import streamlit as st
    forced = os.environ.get("KWK_SHOW_PATHS", "").strip()
    if forced:
        return forced not in ("0", "false", "no")
    try:
        host = (st.context.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
    except Exception:  # no request context (tests, bare mode)
        return False
    return host in ("localhost", "127.0.0.1", "::1")


def served() -> bool:
    """True when a Streamlit server runs the app (a browser draws it, fragments poll); False
    under AppTest, which puts a stand-in (a mock) where the server's Runtime would be."""
    from streamlit.runtime import Runtime
    return Runtime.exists() and type(Runtime.instance()) is Runtime


DATA_STACK_KEY = "data-stack"  # its kwk.preload key: kwk_app.py waits for it before a page runs
DATA_STACK = ("pandas", "scipy.stats", "sklearn.tree", "sklearn.preprocessing",
              "plotly.graph_objects", "kwk.data.loader", "kwk.data.profile", "kwk.data.screening",
              "kwk.plots", "kwk.spec",
              # Streamlit's table of every emoji (0.23 s): the first emoji given as an icon= loads
              # it; the landing page gives none (FAVICON in kwk_app.py), later pages do
              "streamlit.emojis")


def warm_data_stack() -> threading.Thread | None:
    """Import what the first file needs (pandas, SciPy, scikit-learn's trees, plotly, the
    readers, the profile and the screening: about 1 s on 2 idle cores, 6 s on busy ones) in a
    background thread, once per server process, :data:`WARM_UP_AFTER_S` after the landing
    page is sent, while it is read: the first upload then pays only
    for reading and profiling its file (issue 30). It is a :mod:`kwk.preload`: a page's
    script run that starts meanwhile waits for it (kwk_app.py), as two threads importing
    scikit-learn side by side can get a half-made module. The thread runs at the process's own
    CPU priority, since pages wait for it: a lowered priority (it was nice 19) starved them on
    a busy machine (a sample's Data page never drew within 2 minutes beside a busy loop). Off under AppTest (no browser waits) and with ``KWK_WARMUP=0``; None when it does
    not start."""
    import os

    from kwk import preload
    off = os.environ.get("KWK_WARMUP", "1").strip().lower() in ("0", "false", "no")
    if off or not served() or all(m in sys.modules for m in DATA_STACK):
        return None
    return preload.start(_import_data_stack, "kwk-warm-data", once=DATA_STACK_KEY)


#: Seconds the warm-up waits before it imports: the landing page's messages are still on
#: their way to the browser when its script run ends, and an import holds Python's GIL for long
#: stretches, which delays them. Started at once, the warm-up made a cold start 2.91 s against
#: 2.42 s without it (median of 6 launches to the drawn landing page, idle 2-core machine; a
#: bare one-line app 2.07 s). The imports take about 1 s on an idle machine, so they are still
#: over long before a user reading the page has found a file.
WARM_UP_AFTER_S = 1.0


def _import_data_stack() -> None:
    import importlib
    import time
    time.sleep(WARM_UP_AFTER_S)
    for name in DATA_STACK:  # a failure ends it: the page that needs the module reports it
        importlib.import_module(name)
    from kwk import plots  # plotly loads each figure part's validators on first use
    plots.column_distribution({"name": "x", "histogram": {"edges": [0.0, 1.0], "counts": [1]}})


class RerunProfile:
    """With ``KWK_PROFILE_DIR`` set, each script run of the app is profiled (cProfile, the
    script's own thread) and written as ``<dir>/<n>-<page>.prof`` when it ends, for
    ``bench/profile_reruns.py`` to say where a click's time goes. Without it, nothing runs."""

    _count = 0
    _lock = threading.Lock()

    def __init__(self) -> None:
        import os
        self.dir = os.environ.get("KWK_PROFILE_DIR")
        self.prof = None
        if self.dir:
            import cProfile
            self.prof = cProfile.Profile()
            self.prof.enable()

    def stop(self, page: str | None) -> None:
        if self.prof is None:
            return
        self.prof.disable()
        from pathlib import Path
        with RerunProfile._lock:
            RerunProfile._count += 1
            n = RerunProfile._count
        Path(self.dir).mkdir(parents=True, exist_ok=True)
        self.prof.dump_stats(str(Path(self.dir) / f"{n:04d}-{page or 'data'}.prof"))
        self.prof = None
