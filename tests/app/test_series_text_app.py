"""Time series and text in the app: the samples set the kind of data and a fitting starting
stack, the Target page declares the kind and its settings, training works end to end, and
Evaluate shows the forecast against the naive forecast."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts, with_sample


def _train(at, epochs=3):
    goto(at, "4_train")
    at.number_input(key=f"tr{at.session_state.get('spec_version', 0)}_epochs").set_value(epochs)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    no_crash(at)
    assert at.session_state.job.wait(300)
    at.run()
    at.run()
    assert at.session_state.job.error is None, at.session_state.job.error


@pytest.mark.slow
def test_store_sales_forecast_end_to_end():
    at = with_sample("store_sales")
    assert at.session_state.modality == "series"
    assert at.session_state.spec["layers"][0]["type"] == "LSTM"
    goto(at, "2_target")
    assert at.radio(key="modality_radio").value == "series"
    assert at.selectbox(key="seq_time").value == "date"
    assert at.selectbox(key="seq_group").value == "store"
    assert "chronological" in texts(at)
    goto(at, "3_build")
    assert at.session_state.build_ok
    assert at.selectbox(key="template_series").value == "LSTM (time series)"
    assert "layers.Reshape((14, 4))" in at.code[0].value
    _train(at)
    # a series splits by time: no split-column choice on the Train page
    assert "validation_column_select" not in [s.key for s in at.selectbox]
    goto(at, "5_evaluate")
    assert "Forecast" in [t.label for t in at.tabs]
    assert "naive forecast" in texts(at)
    assert at.selectbox(key="fc_series").options == ["centre", "north", "south"] or \
        set(at.selectbox(key="fc_series").options) == {"centre", "north", "south"}
    assert "Importance" in [t.label for t in at.tabs] and "Profiler" not in [t.label for t in at.tabs]
    at.slider(key="imp_repeats").set_value(2)
    at.button(key="imp_go").click().run()
    no_crash(at)
    imp = at.session_state.importance[at.session_state.run_id]
    assert set(imp["feature"]) == set(at.session_state.spec["data"]["features"] or imp["feature"])
    assert imp["feature"].iloc[0] == "sales"  # its own history drives a sales forecast
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    no_crash(at)
    pred = at.session_state.predictions
    assert pred["prediction"].notna().sum() == len(pred) - 3 * 13  # 13 rows of history short


@pytest.mark.slow
def test_news_text_classification_end_to_end():
    at = with_sample("news")
    assert at.session_state.modality == "text"
    goto(at, "2_target")
    assert at.selectbox(key="text_column").value == "text"
    assert "words (median)" in texts(at)
    goto(at, "3_build")
    assert at.session_state.build_ok
    assert at.selectbox(key="template_text").value == "Embedding + GRU (text)"
    code = at.code[0].value
    assert "layers.TextVectorization(max_tokens=2000, output_sequence_length=24)" in code
    assert "layers.Embedding(2000, 32, mask_zero=True)" in code
    _train(at, epochs=2)
    goto(at, "5_evaluate")
    no_crash(at)
    assert "Importance" not in [t.label for t in at.tabs]
    assert "Misclassified test texts" in texts(at)
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    no_crash(at)
    assert set(at.session_state.predictions["prediction"].dropna()) <= {"food", "sport", "tech", "travel"}
    # new texts alone, in a one-column file
    at.file_uploader(key="pred_upload").set_value(
        ("new.csv", b"text\nthe match ended in a late goal\nbake the bread for an hour\n",
         "text/csv")).run()
    no_crash(at)
    assert len(at.session_state.predictions) == 2


def test_declare_kinds_on_the_target_page():
    rng = np.random.default_rng(0)
    n = 120
    df = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
                       "level": np.round(np.sin(np.arange(n) / 5) + rng.normal(0, 0.1, n), 3),
                       "note": [f"reading number {i} looks {'fine' if i % 2 else 'odd'} today"
                                for i in range(n)],
                       "flag": rng.choice(["a", "b"], n)})
    at = app()
    at.file_uploader(key="upload").set_value(("readings.csv", df.to_csv(index=False).encode(),
                                              "text/csv")).run()
    at.session_state.target = "level"
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("series").run()
    no_crash(at)
    assert at.session_state.spec["layers"][0]["type"] == "LSTM"  # replaced by the series template
    assert at.selectbox(key="seq_time").value == "day"
    at.selectbox(key="seq_time").set_value("flag").run()  # not a time: explained at once
    no_crash(at)
    assert "'flag' does not hold dates" in " ".join(e.value for e in at.error)
    at.selectbox(key="seq_time").set_value("day").run()
    at.number_input(key="seq_window").set_value(200).run()
    assert "too few for a look-back window of 200 rows" in " ".join(e.value for e in at.error)
    goto(at, "3_build")
    assert not at.session_state.build_ok or at.session_state.sequence["window"] == 200
    goto(at, "2_target")
    at.number_input(key="seq_window").set_value(7).run()
    assert at.radio(key="seq_predict").value == "change"  # the default: copes with trends
    at.radio(key="seq_predict").set_value("value").run()
    assert at.session_state.sequence["predict"] == "value"
    goto(at, "3_build")
    assert at.session_state.build_ok
    # the same table as text: classify 'flag' from 'note'
    goto(at, "2_target")
    at.session_state.target = "flag"
    at.run()
    at.radio(key="modality_radio").set_value("text").run()
    assert at.selectbox(key="text_column").value == "note"
    assert at.session_state.spec["layers"][0]["type"] == "Embedding"
    goto(at, "3_build")
    assert at.session_state.build_ok
    # a Dense-only stack on text is explained, naming the fix
    at.session_state.spec["layers"] = [{"type": "Dense", "units": 8, "activation": "relu"}]
    at.run()
    assert "starts with an Embedding layer" in " ".join(e.value for e in at.error)


def test_pixel_columns_declared_as_pictures():
    from sklearn.datasets import load_digits
    b = load_digits()
    df = pd.DataFrame(b.data[:300], columns=[f"p{i}" for i in range(64)])
    df["digit"] = b.target[:300].astype(str)
    at = app()
    at.file_uploader(key="upload").set_value(("pix.csv", df.to_csv(index=False).encode(),
                                              "text/csv")).run()
    at.session_state.target = "digit"
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("images").run()
    no_crash(at)
    assert [at.number_input(key="img_h").value, at.number_input(key="img_w").value] == [8, 8]
    assert at.session_state.spec["layers"][0]["type"] == "Conv2D"
    goto(at, "3_build")
    assert at.session_state.build_ok
    goto(at, "2_target")
    at.number_input(key="img_h").set_value(9).run()
    goto(at, "3_build")
    assert not at.session_state.build_ok
    assert "needs 72 pixel columns but 64 are given" in " ".join(e.value for e in at.error)


def test_importing_a_series_spec_restores_the_kind_of_data():
    import json

    from kwk.data.samples import SAMPLES
    df = SAMPLES["store_sales"].load()
    at = app()
    at.file_uploader(key="upload").set_value(("sales.csv", df.to_csv(index=False).encode(),
                                              "text/csv")).run()
    assert at.session_state.modality == "table"
    at.session_state.target = "sales"
    goto(at, "3_build")
    spec = {"data": {"target": "sales", "sequence": {"time": "date", "group": "store",
                                                     "window": 7, "horizon": 2}},
            "layers": [{"type": "GRU", "units": 8}]}
    at.file_uploader(key="spec_upload").set_value(("spec.json", json.dumps(spec).encode(),
                                                   "application/json")).run()
    no_crash(at)
    at.button(key="confirm_import").click().run()  # it replaces the stack: asked first
    no_crash(at)
    assert at.session_state.modality == "series"
    assert at.session_state.sequence == {"time": "date", "group": "store", "window": 7, "horizon": 2,
                                         "predict": "change"}
    assert at.session_state.build_ok
    assert "layers.Reshape((7, 4))" in at.code[0].value
