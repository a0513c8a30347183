"""AppTest: the Target page's predictor screening and leak flags; the Evaluate page's layer
inspector."""
import numpy as np
import pandas as pd

from test_pages import goto, no_crash, texts, with_sample


def _charts(at) -> list:
    return [c for c in at.get("plotly_chart")]


def test_target_page_screens_columns_and_leaves_a_leak_out():
    from kwk.data.loader import LoadedData
    at = with_sample("iris")
    goto(at, "2_target")
    assert "which columns predict the target on their own" in texts(at).lower()
    assert "alone" in texts(at) and "0 = no better than guessing" in texts(at)
    # classes are scored by their probabilities, and the order's stability is stated
    assert "log-loss reduction" in texts(at) and "How settled the order is" in texts(at)
    assert not any("🕵" in str(w.icon) for w in at.warning)
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    y = 3 * x + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "y": y,
                       "log_y": np.log(y - y.min() + 1)})
    at.session_state.data = LoadedData(df=df, name="leaky.csv", fmt="csv", fingerprint="leaky")
    at.session_state.target = "y"
    at.run()
    no_crash(at)
    msgs = [w.value for w in at.warning]
    assert any(m.startswith("'log_y'") and "transform of the target" in m for m in msgs), msgs
    assert not any(m.startswith("'x'") for m in msgs)
    assert len(_charts(at)) >= 2  # the target's distribution and the screening bars
    at.button(key="leak_drop_log_y").click().run()
    no_crash(at)
    assert at.session_state.roles["log_y"] == "ignore"
    assert not any(w.value.startswith("'log_y'") for w in at.warning)
    assert "`log_y`" not in texts(at)  # no longer an input column


def test_evaluate_layer_inspector_shows_layers_weights_dead_units_and_gradients():
    at = with_sample("iris")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(3)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    assert at.session_state.job.wait(120)
    at.run()
    at.run()
    goto(at, "5_evaluate")
    before = len(_charts(at))
    at.toggle(key="insp_on").set_value(True).run()
    no_crash(at)
    t = texts(at)
    assert "What each layer outputs for row" in t
    assert "computed at the end of training: with the final model on" in t
    assert "Dead ReLU units" in t and "output 0 on all" in t
    assert "weights (blue) multiply the inputs" in t
    keys = [c.proto.id for c in _charts(at)]
    assert len(_charts(at)) - before >= 2 + 2 + 1 + 1, keys  # outputs, weights, dead, gradients
    at.number_input(key="insp_row").set_value(2).run()
    no_crash(at)
    assert "What each layer outputs for row" in texts(at)
