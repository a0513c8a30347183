"""Tabs whose hidden content is not drawn (issue 30). ``st.tabs`` normally runs and sends every
tab's content on every rerun: the Evaluate page drew some twenty charts (threshold, profiler,
importance) behind the Charts tab, the Data page a dozen column charts behind Preview, and
the browser paid for all of them on every click. With :func:`tabs` the page draws only the tab
that is open; opening another reruns the page, which then draws that one.

Under AppTest (no Streamlit server, no browser to click a tab) every tab is drawn, as before,
so a page's tests read any tab; :data:`LAZY` forces one way or the other (the tests of this
module set it).

A widget that is not drawn in a script run loses its value (Streamlit forgets it), so a hidden
tab would reset the user's settings there (the profiler's values, a threshold). ``keep`` names
each tab's value widgets (keys, or prefixes ending in "_"): while their tab is hidden, their
values are kept in the session and the widgets take them back when the tab opens again."""
from __future__ import annotations

import streamlit as st

LAZY: bool | None = None  # None: lazy when a Streamlit server runs the app


def _lazy() -> bool:
    if LAZY is not None:
        return LAZY
    from kwk.ui.runtime import served
    return served()


class Tabs(dict):
    """``{name: container}`` of :func:`tabs`, with :meth:`open`."""

    def __init__(self, pairs, opened: dict) -> None:
        super().__init__(pairs)
        self._opened = opened

    def open(self, name: str) -> bool:
        """Whether ``name``'s content is to be drawn in this run (False for a tab this page
        does not have)."""
        return self._opened.get(name, False)


def tabs(names: list[str], key: str, always: tuple[str, ...] = (),
         keep: dict[str, tuple[str, ...]] | None = None) -> Tabs:
    """``st.tabs(names)`` whose hidden tabs are not drawn: draw a tab's content only when
    ``result.open(name)``. Tabs named in ``always`` are drawn whichever is open (their widgets
    keep their state, e.g. an editor that changes the session). ``keep``: ``{tab: keys}`` of
    the value widgets (sliders, select boxes, toggles, number inputs; not buttons or
    uploaders, whose state cannot be set) whose values outlive their tab being hidden; a key
    ending in "_" stands for every key it begins."""
    if not _lazy():
        made = st.tabs(names)
        return Tabs(zip(names, made), {n: True for n in names})
    made = st.tabs(names, key=key, on_change="rerun")
    opened = {n: bool(t.open) or n in always for n, t in zip(names, made)}
    if not any(opened.values()):  # no state yet (the first run): the first tab shows
        opened[names[0]] = True
    for tab, keys in (keep or {}).items():
        if not opened.get(tab):
            _keep_values(keys)
    return Tabs(zip(names, made), opened)


def _keep_values(keys: tuple[str, ...]) -> None:
    """Set each of these widget values again through the session (Streamlit's own way to
    keep a widget's value through runs that do not draw it)."""
    state = st.session_state
    for k in list(state.keys()):
        if any(k == p or (p.endswith("_") and k.startswith(p)) for p in keys):
            state[k] = state[k]
