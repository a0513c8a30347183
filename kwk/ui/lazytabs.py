"""Tabs whose hidden content is not drawn (issue 30). ``st.tabs`` normally runs and sends every
tab's content on every rerun: the Evaluate page drew some twenty charts (threshold, profiler,
importance) behind the Charts tab, the Data page a dozen column charts behind Preview, and
the browser paid for all of them on every click. With :func:`tabs` the page draws only the tab
that is open; opening another reruns the page, which then draws that one.

Under AppTest (no Streamlit server, no browser to click a tab) every tab is drawn, as before,
so a page's tests read any tab; :data:`LAZY` forces one way or the other (the tests of this
module set it)."""
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


def tabs(names: list[str], key: str, always: tuple[str, ...] = ()) -> Tabs:
    """``st.tabs(names)`` whose hidden tabs are not drawn: draw a tab's content only when
    ``result.open(name)``. Tabs named in ``always`` are drawn whichever is open (their widgets
    keep their state, e.g. an editor that changes the session)."""
    if not _lazy():
        made = st.tabs(names)
        return Tabs(zip(names, made), {n: True for n in names})
    made = st.tabs(names, key=key, on_change="rerun")
    opened = {n: bool(t.open) or n in always for n, t in zip(names, made)}
    if not any(opened.values()):  # no state yet (the first run): the first tab shows
        opened[names[0]] = True
    return Tabs(zip(names, made), opened)
