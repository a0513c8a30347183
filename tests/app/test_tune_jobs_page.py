"""The Tune page's session traps (issue 31) and the job panel it shares with Train: the metric
and pruner keep their value after another page ran; a new file drops ``?tune=`` from the
address (as it drops ``?job=``); the search-space table's key is a stable full digest, not
16 bits of ``hash``; a queued search shows the queue, Stop (a callback) cancels it, and a new
session finds it again from the address."""
import threading

import pytest

from test_pages import T, goto, no_crash, texts, with_sample


def _select(at, key):
    return next(s for s in at.selectbox if s.key == key)


def test_metric_and_pruner_keep_their_value_after_another_page():
    at = goto(goto(with_sample("iris"), "2_target"), "9_tune")
    assert _select(at, "tune_metric").value == "auto"
    assert _select(at, "tune_pruner").value == "hyperband"
    _select(at, "tune_metric").set_value("accuracy").run()
    _select(at, "tune_pruner").set_value("median").run()
    no_crash(at)
    goto(at, "3_build")  # Streamlit deletes the Tune page's widget keys here
    assert "tune_metric" not in at.session_state
    goto(at, "9_tune")
    assert _select(at, "tune_metric").value == "accuracy"
    assert _select(at, "tune_pruner").value == "median"
    goto(at, "4_train")
    goto(at, "9_tune")  # and again
    assert (_select(at, "tune_metric").value, _select(at, "tune_pruner").value) == \
        ("accuracy", "median")


def test_the_search_table_key_is_a_full_stable_digest():
    from kwk.ui.tune import widget_digest
    at = goto(goto(with_sample("iris"), "2_target"), "9_tune")
    space_key = at.session_state.tune_space[0]
    keys = [k for k in at.session_state.keys() if str(k).startswith("tune_space_")]
    assert keys == [f"tune_space_{widget_digest(space_key)}"]
    digest = keys[0].removeprefix("tune_space_")
    assert len(digest) == 32 and int(digest, 16) >= 0  # 128 bits, not hash(key) & 0xFFFF
    # the same in another process (Python's hash of a str changes with every start)
    import hashlib
    assert digest == hashlib.blake2b(repr(space_key).encode(), digest_size=16).hexdigest()


def test_new_data_drops_the_search_from_the_address():
    at = goto(goto(with_sample("iris"), "2_target"), "9_tune")
    at.query_params["tune"] = "a-search-of-iris"
    at.query_params["job"] = "a-training-of-iris"
    goto(at, "1_data")
    at.selectbox(key="sample_choice").set_value("tips").run()
    at.button(key="use_sample").click().run()
    no_crash(at)
    assert "job" not in at.query_params and "tune" not in at.query_params


class _Holder:
    """Another session's job holding the only slot."""


@pytest.fixture
def one_slot(monkeypatch):
    from kwk.runs.jobs import Gate, Registry
    gate, registry = Gate(1), Registry()
    holder = _Holder()
    assert gate.acquire(holder, threading.Event())
    monkeypatch.setattr("kwk.ui.state.job_services", lambda: (gate, registry))
    yield gate, registry, holder
    gate.release(holder)


def test_a_queued_search_is_found_again_and_stopped_by_the_callback(one_slot):
    from streamlit.testing.v1 import AppTest

    from test_pages import APP
    gate, registry, holder = one_slot
    at = goto(goto(with_sample("iris"), "2_target"), "9_tune")
    at.number_input(key="tune_trials").set_value(2).run()
    at.button(key="tune_start").click().run()
    no_crash(at)
    job = at.session_state.tune_job
    assert job.snapshot()["status"] == "queued"
    jid = at.query_params["tune"]
    assert registry.get(jid, "") is job
    assert "number 1 in the queue" in texts(at)
    # a reload: a new session finds the search from the address and shows its queue place
    again = AppTest.from_file(APP, default_timeout=T)
    again.query_params["tune"] = jid
    again.run()
    again.switch_page("pages/9_tune.py").run()
    no_crash(again)
    assert again.session_state.tune_job is job and "number 1 in the queue" in texts(again)
    # Stop is a callback: the click stops the job before the page is drawn again
    stop = next(b for b in again.button if b.key == "tune_stop")
    stop.click().run()
    no_crash(again)
    assert job.wait(60) and job.snapshot()["status"] == "stopped"
    assert "queue" in job.snapshot()["message"]
    again.run()
    no_crash(again)
    assert not any(b.key == "tune_stop" for b in again.button)
