"""The Playground page: controls, the URL round-trip, classroom links, your own data, Open in
Build."""
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, T, goto, no_crash, texts, with_sample

pytestmark = pytest.mark.slow  # builds Keras models


def playground(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=T)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    goto(at, "8_playground")
    return at


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def stop(at):
    pg = at.session_state.pg
    pg.close()
    pg.wait_paused()


def test_default_page_and_controls():
    at = playground()
    assert metric(at, "Epoch") == "0" and dict(at.query_params) == {}
    at.button(key="pg_step").click().run()
    assert metric(at, "Epoch") == "1"
    at.button(key="pg_play").click().run()
    assert at.session_state.pg.playing and at.button(key="pg_pause")
    # the engine's own signal, not a fixed sleep: on a busy machine 1.5 s was not always 2
    # epochs (the first one builds and compiles the model)
    deadline = time.monotonic() + 120  # a hang guard only
    while at.session_state.pg.epoch < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    assert int(metric(at, "Epoch").replace(",", "")) > 1
    at.button(key="pg_pause").click().run()
    assert not at.session_state.pg.playing
    at.button(key="pg_reset").click().run()
    assert metric(at, "Epoch") == "0"
    at.button(key="pg_regen").click().run()
    assert at.query_params["seed"] in ("1", ["1"])
    stop(at)


def test_settings_live_in_the_url_both_ways():
    at = playground({"dataset": "xor", "layers": "8,3", "features": "x1_x2", "noise": "10",
                     "learning_rate": "0.1", "seed": "3"})
    no_crash(at)
    assert at.selectbox(key="pg_dataset").value == "xor"
    assert at.number_input(key="pg_n_layers").value == 2
    assert at.number_input(key="pg_layer_0").value == 8 and at.number_input(key="pg_layer_1").value == 3
    assert at.slider(key="pg_noise").value == 10
    pg = at.session_state.pg
    assert pg.config.features == ["x1_x2"] and pg.config.seed == 3
    # widgets -> URL
    at.number_input(key="pg_n_layers").set_value(3).run()
    at.selectbox(key="pg_activation").set_value("relu").run()
    q = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert q["layers"] == "8,3,4" and q["activation"] == "relu" and q["dataset"] == "xor"
    assert at.session_state.pg.config.layers == [8, 3, 4]
    # and back: the same link rebuilds the same network
    again = playground(q)
    assert again.session_state.pg.config == at.session_state.pg.config
    stop(at)
    stop(again)


def test_a_broken_link_still_opens():
    at = playground({"layers": "999", "noise": "x"})
    no_crash(at)
    assert "not all usable" in at.warning[0].value and at.session_state.pg.config.layers == [4, 2]
    stop(at)


def test_classroom_mode_hides_chosen_controls():
    at = playground({"classroom": "1", "hide": "network,training", "dataset": "spiral"})
    keys = {w.key for w in at.number_input} | {w.key for w in at.selectbox}
    assert "pg_n_layers" not in keys and "pg_optimizer" not in keys and "pg_dataset" in keys
    assert "pg_source" not in {r.key for r in at.radio}  # classroom: no data source switch
    assert "Open in Build" not in [b.label for b in at.button]
    q = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert q["classroom"] == "1" and q["hide"] == "network,training" and q["dataset"] == "spiral"
    stop(at)


def test_regression_problem_switches_datasets():
    at = playground()
    at.radio(key="pg_problem").set_value("regression").run()
    assert at.selectbox(key="pg_dataset").value in ("plane", "multigauss")
    assert at.session_state.pg.config.problem == "regression"
    stop(at)


def test_your_own_data_and_a_three_column_upload():
    at = with_sample("breast_cancer")
    goto(at, "8_playground")
    at.radio(key="pg_source").set_value("mine").run()
    no_crash(at)
    pg = at.session_state.pg
    assert pg.config.dataset == "user" and pg.config.problem == "classification"
    assert pg.classes == sorted(at.session_state.data.df["diagnosis"].astype(str).unique().tolist())
    at.radio(key="pg_source").set_value("upload").run()
    at.file_uploader(key="pg_upload").set_value(
        ("four.csv", b"a,b,c,d\n1,2,3,4\n", "text/csv")).run()
    assert "reads exactly three" in at.error[0].value
    rows = "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 2 else 'no'}" for i in range(60))
    at.file_uploader(key="pg_upload").set_value(("mine.csv", f"u,v,t\n{rows}\n".encode(), "text/csv")).run()
    no_crash(at)
    assert at.session_state.pg.classes == ["no", "yes"] and len(at.session_state.pg.xy) == 60
    stop(at)


def test_open_in_build_hands_over_network_and_data():
    at = playground({"dataset": "xor", "features": "x1,x2,x1_x2", "layers": "6",
                     "regularization": "L2", "reg_rate": "0.01"})
    at.button(key="pg_open_build").click().run()
    no_crash(at)
    ss = at.session_state
    assert ss.data.name == "playground_xor.csv" and ss.target == "label"
    assert list(ss.data.df.columns) == ["x1", "x2", "x1_x2", "label"]
    assert ss.spec["layers"][0]["units"] == 6
    assert ss.spec["layers"][0]["kernel_regularizer"] == {"type": "L2", "l2": 0.01}
    assert ss.build_ok and "Dense(6" in texts(at) + "".join(c.value for c in at.code)


def chart(at, key):
    """A plotly chart's figure (as JSON) by its key's element: AppTest has no plotly type."""
    import json
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if key in el.proto.id:
            return spec
    raise AssertionError(f"no chart {key}")


def three_columns(n=80) -> bytes:
    """height (150–190), a class in the middle column, weight (45–100): the class is 'tall'
    exactly when height > 170."""
    import numpy as np
    rng = np.random.default_rng(0)
    h = rng.uniform(150, 190, n)
    w = rng.uniform(45, 100, n)
    rows = "\n".join(f"{a:.1f},{'tall' if a > 170 else 'short'},{b:.1f}" for a, b in zip(h, w))
    return f"height,size,weight\n{rows}\n".encode()


def plain(at) -> dict:
    """The Playground's settings in the address (the session's key ``s`` left out)."""
    return {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()
            if k != "s"}


def test_an_upload_and_its_network_survive_a_visit_to_runs():
    """Issue 29, item 3: the uploaded file, its columns, the data choice, the trained network
    and the address's settings are all there after going to Runs and back."""
    import numpy as np
    import pandas as pd
    at = playground()
    at.radio(key="pg_source").set_value("upload").run()
    raw = three_columns()
    at.file_uploader(key="pg_upload").set_value(("people.csv", raw, "text/csv")).run()
    no_crash(at)
    # the target is the middle column: choose the columns
    at.selectbox(key="pg_up_target").set_value("size").run()
    at.selectbox(key="pg_up_x2").set_value("weight").run()
    at.number_input(key="pg_n_layers").set_value(1).run()
    for _ in range(3):
        at.button(key="pg_step").click().run()
    no_crash(at)
    pg = at.session_state.pg
    assert pg.epoch == 3 and pg.classes == ["short", "tall"] and pg.config.layers == [4]
    assert plain(at) == {"dataset": "user", "layers": "4"}
    # the data on the plane, checked by hand: each column scaled from its own min/max to −5…5
    df = pd.read_csv(__import__("io").BytesIO(raw))
    for col, k in (("height", 0), ("weight", 1)):
        v = df[col].to_numpy()
        assert np.allclose(pg.xy[:, k], (v - v.min()) / (v.max() - v.min()) * 10 - 5)
    assert np.array_equal(pg.y, (df["size"] == "tall").to_numpy(float))

    goto(at, "7_runs")
    for k in list(at.query_params):  # a page change in the browser empties the address
        del at.query_params[k]
    goto(at, "8_playground")
    assert at.radio(key="pg_source").value == "upload"
    assert "Using **people.csv**, uploaded earlier" in texts(at)
    assert [at.selectbox(key=k).value for k in ("pg_up_x1", "pg_up_x2", "pg_up_target")] == \
        ["height", "weight", "size"]
    assert at.session_state.pg is pg and metric(at, "Epoch") == "3"  # the same network
    assert plain(at) == {"dataset": "user", "layers": "4"}  # the address has its settings back
    # the surface is drawn in the columns' own names and units
    layout = chart(at, "pg_surface")["layout"]
    assert layout["xaxis"]["title"]["text"] == "height" and layout["yaxis"]["title"]["text"] == "weight"
    assert np.allclose(layout["xaxis"]["range"], [df.height.min() - 0.1 * np.ptp(df.height),
                                                  df.height.max() + 0.1 * np.ptp(df.height)])
    # removing the file from the box forgets it
    at.file_uploader(key="pg_upload").set_value(("people.csv", raw, "text/csv")).run()
    at.file_uploader(key="pg_upload").set_value(None).run()
    assert "uploaded earlier" not in texts(at) and "Choose the data" in texts(at)
    stop(at)


def test_choosing_a_neuron_explains_it():
    """Issue 32, item 3: a neuron chosen shows its weights, its picture and its sentence; the
    numbers are the Keras layer's own."""
    import numpy as np
    at = playground({"layers": "3,2", "seed": "5"})
    at.button(key="pg_step").click().run()
    assert at.selectbox(key="pg_explain").value is None and "pg_neuron_map" not in str(
        [el.proto.id for el in at.get("plotly_chart")])
    at.selectbox(key="pg_explain").set_value((1, 1)).run()
    no_crash(at)
    pg = at.session_state.pg
    dense = [layer for layer in pg.model.layers if hasattr(layer, "kernel")]
    w, b = np.asarray(dense[0].kernel)[:, 1], float(np.asarray(dense[0].bias)[1])
    head = next(m.value for m in at.markdown if m.value.startswith("**Layer 1 · neuron 2**"))
    # the line by hand: w0·x1 + w1·x2 + b = 0  <=>  x2 = −w0/w1·x1 − b/w1
    from kwk.playground.explain import num
    slope, icpt = -w[0] / w[1], -b / w[1]
    assert f"X₂ = {num(slope)}·X₁".replace("-", "−") in head
    assert num(abs(icpt)) in head.split("X₁", 2)[-1]
    table = next(d.value for d in at.dataframe if "from" in d.value.columns)
    assert list(table["from"]) == ["X₁", "X₂", "bias (always 1)"]
    assert np.allclose(table["weight"], [w[0], w[1], b], atol=1e-6)
    fig = chart(at, "pg_neuron_map")
    assert fig["data"][0]["type"] == "heatmap" and fig["data"][1]["name"] == "boundary"
    # a deeper neuron and the output speak of the neurons before them
    at.selectbox(key="pg_explain").set_value((3, 0)).run()
    head = next(m.value for m in at.markdown if m.value.startswith("**Output**"))
    assert "of layer 2" in head and "blue where" in head
    # the diagram: plain links when the weights are switched off (and the link says so)
    at.toggle(key="pg_show_weights").set_value(False).run()
    assert plain(at)["show_weights"] == "0" and at.session_state.pg is pg
    colours = {t.get("line", {}).get("color") for t in chart(at, "pg_network")["data"]
               if t.get("mode") == "lines"}
    assert colours == {"#9CA3AF"}
    stop(at)
