"""A table with a text column in the app: the Target page offers it, the Build page shows one
stack per branch and the merge, edits a branch (undoable), and the model trains, evaluates and
predicts like any other."""
import pytest

from tests.app.test_pages import app, goto, no_crash, texts
from tests.test_mixed import table_and_pictures, table_and_text


def _with(df, name, target):
    from kwk.data.loader import LoadedData
    at = app()
    at.session_state.data = LoadedData(df=df, name=name, fmt="csv", fingerprint=name)
    at.run()
    at.session_state.target = target
    goto(at, "2_target")
    return at


def test_target_and_build_pages_offer_a_table_with_a_text_column():
    at = _with(table_and_text(400), "shop.csv", "bought")
    at.radio(key="modality_radio").set_value("table_text").run()
    no_crash(at)
    at.selectbox(key="text_column").set_value("description").run()
    assert "read by the **text branch**" in texts(at)
    assert "the text branch reads 'description'" in texts(at)
    goto(at, "3_build")
    assert at.session_state.build_ok, [e.value for e in at.error]
    assert set(at.session_state.spec["branches"]) == {"table", "text"}
    # opening Build and looking at each part records no edit (the template's defaults are
    # filled in when the kind is chosen, as the forms show them)
    labels = [e.label for e in at.session_state.history.entries]
    assert labels == ["start"], labels
    for part in ("table", "text", "head"):
        at.radio(key="build_part_radio").set_value(part).run()
    at.run()
    assert [e.label for e in at.session_state.history.entries] == labels
    assert "⤵️ **merged** (side by side)" in texts(at)
    code = at.code[0].value
    assert "layers.Cropping1D" in code and "layers.Concatenate()(branches)" in code
    # edit the text branch: add a layer, then undo it
    at.radio(key="build_part_radio").set_value("text").run()
    before = [dict(x) for x in at.session_state.spec["branches"]["text"]]
    assert "Embedding — Text" in at.selectbox(key="palette").options
    at.selectbox(key="palette").set_value("Dropout").run()
    at.button(key="add_layer").click().run()
    assert at.session_state.spec["branches"]["text"][-1]["type"] == "Dropout"
    assert at.session_state.history.entries[-1].label == "text branch: added Dropout 3"
    at.button(key="undo").click().run()
    assert at.session_state.spec["branches"]["text"] == before
    # a branch that ends on a sequence is explained
    at.session_state.spec["branches"]["text"] = [{"type": "Embedding", "output_dim": 8}]
    at.run()
    assert not at.session_state.build_ok
    assert any("The text branch: " in e.value for e in at.error)
    # back to one input: the branches go, the table stack stays valid
    at.session_state.spec["branches"]["text"] = before
    at.run()
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("table").run()
    goto(at, "3_build")
    assert "branches" not in at.session_state.spec and at.session_state.build_ok
    # undo brings the branches back together with the kind of data that reads them
    at.button(key="undo").click().run()
    no_crash(at)
    assert at.session_state.modality == "table_text" and at.session_state.spec.get("branches")
    assert at.session_state.build_ok, [e.value for e in at.error]
    at.button(key="redo").click().run()
    assert at.session_state.modality == "table" and "branches" not in at.session_state.spec


@pytest.mark.slow
def test_a_table_with_pictures_trains_evaluates_and_predicts():
    at = _with(table_and_pictures(600), "pics.csv", "label")
    at.radio(key="modality_radio").set_value("table_images").run()
    no_crash(at)
    assert "px_0 … px_63 are the pixels" in texts(at)
    goto(at, "3_build")
    assert at.session_state.build_ok, [e.value for e in at.error]
    goto(at, "4_train")
    next(w for w in at.number_input if w.key.endswith("_epochs")).set_value(3)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    no_crash(at)
    assert at.session_state.job.wait(300)
    at.run()
    at.run()
    assert at.session_state.run_id, texts(at)
    goto(at, "5_evaluate")
    no_crash(at)
    at.button(key="imp_go").click().run()  # importance per input, then per column
    no_crash(at)
    imp = at.session_state.importance[at.session_state.run_id]
    assert {"input: table (1 column)", "input: image (64 pixels)", "x1"} == set(imp["feature"])
    assert imp.set_index("feature").loc["input: image (64 pixels)", "importance"] > 0
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    no_crash(at)
    assert "prediction" in at.dataframe[0].value.columns
    # the run's spec back into Build from another kind of data: branches and kind together
    goto(at, "2_target")
    at.radio(key="modality_radio").set_value("table").run()
    goto(at, "7_runs")
    at.button(key="load_spec").click().run()
    no_crash(at)
    assert at.session_state.modality == "table_images"
    assert set(at.session_state.spec["branches"]) == {"table", "image"}
    assert at.session_state.build_ok, [e.value for e in at.error]


@pytest.mark.slow
def test_a_table_with_a_text_is_explained_on_evaluate_and_predict():
    """Issue 28, item 6: the Importance tab ranks the text input and the deciding number, one
    test row is explained by its columns and words, the comparison models say they read the
    text, and Predict explains a predicted row the same way (as its wording promises)."""
    from tests.app.test_explain_pages import _finish, _open, _train
    from tests.test_mixed_explain import preset_spec, table_text_word
    df = table_text_word(900)
    at, run_id = _open(df, _train(df, preset_spec(epochs=20)), "bought")
    at.session_state.modality = "table_text"
    goto(at, "5_evaluate")
    no_crash(at)
    assert "as TF-IDF word weights" in texts(at)
    at.button(key="imp_go").click().run()
    no_crash(at)
    imp = at.session_state.importance[run_id].set_index("feature")["importance"]
    text_input = "input: text (description)"
    assert imp[text_input] > max(imp["x2"], imp["colour"]) + 0.2, imp
    assert imp["x1"] > max(imp["x2"], imp["colour"]) + 0.2, imp
    assert "Why one test row got its prediction (columns and words)" in texts(at)
    at.button(key="mixed_go").click().run()
    e = _finish(at, (run_id, "mixed_eval")).result
    assert e.parts.columns == ["x1", "x2", "colour", "description"] and e.words
    said = texts(at)
    assert "Which words of 'description' moved it" in said and "Starts at the average" in said
    shown = "".join(str(h.proto.body) for h in at.get("html"))
    assert all(w in shown for w in e.words)

    goto(at, "6_predict")
    assert "which words of its text did" in texts(at)
    at.button(key="pred_current").click().run()
    no_crash(at)
    i = next(k for k, t in enumerate(df["description"]) if "premium" in t)
    at.number_input(key=f"why_row_{run_id}").set_value(i)
    at.button(key="why_go").click().run()
    e = _finish(at, (run_id, "mixed_row")).result
    assert e.words == df["description"].iloc[i].split()
    assert e.top_words(None, 1)[0][0] == "premium", e.effects()
    assert "Which words of 'description' moved it" in texts(at)
    assert "the Evaluate page shows" not in texts(at)


@pytest.mark.slow
def test_predict_shows_the_words_of_a_text_model_row():
    """A text model: Predict's "Why this prediction?" shows the words of a predicted row
    itself (it used to send the user to the Evaluate page, which shows them only for
    misclassified texts of a classifier)."""
    import numpy as np
    import pandas as pd
    from tests.app.test_explain_pages import _open, _train
    rng = np.random.default_rng(3)
    words = ["great", "superb", "awful", "poor", "the", "it"]
    docs = [" ".join(rng.choice(words, 4)) for _ in range(120)]
    reviews = pd.DataFrame({"review": docs, "score": [2.0 * (("great" in d) + ("superb" in d))
                                                      for d in docs]})
    spec = {"data": {"target": "score", "task": "regression",
                     "text": {"max_tokens": 30, "sequence_length": 5}},
            "layers": [{"type": "Embedding", "output_dim": 4},
                       {"type": "GlobalAveragePooling1D"}],
            "training": {"epochs": 5, "learning_rate": 0.02, "early_stopping_patience": 0}}
    at, run_id = _open(reviews, _train(reviews, spec), "score")
    at.session_state.modality = "text"
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    no_crash(at)
    at.number_input(key=f"why_text_row_{run_id}").set_value(2).run()
    no_crash(at)
    shown = "".join(str(h.proto.body) for h in at.get("html"))
    assert all(w in shown for w in docs[2].split())
    assert "green words pushed the prediction towards a higher value" in texts(at)
