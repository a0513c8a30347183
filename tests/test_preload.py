"""kwk.preload: background imports never run beside each other, the work that needs them waits,
and a failure beside one is tried again once they are over (the page's side: tests/app/
test_preload_guard.py)."""
import threading
import time

import pytest

from kwk import preload
from kwk.background import BackgroundJob


def _quiet():
    assert preload.wait(60), "a preload of another test is still running"


def test_preloads_run_one_after_another_and_once_per_key():
    _quiet()
    order, release = [], threading.Event()

    def first():
        order.append("first starts")
        release.wait(30)
        order.append("first ends")

    a = preload.start(first, "test-first")
    b = preload.start(lambda: order.append("second"), "test-second", once="test-once-key")
    assert preload.start(lambda: order.append("again"), "test-again", once="test-once-key") is None
    time.sleep(0.2)  # the second may not start while the first runs: give it the chance
    assert order == ["first starts"] and preload.busy()
    release.set()
    assert preload.wait(30)
    assert order == ["first starts", "first ends", "second"]
    assert not a.is_alive() and not b.is_alive() and not preload.busy()


def test_a_failing_preload_is_swallowed_and_ends():
    _quiet()
    t = preload.start(lambda: 1 / 0, "test-fails")
    t.join(30)
    assert not t.is_alive() and not preload.busy()


def test_wait_has_a_bound_and_returns_at_once_inside_a_preload():
    _quiet()
    release, inside = threading.Event(), []
    preload.start(lambda: release.wait(30), "test-slow")
    t0 = time.monotonic()
    assert preload.wait(0.2) is False  # still running: the bound holds
    assert time.monotonic() - t0 < 5
    release.set()
    preload.wait(30)
    t = preload.start(lambda: inside.append(preload.wait(5)), "test-self")
    t.join(30)
    assert inside == [True]  # it did not wait for itself


def test_overlapped_says_whether_a_preload_ran_since_a_time():
    _quiet()
    before = time.monotonic()
    time.sleep(0.01)
    preload.start(lambda: None, "test-short").join(30)
    assert preload.overlapped(before)
    after = time.monotonic()
    assert not preload.overlapped(after)


def test_retried_calls_again_only_when_a_preload_ran_beside_it():
    _quiet()
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise ImportError("cannot import name 'X' from partially initialized module 'y'")
        return "ok"

    release = threading.Event()
    preload.start(lambda: release.wait(30), "test-beside")
    threading.Timer(0.2, release.set).start()
    assert preload.retried(flaky) == "ok" and len(calls) == 2
    assert not preload.busy()  # it waited for the preload before the second call

    calls.clear()
    with pytest.raises(ImportError):  # no preload beside it: the error at once, one call
        preload.retried(flaky)
    assert len(calls) == 1


def test_a_background_job_starts_its_work_after_the_preloads():
    _quiet()
    seen, release = [], threading.Event()

    class Work(BackgroundJob):
        def _work(self):
            seen.append(("work", preload.busy()))
            self._set(status="finished", message="done")

    preload.start(lambda: release.wait(30), "test-before-job")
    job = Work().start()
    deadline = time.monotonic() + 30
    while job.snapshot()["phase"] != "Loading the libraries" and time.monotonic() < deadline:
        time.sleep(0.01)
    s = job.snapshot()  # said as running (not as waiting in a queue) while it waits
    assert s["status"] == "running" and s["phase"] == "Loading the libraries" and not seen
    release.set()
    assert job.wait(30) and job.status == "finished"
    assert seen == [("work", False)] and job.snapshot()["phase"] == ""


def test_wait_for_one_key_leaves_the_others_running():
    _quiet()
    release = threading.Event()
    preload.start(lambda: release.wait(30), "test-long", once="test-long-key")
    assert preload.wait(0.2, once="test-long-key") is False
    assert preload.wait(5, once="test-no-such-key") is True  # nothing with that key runs
    release.set()
    assert preload.wait(30, once="test-long-key") and preload.wait(30)
