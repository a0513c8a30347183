"""A page whose script run fails while a preload was loading modules beside it (kwk/preload.py:
Python can hand a thread a half-made module) is run again, once, when the preloads are over;
the user sees the page, not an error. A failure with no preload beside it, or one that happens
again, is shown as before and never loops."""
import threading

import pytest

from kwk import preload
from kwk.ui import runtime
from tests.app.test_pages import app


@pytest.fixture
def landing_fails(monkeypatch):
    """The landing page's last call (its warm-up) raises what a half-made module raises, the
    first ``calls.n`` times it is called; returns the list of calls."""
    class Calls(list):
        n = 1
        start_a_preload = False  # as Evaluate does on each run (its run's model)
    calls = Calls()

    def warm():
        calls.append(1)
        if calls.start_a_preload:
            _beside(0.1)
        if len(calls) <= calls.n:
            raise ImportError("cannot import name 'PowerTransformer' from 'sklearn.preprocessing'")
    monkeypatch.setattr(runtime, "warm_data_stack", warm)
    assert preload.wait(60)
    return calls


def _beside(seconds: float = 0.5) -> None:
    """A preload that runs for ``seconds`` from now."""
    release = threading.Event()
    preload.start(lambda: release.wait(30), "test-preload-beside-a-page")
    threading.Timer(seconds, release.set).start()


def _errors(at) -> list[str]:
    return [e.value for e in at.error if "Something unexpected went wrong" in e.value]


def test_a_failure_beside_a_preload_is_run_again_and_the_page_shows(landing_fails):
    _beside()
    at = app()
    assert not at.exception and not _errors(at), _errors(at)
    assert len(landing_fails) == 2  # failed once, then ran again after the preload
    assert any("pick a sample dataset" in s.label for s in at.selectbox)
    assert not preload.busy()
    at.run()  # the next run is an ordinary one
    assert not _errors(at) and len(landing_fails) == 3


def test_a_failure_with_no_preload_beside_it_is_shown_at_once(landing_fails):
    at = app()
    assert len(landing_fails) == 1
    assert _errors(at) and "PowerTransformer" in _errors(at)[0]


def test_a_failure_that_happens_again_is_shown_and_not_run_a_third_time(landing_fails):
    """Even when each run starts a preload of its own (so each failure is beside one)."""
    landing_fails.n, landing_fails.start_a_preload = 99, True
    at = app()
    assert len(landing_fails) == 2, len(landing_fails)
    assert _errors(at) and "PowerTransformer" in _errors(at)[0]
    at.run()  # the user's next click: run again once more, then shown
    assert len(landing_fails) == 4 and _errors(at)
    assert preload.wait(30)
