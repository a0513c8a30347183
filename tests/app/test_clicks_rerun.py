"""Issue 30 (clicks): a rerun that nothing changed does not build the page's charts again (the
Data page's column cards and correlations; Evaluate's charts and profiler), and a chart is
built again when what it shows changes."""
import numpy as np
import pandas as pd
import pytest

from test_pages import app, goto, no_crash


def _count(monkeypatch, module, name) -> list:
    calls, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_a_data_page_rerun_builds_no_chart_again(monkeypatch):
    import kwk.plots as plots
    from kwk.ui import memo
    memo.clear()
    cards = _count(monkeypatch, plots, "column_distribution")
    heat = _count(monkeypatch, plots, "correlation_heatmap")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300),
                       "c": rng.choice(["x", "y", "z"], 300), "t": rng.integers(0, 2, 300)})
    at = app()
    at.file_uploader(key="upload").set_value(
        ("clicks_rerun.csv", df.to_csv(index=False).encode(), "text/csv")).run()
    no_crash(at)
    assert len(cards) == 4 and len(heat) == 1  # one card chart per column, one heat-map
    at.run()
    at.text_input(key="col_filter").set_value("").run()  # a widget rerun: same data
    assert len(cards) == 4 and len(heat) == 1  # nothing built again
    # another kind for one column: that card's chart is built again, the others are kept
    def spec(name):
        return next(c.proto.spec for c in at.get("plotly_chart") if f"dist_{name}" in c.proto.id)
    before = spec("a"), spec("b")
    at.session_state.kinds = {"a": "categorical"}
    at.run()
    no_crash(at)
    assert len(cards) == 5
    assert spec("a") != before[0] and spec("b") == before[1]


@pytest.mark.slow
def test_an_evaluate_rerun_builds_no_chart_and_no_profiler_curve_again(monkeypatch):
    import kwk.evaluation.analysis as analysis
    import kwk.plots as plots
    from kwk.ui import memo
    from test_newcomer_app import train
    memo.clear()
    at = app()
    at.selectbox(key="sample_choice").set_value("iris").run()
    at.button(key="use_sample").click().run()
    train(at, 2)
    roc = _count(monkeypatch, plots, "roc_curves")
    prof = _count(monkeypatch, plots, "profiler_chart")
    curves = _count(monkeypatch, analysis, "profiler_curves")
    goto(at, "5_evaluate")
    assert len(roc) == 1 and len(prof) == 4 and len(curves) == 1
    at.toggle(key="cm_norm").set_value(True).run()  # another view of the confusion matrix
    no_crash(at)
    assert len(roc) == 1 and len(prof) == 4 and len(curves) == 1
    # another value of an input: the profiler's curves are computed and drawn again
    run_id = at.session_state.run_id
    key = next(s.key for s in at.slider if s.key and s.key.startswith(f"prof_{run_id}_"))
    lo = at.slider(key=key).min
    at.slider(key=key).set_value(lo).run()
    no_crash(at)
    assert len(curves) == 2 and len(prof) == 8 and len(roc) == 1
