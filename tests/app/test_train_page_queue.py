"""The Train page reaches its finished state by itself, whatever the job did between two runs
of the page: waited in the queue, started, finished. (The six-session load test once waited
20 minutes for "The run is saved" on a page whose run was already in the store.)"""
import threading

import pytest
from streamlit.testing.v1 import AppTest

from test_pages import goto, no_crash, texts, with_sample


class _Holder:
    """Someone else's job holding the only training slot."""


@pytest.fixture
def polls(monkeypatch):
    """``polls()``: whether the page's last run asked the browser to rerun its live view on
    a timer (the fragment's ``run_every``, sent as an ``auto_rerun`` message)."""
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    sent = []
    enqueue = ForwardMsgQueue.enqueue

    def recording(self, msg):
        sent.append(msg.HasField("auto_rerun"))
        return enqueue(self, msg)
    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)

    def polls(at: AppTest) -> bool:
        sent.clear()
        at.run()
        no_crash(at)
        return any(sent)
    return polls


@pytest.fixture
def one_slot(monkeypatch):
    """A gate with room for one job, held by another session until the test frees it."""
    from kwk.runs.jobs import Gate, Registry
    gate, registry = Gate(1), Registry()
    holder = _Holder()
    assert gate.acquire(holder, threading.Event())
    monkeypatch.setattr("kwk.ui.state.job_services", lambda: (gate, registry))
    yield gate, holder
    gate.release(holder)


@pytest.mark.slow
def test_a_queued_job_that_finishes_between_reruns_shows_the_saved_run(one_slot, polls):
    gate, holder = one_slot
    at = goto(with_sample("iris"), "4_train")
    at.number_input(key="tr0_epochs").set_value(2)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    no_crash(at)
    job = at.session_state.job
    assert job.snapshot()["status"] == "queued"
    assert polls(at) and "number 1 in the queue" in texts(at)  # queued: keep polling
    gate.release(holder)  # the slot frees up: the job trains and is saved between two runs
    assert job.wait(120) and job.done
    # The page was last drawn while the job was queued. Its own runs alone (a poll, then the
    # full rerun it asks for) must bring it to the end, recorded once.
    assert "The run is saved" in texts(at.run()) or "The run is saved" in texts(at.run())
    no_crash(at)
    assert at.session_state.run_id == job.finish_value and at.session_state.job_done_seen is job
    assert not polls(at) and "The run is saved" in texts(at)  # the end was seen: polling stops



def test_a_job_stopped_while_the_libraries_load_says_nothing_was_saved(polls):
    """A job waits for a preload in flight (TensorFlow loading) before its epochs, said as
    such; stopped then, it trains nothing, and the page never says a run was saved."""
    from kwk import preload
    assert preload.wait(120)
    release = threading.Event()
    preload.start(lambda: release.wait(120), "test-libraries-loading")
    try:
        at = goto(with_sample("iris"), "4_train")
        at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
        no_crash(at)
        job = at.session_state.job
        for _ in range(200):  # the job's own signal, not a time
            if job.snapshot()["phase"] == "Loading the libraries":
                break
            threading.Event().wait(0.05)
        assert polls(at)
        assert "Loading TensorFlow and the libraries" in texts(at)
        assert "the main model is trained" not in texts(at)
        job.stop()
    finally:
        release.set()
    assert job.wait(120) and job.done and job.result is None
    at.run()
    at.run()
    no_crash(at)
    assert "Nothing was trained, so no run was saved" in texts(at)
    assert "The run is saved" not in texts(at) and at.session_state.run_id is None
    bar = at.get("progress")[0]  # the bar stays where the job stopped: nothing done
    assert bar.value == 0, bar
