"""Work that fills in later (issue 30): a page starts a longer computation (predictor screening
on Target, the paired bootstraps on Evaluate) in a background
:class:`kwk.evaluation.explain.Task`, draws itself at once with a progress line and a Stop
button, and a fragment polls until the result is there; then the whole page reruns once and
draws it.

Each piece of work is kept under a *key* naming what it was computed from (the data's
fingerprint, the target, the inputs, the run...): a page asks for the key of the data it shows
now, so a result that belongs to other data is never shown. Starting a key of the same *kind*
(the key's first item) stops and forgets the others of that kind in the session: work for data
that is no longer loaded does not go on in the background.

A small job is waited for a moment (:data:`WAIT_S`) before the page draws without it, so a
1,000-row table shows its screening at once instead of flashing a progress bar. Under AppTest
(no Streamlit server, so no fragment ever polls) the page waits for the work to finish: the
pages' tests see the result as before, and the tests of this module set :data:`WAIT_S`."""
from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

from kwk.ui.session import session

POLL_S = 0.5
WAIT_S: float | None = 0.3  # None: wait until done (set below when no server runs the app)


def _wait_s() -> float | None:
    return WAIT_S if served() else None


def served() -> bool:
    from kwk.ui.runtime import served as running
    return running()


# finished results, shared by the server's sessions (a key names its data, so a session only
# ever finds results of the data it shows): a rerun, another page or a second tab reuses them
_DONE: dict[tuple, Any] = {}
KEEP = 32


def start(key: tuple, label: str, fn: Callable, small: bool = True) -> dict:
    """The entry of ``key``: started now if it is new (``fn(progress, stop)`` in a background
    thread), after stopping and forgetting the other entries of the same kind (``key[0]``).
    ``small``: the work may end within :data:`WAIT_S`, so the page waits that long for it;
    False for work known to be longer (many rows), which the page does not wait for."""
    jobs = session().later
    entry = jobs.get(key)
    if entry is None:
        from kwk.evaluation.explain import Task
        for other in [k for k in jobs if k[0] == key[0]]:
            jobs.pop(other)["task"].stop()
        if key in _DONE:  # computed before (this session or another): no thread at all
            entry = jobs[key] = {"task": _Done(_DONE[key]), "label": label, "seen": True}
        else:
            entry = jobs[key] = {"task": Task(fn, label).start(), "label": label,
                                 "seen": False}
            # a small job ends within the wait: drawn in this run, no poll, no second run
            entry["seen"] = entry["task"].wait(_wait_s() if small or not served() else 0)
    return entry


class _Done:
    """A task that has ended with ``result`` (one taken from :data:`_DONE`)."""
    done, error, fraction = True, None, 1.0

    def __init__(self, result) -> None:
        self.result, self.started = result, time.time()

    def stop(self) -> None:
        pass

    def wait(self, timeout=None) -> bool:
        return True


def result(key: tuple, label: str, fn: Callable, small: bool = True) -> Any | None:
    """The result of ``fn`` for ``key`` when it is ready, else None (the work runs in the
    background, or was stopped). An error is raised here, in the page, as the work raised
    it."""
    task = start(key, label, fn, small)["task"]
    if not task.done:
        return None
    if task.error is not None:
        raise task.error
    if task.result is not None and key not in _DONE:
        while len(_DONE) >= KEEP:
            _DONE.pop(next(iter(_DONE)))
        _DONE[key] = task.result
    return task.result


def progress(key: tuple, stop_label: str = "⏹️ Stop") -> None:
    """While ``key``'s work runs: a progress line and a Stop button, polled by a fragment; when
    it ends, the whole page reruns once to draw the result. Nothing once it has ended."""
    entry = session().later.get(key)
    if entry is None:
        return
    if entry["task"].done and entry.get("stopped"):
        say, again = st.columns([4, 1], vertical_alignment="center")
        say.caption(f"{entry['label']}: stopped.")
        if again.button("Start again", key=f"later_again_{abs(hash(key))}"):
            session().later.pop(key, None)
            st.rerun()
        return
    if entry["task"].done and entry["seen"]:
        return

    def poll():
        task = entry["task"]
        if task.done:
            if not entry["seen"]:
                entry["seen"] = True
                st.rerun(scope="app")
            return
        st.progress(task.fraction, text=f"{entry['label']}… "
                    f"{time.time() - task.started:.0f} s (the page is usable meanwhile)")
        if st.button(stop_label, key=f"later_stop_{abs(hash(key))}"):
            entry["stopped"] = True
            task.stop()

    running = not entry["task"].done
    st.fragment(poll, run_every=POLL_S if running else None)()
