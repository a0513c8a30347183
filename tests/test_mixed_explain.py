"""A table with a text column, explained and compared fairly (issue 28, item 6): the text
branch is sized from the data (a 30-word text gets a 30-word vocabulary, not 10,000), the
comparison models read the text (TF-IDF) and score like an independent scikit-learn pipeline,
permutation importance ranks the text input and the deciding number above the noise, and one
row's explanation names the deciding word."""
import re

import numpy as np
import pandas as pd
import pytest

FILL = ("nice item for home the a great value quality with good fine small big new old red "
        "blue soft hard light dark warm cool fresh plain").split()  # 26 filler words


def table_text_word(n=1200, seed=0, interaction=True) -> pd.DataFrame:
    """Two numbers, a category and a short text. The text holds 'premium' or 'basic' at a
    random place among filler words. With ``interaction`` the label is yes when x1 > 0 in a
    premium text and when x1 < 0 in a basic one (the word and x1 decide together; x2 and the
    colour are noise); without it the word alone decides."""
    rng = np.random.default_rng(seed)
    x1, kw = rng.normal(size=n), rng.choice([-1, 1], n)
    desc = []
    for k in kw:
        words = list(rng.choice(FILL, 6))
        words.insert(int(rng.integers(0, 7)), "premium" if k > 0 else "basic")
        desc.append(" ".join(words))
    signal = x1 * kw if interaction else kw + 0.0 * x1
    y = np.where(signal + 0.05 * rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": rng.normal(size=n),
                         "colour": rng.choice(["red", "green", "blue"], n),
                         "description": desc, "bought": y})


def preset_spec(**training):
    """The app's default table + text model (the "Table + text" template), text settings as
    the Target page leaves them (10,000 words at most, 100 words per text)."""
    from kwk.catalog.presets import TEMPLATES
    t = TEMPLATES["Table + text"]
    return {"data": {"target": "bought",
                     "text": {"column": "description", "max_tokens": 10_000,
                              "sequence_length": 12}},
            "branches": t["branches"], "layers": t["layers"],
            "training": {"epochs": 25, "learning_rate": 0.01, "seed": 0,
                         "early_stopping_patience": 0, **training}}


def _words(text):  # independent of kwk: lower-case letters, punctuation dropped
    return re.sub(r"[^\w\s]", "", text.lower()).split()


# ------------------------------------------------------------------ sizes from the data
def test_vocabulary_and_embedding_are_sized_from_the_training_texts():
    from kwk.prep.prepare import prepare
    from kwk.prep.text import embedding_dim
    df = table_text_word(600)
    prep = prepare(df, preset_spec())
    train = df.iloc[prep.rows["train"]]["description"]
    counts = pd.Series([w for t in train for w in _words(t)]).value_counts()
    seen_twice = int((counts >= 2).sum())
    assert seen_twice == 28  # 26 filler words + premium + basic
    emb = next(x for x in prep.spec["branches"]["text"] if x["type"] == "Embedding")
    assert prep.spec["data"]["text"]["max_tokens"] == seen_twice + 2
    assert emb["input_dim"] == seen_twice + 2  # 0 pads, 1 is any other word
    assert emb["output_dim"] == round(1.6 * 30 ** 0.56) == embedding_dim(30) == 11
    vocab = next(c for c in prep.pre.state["columns"] if "vocabulary" in c)["vocabulary"]
    assert set(vocab) == set(counts[counts >= 2].index)
    assert any("vocabulary holds 30 word numbers (cap 10,000" in n for n in prep.notes)
    # the weights the run's network gets: a few thousand, not 322,305
    from kwk.spec import check_stack
    shapes = check_stack(prep.spec, prep.n_inputs, 2)
    total = sum(s.get("params", 0) for s in shapes)
    # by hand: table Dense(32) on x1, x2, three colours; Embedding 30 x 11; average;
    # head Dense(32) on 32 + 11; output Dense(1)
    assert prep.n_inputs == 5 + 12
    hand = (5 * 32 + 32) + 30 * 11 + (32 + 11) * 32 + 32 + (32 + 1)
    assert total == hand == 1963, (total, hand, shapes)


def test_words_seen_once_read_as_unknown_and_the_cap_still_holds():
    from kwk.prep.text import fit_vocabulary, sized_text, vocabulary_size
    texts = ["a b c", "a b d", "a e"]
    assert fit_vocabulary(texts, 100) == ["a", "b"]  # c, d, e seen once
    assert vocabulary_size({"a": 3, "b": 2, "c": 1}, 100) == 4
    assert vocabulary_size({w: 5 for w in "abcdefghij"}, 6) == 6  # the user's cap
    spec = {"data": {"text": {"max_tokens": 50, "sequence_length": 4}, "features": ["t"]},
            "layers": [{"type": "Embedding", "input_dim": 50, "output_dim": 4,
                        "weights": {"file": "x.keras", "layer": "e"}}]}
    assert sized_text(spec, texts) == (spec, None)  # reused weights keep their sizes


# ------------------------------------------------------------------ fair references
class _Constant:
    """A stand-in network: probability 0.5 for every row (the references are under test)."""

    def predict(self, X, verbose=0, batch_size=None):
        return np.full((len(X), 1), 0.5)


def test_references_read_the_text_and_match_an_independent_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline

    from kwk.evaluation.metrics import evaluate_prepared
    from kwk.prep.prepare import prepare
    df = table_text_word(800, seed=1, interaction=False)  # the word alone decides
    prep = prepare(df, preset_spec())
    m, _ = evaluate_prepared(_Constant(), prep)
    tr, te = df.iloc[prep.rows["train"]], df.iloc[prep.rows["test"]]
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(tr["description"],
                                                                      tr["bought"])
    independent = balanced_accuracy_score(te["bought"], pipe.predict(te["description"]))
    assert independent > 0.95
    simple, ref = m["simple_model"], m["reference"]
    assert "TF-IDF(description)" in simple["name"] and "TF-IDF(description)" in ref["name"]
    assert simple["balanced_accuracy"] >= independent - 0.02, (simple, independent)
    assert ref["balanced_accuracy"] >= independent - 0.02, (ref, independent)


def test_references_say_when_they_did_not_see_the_text():
    from kwk.evaluation.metrics import evaluate_prepared
    from kwk.prep.prepare import prepare
    prep = prepare(table_text_word(300, seed=2, interaction=False), preset_spec())
    prep.source = None  # the raw rows are not at hand (as for a streamed file)
    m, _ = evaluate_prepared(_Constant(), prep)
    assert "did not see the text 'description'" in m["simple_model"]["name"]
    assert "did not see the text 'description'" in m["reference"]["name"]


# ------------------------------------------------------------------ a trained model
@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    from kwk.data import load
    from kwk.runs.bundle import load_bundle
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    d = tmp_path_factory.mktemp("mixed_explain")
    path = d / "shop.csv"
    table_text_word(1500).to_csv(path, index=False)
    ld = load(str(path))
    res = Job(prepare(ld.df, preset_spec())).run()
    out = save_run(res, DataSource.of(ld, path=str(path)), out_dir=d / "run", script=False)
    with np.load(d / "run" / "evaluation.npz") as z:
        test_rows = z["test_rows"]
    return load_bundle(d / "run"), ld.df, test_rows, out


@pytest.mark.slow
def test_importance_ranks_the_text_and_the_deciding_number_above_noise(mixed_run):
    from kwk.evaluation.mixed import input_importance
    b, df, test_rows, _ = mixed_run
    assert b.metrics["test"]["balanced_accuracy"] > 0.9, b.metrics["test"]
    # the network itself is small: the text branch read 30 word numbers, 11 numbers each
    emb = next(x for x in b.spec["branches"]["text"] if x["type"] == "Embedding")
    assert (emb["input_dim"], emb["output_dim"]) == (30, 11)
    assert b.model.count_params() < 5_000, b.model.count_params()
    rows = df.iloc[test_rows]
    imp = input_importance(b, rows, b.pre.encode_target(rows["bought"]), repeats=3, seed=0)
    v = imp.set_index("feature")["importance"]
    text_input = next(f for f in v.index if f.startswith("input: text"))
    noise = max(v["x2"], v["colour"])
    assert v[text_input] > noise + 0.3 and v["x1"] > noise + 0.3, imp
    assert set(imp["feature"][:3]) >= {text_input, "x1"}, imp


@pytest.mark.slow
def test_one_row_is_explained_by_its_columns_and_its_deciding_word(mixed_run):
    from kwk.evaluation.explain import background_for
    from kwk.evaluation.mixed import explain_row
    b, df, test_rows, _ = mixed_run
    bg = background_for(df, test_rows, 40, 0)
    i = next(r for r in test_rows if "premium" in df["description"].iloc[r]
             and df["x1"].iloc[r] > 0.8)
    e = explain_row(b, df.iloc[[i]], bg, permutations=4)
    p = e.parts
    assert p.columns == ["x1", "x2", "colour", "description"]
    assert p.additivity_gap() < 1e-6  # base + contributions = the prediction
    assert p.predicted == ["yes"]
    yes = p.output("yes")[0][0]
    contrib = dict(zip(p.columns, yes))
    assert min(contrib["description"], contrib["x1"]) > max(abs(contrib["x2"]),
                                                           abs(contrib["colour"]))
    (top_word, effect), (_, second) = e.top_words("yes", 2)
    assert top_word == "premium" and effect > 0 and effect > 3 * abs(second), e.effects("yes")
    assert [w for w, _ in e.effects()] == df["description"].iloc[i].split()
    assert e.to_json()["words"]["column"] == "description"
    # in a basic text the same number means no: 'basic' is the word that pushed it there
    j = next(r for r in test_rows if "basic" in df["description"].iloc[r]
             and df["x1"].iloc[r] > 0.8)
    e = explain_row(b, df.iloc[[j]], bg, permutations=2)
    assert e.parts.predicted == ["no"] and e.top_words(None, 1)[0][0] == "basic", e.effects()


def test_a_picture_is_one_part_of_a_row_and_the_parts_add_up():
    """Table + pictures: a row is explained by its table columns and its picture as a whole
    (64 pixel columns, one part), exactly additive; checked on a known function of x1 and
    the picture's first pixel, whose Shapley values are known by hand."""
    from kwk.evaluation.mixed import explain_row, parts
    from kwk.prep.prepare import prepare
    from test_mixed import table_and_pictures
    df = table_and_pictures(200)
    prep = prepare(df, {"data": {"target": "label", "image_shape": [8, 8, 1]},
                        "branches": {"table": [{"type": "Dense", "units": 4}],
                                     "image": [{"type": "Flatten"}]}})

    class Fake:  # a model that is additive in x1 and in the picture's first pixel
        pre, threshold = prep.pre, 0.5

        @staticmethod
        def predict_output(raw):
            z = 0.5 * raw["x1"].to_numpy(float) + 0.002 * raw["px_0"].to_numpy(float)
            return np.column_stack([0.5 - z, 0.5 + z])

    assert list(parts(prep.pre)) == ["x1", "picture (64 pixels)"]
    bg, row = df.iloc[100:140], df.iloc[[3]]
    e = explain_row(Fake, row, bg, permutations=3).parts
    assert e.additivity_gap() < 1e-9 and e.rows.iloc[0]["picture (64 pixels)"] == \
        "this row's picture"
    v = e.output("b")[0][0]
    assert np.isclose(v[0], 0.5 * (row["x1"].iloc[0] - bg["x1"].mean()))
    assert np.isclose(v[1], 0.002 * (row["px_0"].iloc[0] - bg["px_0"].mean()))


def test_an_embedding_size_the_user_chose_is_kept():
    """Only the catalog's default numbers per word are sized from the data; 128 typed on Build
    stays 128 (the vocabulary is still sized: it is capped by the words there are)."""
    from kwk.prep.text import sized_text
    spec = {"data": {"text": {"max_tokens": 10_000}},
            "layers": [{"type": "Embedding", "input_dim": None, "output_dim": 128},
                       {"type": "GlobalAveragePooling1D"}]}
    texts = ["good cheap fast", "bad slow dear", "good fast", "slow bad"] * 5
    out, note = sized_text(spec, texts)
    emb = out["layers"][0]
    assert emb["output_dim"] == 128 and emb["input_dim"] == out["data"]["text"]["max_tokens"] < 20
    spec["layers"][0]["output_dim"] = 32  # the default: sized
    assert sized_text(spec, texts)[0]["layers"][0]["output_dim"] < 32
