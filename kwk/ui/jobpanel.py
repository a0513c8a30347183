"""The live panel of a background job (:class:`kwk.background.BackgroundJob`), shared by the
Train and Tune pages: find the job again from the address after a reload (``?job=``,
``?tune=``), put a started job's id there, the queue notice, Stop as a callback, polling with
``st.fragment(run_every=…)`` until a full run of the page has seen the job end, and that one
full rerun (which records its outcome and ticks the sidebar).

A callback, not ``button → rerun``: it runs first thing in the rerun the click asks for, before
any part of the page is drawn, even when the click lands while the live view is being redrawn.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from kwk.ui import state
from kwk.ui.session import session

LIVE = ("running", "queued", "stopping")


class JobPanel:
    """One page's job: ``param`` in the address, ``attr`` the session key holding the job,
    ``seen`` the session key holding the job whose end a full run has handled."""

    def __init__(self, param: str, attr: str, seen: str):
        self.param, self.attr, self.seen = param, attr, seen

    @property
    def job(self):
        return getattr(session(), self.attr)

    def attach(self):
        """The session's job; after a browser reload (a new session), the one named by the
        address, when this user owns it. Returns the job or None."""
        ss = session()
        if getattr(ss, self.attr) is None and st.query_params.get(self.param):
            _, registry = state.job_services()
            setattr(ss, self.attr, registry.get(st.query_params[self.param], state.owner()))
        return getattr(ss, self.attr)

    def started(self, job) -> None:
        """Show ``job`` from now on, its id in the address (a reload finds it again)."""
        _, registry = state.job_services()
        setattr(session(), self.attr, job)
        st.query_params[self.param] = registry.add(job, state.owner())

    def settle(self, on_end: Callable[[object], None] | None = None) -> bool:
        """Handle, once and in a full run, the end of the job (``on_end(job)``: e.g. record its
        run). Returns whether the page must keep polling: queued, running, stopping, or ended
        but not yet handled by a full run."""
        ss, job = session(), self.job
        if job is not None and job.done and getattr(ss, self.seen) is not job:
            setattr(ss, self.seen, job)
            if on_end is not None:
                on_end(job)
        return job is not None and getattr(ss, self.seen) is not job

    def show(self, draw: Callable[[object], None], every: float = 1.0) -> None:
        """Draw ``draw(job)`` (None: no job) in a fragment that reruns every ``every`` seconds
        until a full run has handled the job's end (call :meth:`settle` first, in the full
        run); when a poll finds the job ended, rerun the whole app before drawing anything (asked
        again on the next tick if it did not happen), so the end is drawn by that full run."""
        job = self.job
        polling = job is not None and getattr(session(), self.seen) is not job

        def live():
            job = self.job
            if job is not None and job.done and getattr(session(), self.seen) is not job:
                # the end is drawn once, by the full run: drawn here as well, the poll's copy
                # could stay on screen beside the full run's until that run is over
                st.rerun(scope="app")
            draw(job)
        st.fragment(live, run_every=every if polling else None)()


def queue_notice(s: dict, starts: str) -> None:
    """The queue notice of a job's snapshot ``s`` while it waits for a free slot."""
    if s["status"] == "queued":
        st.info(f"Waiting for a free training slot: number {s['queue_position'] or 1} in the "
                f"queue. {starts}", icon="⏳")


def stop_button(job, s: dict, key: str, help: str, again: bool = False) -> None:
    """Stop, as a callback (``job.stop``), while the job is live; greyed while it stops unless
    ``again`` (a second Stop also stops what follows, e.g. a search's final trainings)."""
    if s["status"] in LIVE:
        st.button("⏹️ Stop", key=key, disabled=s["status"] == "stopping" and not again,
                  on_click=job.stop, help=help)
