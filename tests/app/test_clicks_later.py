"""Issue 30 (clicks): the Target page's predictor screening runs in the background. The page is
drawn at once (a progress line while the screening runs), fills in when it ends, can be
stopped, and never shows a screening of other data."""
import threading

import numpy as np
import pandas as pd
import pytest

from test_pages import T, app, no_crash, texts, goto


def _data(strong: str, n: int = 400, seed: int = 0):
    """y follows column ``strong`` (x or w); the other is noise."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n),
                       "c": rng.choice(["a", "b"], n)})
    df["y"] = np.where(df[strong] + rng.normal(scale=0.3, size=n) > 0, "yes", "no")
    return df


@pytest.fixture
def gated(monkeypatch):
    """Screening waits for ``gate`` before it starts; pages wait 0 s for background work (as
    the server does with a large table)."""
    import kwk.data.screening as screening_mod
    from kwk.ui import later
    monkeypatch.setattr(later, "_wait_s", lambda: 0)
    later._DONE.clear()
    gate, started = threading.Event(), []
    real = screening_mod.screen

    def slow(df, target, **kw):
        started.append(df.columns.tolist())
        gate.wait(T)
        return real(df, target, **kw)
    monkeypatch.setattr(screening_mod, "screen", slow)
    yield gate, started
    gate.set()
    later._DONE.clear()


def _order(at) -> str:
    return next((c.value for c in at.caption if c.value.startswith("How settled")), "")


def _entries(at) -> dict:
    return {k: v for k, v in at.session_state.later.items() if k[0] == "screening"}


def _target_page(at, df, fp):
    from kwk.data.loader import LoadedData
    at.session_state.data = LoadedData(df=df, name=f"{fp}.csv", fmt="csv", fingerprint=fp)
    at.session_state.target = "y"
    goto(at, "2_target")


def test_the_target_page_draws_before_the_screening_and_fills_in(gated):
    gate, started = gated
    at = app()
    _target_page(at, _data("x"), "clicks-a")  # returns while the screening waits at the gate
    assert started and "Task: **binary**" in texts(at)
    assert "Which columns predict the target on their own" not in texts(at)
    assert any("Screening each column against the target" in p.proto.text
               for p in at.get("progress"))
    gate.set()
    (entry,) = _entries(at).values()
    assert entry["task"].wait(T)
    at.run()
    no_crash(at)
    assert "Which columns predict the target on their own" in texts(at)
    assert ": x 1" in _order(at)  # x carries the signal


def test_a_screening_of_other_data_is_stopped_and_never_shown(gated):
    gate, _ = gated
    at = app()
    _target_page(at, _data("x"), "clicks-a")
    (old,) = _entries(at).values()
    _target_page(at, _data("w", seed=1), "clicks-b")  # other data while A still runs
    assert old["task"]._stop.is_set()  # A's screening was asked to stop
    assert [k[1] for k in _entries(at)] == ["clicks-b"]
    gate.set()
    assert old["task"].wait(T)
    (entry,) = _entries(at).values()
    assert entry["task"].wait(T)
    at.run()
    no_crash(at)
    assert ": w 1" in _order(at) and ": x 1" not in _order(at)  # B's screening, not A's


def test_a_running_screening_can_be_stopped(gated):
    gate, _ = gated
    at = app()
    _target_page(at, _data("x"), "clicks-a")
    stop = next(b for b in at.button if b.key.startswith("later_stop_"))
    stop.click().run()
    gate.set()
    (entry,) = _entries(at).values()
    assert entry["task"].wait(T) and entry["task"].result is None  # stopped before the end
    at.run()
    at.run()
    no_crash(at)
    assert "Screening each column against the target: stopped." in texts(at)
    assert "Which columns predict the target on their own" not in texts(at)
    next(b for b in at.button if b.key.startswith("later_again_")).click().run()
    (entry,) = _entries(at).values()
    assert entry["task"].wait(T)
    at.run()
    assert ": x 1" in _order(at)


@pytest.mark.slow
def test_evaluate_draws_its_metrics_before_the_comparisons_and_fills_them_in(monkeypatch):
    """The paired bootstraps (the network vs each reference) run in the background: the
    metrics are on the page at once, the verdict columns come when the work ends, and they
    match a paired bootstrap computed here on the run's saved predictions."""
    import kwk.evaluation.metrics as metrics_mod
    from kwk.ui import later
    from test_newcomer_app import train
    monkeypatch.setattr(later, "_wait_s", lambda: 0)
    later._DONE.clear()
    gate, real = threading.Event(), metrics_mod.paired_bootstrap
    monkeypatch.setattr(metrics_mod, "paired_bootstrap",
                        lambda *a, **k: gate.wait(T) and real(*a, **k))
    at = app()
    at.selectbox(key="sample_choice").set_value("iris").run()
    at.button(key="use_sample").click().run()
    train(at, 3)
    goto(at, "5_evaluate")  # returns while the comparisons wait at the gate
    run_id = at.session_state.run_id
    table = at.dataframe[0].value
    assert set(table["network vs simple model"]) == {""}  # no verdicts yet
    assert "Accuracy" in set(table["metric"])
    assert any("Comparing the network with the reference models" in p.proto.text
               for p in at.get("progress"))
    assert run_id not in at.session_state.comparisons
    gate.set()
    (entry,) = [v for k, v in at.session_state.later.items() if k == ("comparisons", run_id)]
    assert entry["task"].wait(T)
    at.run()
    no_crash(at)
    table = at.dataframe[0].value
    assert set(table["network vs simple model"]) - {""}  # the verdicts filled in
    # the same numbers as a paired bootstrap of the saved predictions, computed here
    from kwk.ui.state import store
    ev = store().evaluation(run_id)
    seed = at.session_state.spec["training"]["seed"]
    want = real("multiclass", ev["y"], ev["out"], ev["simple_out"], 3, n_boot=300, seed=seed)
    assert at.session_state.comparisons[run_id]["simple"] == want
    later._DONE.clear()
