"""Issue 30 (clicks): with a server, the Data and Evaluate pages draw only the open tab; a
hidden tab's charts are neither built nor sent, and opening the tab draws them. (Under AppTest
every tab is drawn unless ``kwk.ui.lazytabs.LAZY`` says otherwise, as here.)"""
import numpy as np
import pandas as pd
import pytest

from test_pages import app, goto, no_crash


@pytest.fixture
def lazy(monkeypatch):
    from kwk.ui import lazytabs, memo
    monkeypatch.setattr(lazytabs, "LAZY", True)
    memo.clear()
    yield
    memo.clear()


def _count(monkeypatch, module, name) -> list:
    calls, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _chart_ids(at) -> list[str]:
    return [c.proto.id for c in at.get("plotly_chart")]


def test_the_data_page_draws_column_charts_only_in_their_tab(lazy, monkeypatch):
    import kwk.plots as plots
    cards = _count(monkeypatch, plots, "column_distribution")
    heat = _count(monkeypatch, plots, "correlation_heatmap")
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
                       "c": rng.choice(["x", "y"], 200)})
    at = app()
    at.file_uploader(key="upload").set_value(
        ("clicks_tabs.csv", df.to_csv(index=False).encode(), "text/csv")).run()
    no_crash(at)
    assert cards == [] and heat == [] and _chart_ids(at) == []  # Preview is open
    assert any("role" in d.value.columns for d in at.dataframe)  # Roles & kinds is drawn
    at.session_state["data_tabs"] = "Column profiles"
    at.run()
    no_crash(at)
    assert len(cards) == 3 and heat == []
    assert sum("dist_" in i for i in _chart_ids(at)) == 3
    at.session_state["data_tabs"] = "Correlations"
    at.run()
    assert len(cards) == 3 and len(heat) == 1
    assert not any("dist_" in i for i in _chart_ids(at))


@pytest.mark.slow
def test_evaluate_draws_only_the_open_tab(lazy, monkeypatch):
    import kwk.evaluation.analysis as analysis
    import kwk.plots as plots
    from test_newcomer_app import train
    at = app()
    at.selectbox(key="sample_choice").set_value("iris").run()
    at.button(key="use_sample").click().run()
    train(at, 2)
    roc = _count(monkeypatch, plots, "roc_curves")
    curves = _count(monkeypatch, analysis, "profiler_curves")
    goto(at, "5_evaluate")
    assert len(roc) == 1 and curves == []  # Charts open: no profiler curve computed
    assert at.dataframe[0].value is not None  # the metrics, above the tabs, are drawn
    at.session_state["eval_tabs"] = "Profiler"
    at.run()
    no_crash(at)
    assert len(curves) == 1 and len(roc) == 1
    ids = _chart_ids(at)
    assert sum("prof_chart_" in i for i in ids) == 4 and not any("roc" in i for i in ids)
    # a profiler value the user set survives a visit to another tab
    slider = next(w for w in at.slider if str(w.key).startswith("prof_"))
    lo, hi = slider.min, slider.max
    value = round(lo + 0.8 * (hi - lo), 1)
    slider.set_value(value).run()
    at.session_state["eval_tabs"] = "Charts"
    at.run()
    assert not any(str(w.key) == slider.key for w in at.slider)
    at.session_state["eval_tabs"] = "Profiler"
    at.run()
    no_crash(at)
    assert at.slider(key=slider.key).value == pytest.approx(value)


def test_build_draws_the_diagram_and_the_code_only_in_their_tabs(lazy, monkeypatch):
    import kwk.codegen as codegen
    import kwk.plots as plots
    from test_pages import with_sample
    diagram = _count(monkeypatch, plots, "network_diagram")
    code = _count(monkeypatch, codegen, "model_code")
    at = with_sample("iris")
    goto(at, "3_build")
    assert diagram == [] and code == [] and not at.code  # Shapes is open
    assert any("output shape" in d.value.columns for d in at.dataframe)
    at.session_state["build_views"] = "Keras code"
    at.run()
    no_crash(at)
    assert len(code) == 1 and diagram == [] and "layers.Dense" in at.code[0].value


def _two_tabs():
    import streamlit as st

    from kwk.ui import lazytabs
    lazytabs.LAZY = True
    keep = st.session_state.get("_keep_cfg")
    t = lazytabs.tabs(["A", "B"], key="tt", keep=keep)
    if t.open("A"):
        with t["A"]:
            st.slider("level", 0, 10, 3, key="level")
            st.selectbox("colour", ["red", "blue"], key="pick_colour")
    if t.open("B"):
        with t["B"]:
            st.toggle("flag", key="flag")


@pytest.mark.parametrize("keep, kept", [(None, False), ({"A": ("level", "pick_")}, True)])
def test_a_hidden_tab_keeps_its_settings_when_asked(keep, kept):
    """Without ``keep``, a lazy tab's widget values are lost once it is hidden (Streamlit
    forgets widgets a run does not draw): the reason ``keep`` exists. With it they come back,
    and no warning about a value set twice is shown."""
    from streamlit.testing.v1 import AppTest

    from kwk.ui import lazytabs
    at = AppTest.from_function(_two_tabs)
    at.session_state["_keep_cfg"] = keep
    try:
        at.run()
        at.slider(key="level").set_value(8).run()
        at.selectbox(key="pick_colour").set_value("blue").run()
        at.session_state["tt"] = "B"
        at.run()
        assert not at.slider and at.toggle(key="flag")
        at.session_state["tt"] = "B"  # one more run with A hidden
        at.run()
        at.session_state["tt"] = "A"
        at.run()
        assert not at.exception and not at.warning, (at.exception, at.warning)
        assert (at.slider(key="level").value, at.selectbox(key="pick_colour").value) == (
            (8, "blue") if kept else (3, "red"))
    finally:
        lazytabs.LAZY = None
