"""Old results never pose as new: whether the session's run belongs to the data now loaded
(the sidebar's ✓ marks) and the warning at the top of Evaluate and Predict when it does not.

The decision lives in the engine (:func:`kwk.runs.fit.run_matches_data`); this module only
draws it.
"""
from __future__ import annotations

import streamlit as st

from kwk.ui.session import session
from kwk.ui.state import owner, store


def run_fits() -> bool:
    """Whether the session's current run (``run_id``) was trained on the data now loaded and
    its target: the sidebar ticks Train, Evaluate and Predict only then."""
    ss = session()
    if not ss.run_id or ss.data is None:
        return False
    from kwk.runs.fit import run_matches_data
    try:
        run = store().get(ss.run_id, owner())
    except Exception:  # an unreadable store: no tick rather than a broken sidebar
        return False
    return run is not None and run_matches_data(run, ss.data, ss.target)[0]


def run_banner(run: dict, run_id: str, page: str) -> bool:
    """At the top of a results page: when ``run`` was trained on other data (or another
    target) than the data now loaded, say so with the two useful actions — train on the data
    now loaded, or keep looking at this run (after which the warning shrinks to one line).
    Returns whether the run belongs to the data now loaded."""
    from kwk.runs.fit import run_matches_data, trained_on
    ss = session()
    ok, reason = run_matches_data(run, ss.data, ss.target)
    if ok or ss.data is None:  # nothing loaded: the run's own caption says whose it is
        return ok
    if run_id in ss.stale_ok:
        st.caption(f"🕰️ {reason}")
        return False
    now = ss.data.name + (f" (target {ss.target})" if ss.target else "")
    with st.container(border=True, key=f"stale_{page}"):
        st.warning(f"**{reason}** What this page shows describes {trained_on(run)}, not the "
                   "data now loaded.", icon="🕰️")
        c1, c2 = st.columns(2)
        if c1.button(f"🏋️ Train on {now}", key=f"stale_train_{page}", type="primary",
                     width="stretch",
                     help="Build and train a network on the data now loaded."):
            st.switch_page("pages/2_target.py" if not ss.target else
                           "pages/4_train.py" if ss.build_ok else "pages/3_build.py")
        if c2.button(f"👀 Keep looking at {run.get('data_name') or 'this run'}",
                     key=f"stale_keep_{page}", width="stretch",
                     help="Hide this warning for this run (a one-line note stays)."):
            ss.stale_ok = [*ss.stale_ok, run_id]
            st.rerun()
    return False
