"""The glossary (kwk/learn/glossary.toml) and the plain-words helpers: the words every page
looks up exist, a wrong file is refused with its line, the metrics tables speak plain words."""
import re
from pathlib import Path

import pytest

from kwk.learn import glossary as g

ROOT = Path(__file__).resolve().parents[1]

# the terms issue 32 names: each must be found, by these very words
ISSUE_TERMS = ["epoch", "batch size", "learning rate", "loss", "validation", "test set",
               "overfitting", "dropout", "dense layer", "activation", "ReLU", "softmax",
               "optimizer", "Adam", "accuracy", "balanced accuracy", "precision", "recall", "F1",
               "AUC/ROC", "log loss", "RMSE", "MAE", "R²", "confusion matrix", "residual",
               "profiler", "SHAP", "permutation importance", "early stopping", "weight decay",
               "convolution", "pooling", "RNN/LSTM", "embedding", "one-hot", "standardise",
               "imputation", "cross-validation", "seed", "bootstrap interval"]


def test_the_bundled_glossary_has_every_term_the_issue_names():
    gl = g.glossary()
    missing = [t for t in ISSUE_TERMS if t not in gl]
    assert not missing
    for e in gl.entries:  # each with plain words and a short meaning
        assert e.plain and e.plain != e.term, e.id
        assert 20 <= len(e.means) <= g.MAX_MEANS, e.id


def test_say_gives_the_plain_or_the_usual_word_and_define_the_meaning():
    assert g.say("epochs", True) == "rounds through the data"
    assert g.say("epochs", False) == "epochs"
    assert g.say("Batch_Size", False) == "batch size"  # case and underscores do not matter
    assert g.say("f1_macro", True) == g.say("F1 (macro)", True) == g.say("F1", True)
    text = g.define("epochs", plain=True)
    assert text.startswith("**rounds through the data** (usually called *epochs*)")
    assert "See also: batch size, early stopping, overfitting." in text
    assert g.define("epochs").startswith("**epochs** (in plain words: *rounds through the data*)")
    with pytest.raises(KeyError, match="'flux capacitor' is not in the glossary"):
        g.say("flux capacitor", True)


def test_search_finds_a_term_by_its_words_or_its_meaning():
    gl = g.glossary()
    assert [e.id for e in gl.search("rounds through")] == ["epochs"]
    found = [e.id for e in gl.search("memorising")]
    assert found[0] == "overfitting"  # its plain words match; others only in their meaning
    assert "dropout" in found
    assert len(gl.search("")) == len(gl)
    assert gl.search("zzzz nothing") == []


# ------------------------------------------------------------------ every word on screen is in it
CALL = re.compile(r"(?:words\.(?:label|tip)|\.say|\.define)\(\s*(['\"])(.+?)\1")
ON_PAGE = re.compile(r"words\.on_page\(\s*\[(.*?)\]", re.S)


def _sources():
    files = [ROOT / "kwk_app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "kwk").rglob("*.py"))]
    return [(f, f.read_text(encoding="utf-8")) for f in files]


def test_every_term_the_code_looks_up_is_in_the_glossary():
    used = []
    for f, text in _sources():
        used += [(f.name, m.group(2)) for m in CALL.finditer(text)]
        for m in ON_PAGE.finditer(text):
            used += [(f.name, w) for w in re.findall(r"['\"](.+?)['\"]", m.group(1))]
    files = {f for f, _ in used}
    assert {"3_build.py", "2_target.py", "tables.py"} <= files, files  # the scan sees the calls
    assert len(used) >= 20
    missing = [(f, w) for f, w in used if w not in g.glossary()]
    assert not missing


def test_the_settings_layers_and_metrics_learners_meet_are_in_the_glossary():
    from kwk.catalog.layers import CATALOG
    from kwk.spec import TRAINING_PARAMS
    from kwk.ui.tables import NICE
    gl = g.glossary()
    assert [t for t in CATALOG if t not in gl] == []  # the Build palette's plain words
    names = {p.name for p in TRAINING_PARAMS}
    for must in ("epochs", "batch_size", "learning_rate", "optimizer", "early_stopping_patience",
                 "validation", "validation_fraction", "test_fraction", "seed", "weight_decay"):
        assert must in names and must in gl, must
    assert [n for n in NICE.values() if n not in gl] == []
    # the optimizer's momentum is a training word; BatchNormalization's is not the same thing
    assert "training.momentum" in gl and "momentum" not in gl


# ------------------------------------------------------------------ a wrong file is refused
GOOD = '''# a small glossary
[epochs]
term = "epochs"
plain = "rounds through the data"
means = "One pass over all the training rows."
see_also = ["batch size"]

[batch_size]
term = "batch size"
plain = "rows per step"
means = "How many rows before the weights change once."
'''


def test_a_good_small_file_reads():
    gl = g.parse(GOOD, "mine.toml")
    assert [e.term for e in gl.entries] == ["epochs", "batch size"]
    assert gl.say("batch_size", True) == "rows per step"


@pytest.mark.parametrize("change, line, reason", [
    (('plain = "rows per step"', 'plain = rows per step'), 10, "not valid TOML"),
    (('plain = "rows per step"\n', ''), 8, "[batch_size] has no 'plain'"),
    (('see_also = ["batch size"]', 'see_also = ["batch sizes"]'), 6,
     "'see_also' names 'batch sizes', which is not a term"),
    (('means = "How many', 'meaning = "x"\nmeans = "How many'), 11,
     "'meaning' is not a key of a term; the keys are: term, plain, means, see_also, names"),
    (('term = "batch size"', 'term = "epochs"'), 9,
     "'epochs' is already a word of [epochs]"),
    (('plain = "rounds through the data"', 'plain = ""'), 4,
     "'plain' must be a text in quotes, not empty"),
    (('see_also = ["batch size"]', 'see_also = "batch size"'), 6,
     "'see_also' must be a list of texts"),
    (('means = "One pass over all the training rows."', 'means = "' + "word " * 100 + '"'), 5,
     "say it in one or two sentences"),
])
def test_a_file_with_a_mistake_is_refused_with_its_line_and_reason(change, line, reason):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(g.GlossaryError) as e:
        g.parse(text, "mine.toml")
    assert e.value.problems[0][0] == line, e.value.message
    assert reason in e.value.problems[0][1]
    assert e.value.message.startswith(f"mine.toml, line {line}: ")


def test_a_file_that_cannot_be_read_is_refused(tmp_path):
    with pytest.raises(g.GlossaryError, match="cannot be read"):
        g.load(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("title = 3\n")
    with pytest.raises(g.GlossaryError, match=r"bad.toml, line 1: 'title' must be a term's table"):
        g.load(bad)


# ------------------------------------------------------------------ the metrics tables
METRICS = {"task": "binary",
           "test": {"accuracy": 0.9, "balanced_accuracy": 0.88, "f1_macro": 0.87,
                    "log_loss": 0.3, "roc_auc": 0.95},
           "test_ci": {"accuracy": [0.85, 0.94]},
           "baseline": {"name": "majority class", "accuracy": 0.5},
           "simple_model": {"name": "logistic regression", "accuracy": 0.9},
           "cv": {"k": 5, "mean": {"accuracy": 0.9}, "sd": {"accuracy": 0.02}}}


def test_the_metrics_table_names_each_metric_in_plain_words_and_says_what_it_means():
    from kwk.ui.tables import assessment_table, metrics_display, metrics_table
    table = metrics_table(METRICS)
    usual, cols, _ = metrics_display(table, METRICS, plain=False)
    plain, pcols, _ = metrics_display(table, METRICS, plain=True)
    assert list(usual["metric"])[:2] == ["Accuracy", "Balanced accuracy"]  # as before
    assert list(plain["metric"])[:3] == ["share right", "right, per class", "found and right"]
    assert plain["network"].equals(usual["network"])  # only the words change
    tip = cols["metric"]["help"]
    assert "**accuracy** (*share right*): The share of rows where the predicted class" in tip
    assert "**share right** (*accuracy*)" in pcols["metric"]["help"]
    assert "ROC AUC" in tip and "log loss" in tip
    assert pcols["95% CI"]["label"] == "likely range" and cols["95% CI"]["label"] == "95% CI"
    assert "resampled" in cols["95% CI"]["help"]
    assert "guessing without looking" in cols["baseline: majority class"]["help"]
    assert sum(c["width"] for c in pcols.values()) == sum(c["width"] for c in cols.values())
    assert assessment_table(METRICS, plain=True)["metric"].iloc[0] == "share right"
    assert assessment_table(METRICS, plain=False)["metric"].iloc[0] == "Accuracy"
    # outside a running page the switch reads off: the usual words
    assert list(metrics_display(table, METRICS)[0]["metric"]) == list(usual["metric"])


def test_the_notices_name_the_metrics_in_the_words_of_the_table():
    from kwk.ui.tables import reference_notice, simple_model_notice
    m = {**METRICS, "reference": {"name": "gradient boosting", "accuracy": 0.95}}
    comp = {"accuracy": {"verdict": "worse"}, "balanced_accuracy": {"verdict": "worse"}}
    assert "on Accuracy, Balanced accuracy, by more" in simple_model_notice(m, comp, plain=False)
    assert ("on share right (Accuracy), right, per class (Balanced accuracy), by more"
            in simple_model_notice(m, comp, plain=True))
    assert reference_notice(m, plain=True).startswith(
        "Gradient boosting does better than this network on share right (Accuracy). ")
    assert reference_notice(m).startswith(
        "Gradient boosting does better than this network on Accuracy. ")


def test_no_form_shows_two_settings_under_the_same_plain_words():
    """Each layer's settings, and the training settings, keep distinct labels with the switch
    on (a bias's initializer is not called 'starting weights' beside the weights' one)."""
    from kwk.catalog.layers import CATALOG
    from kwk.spec import TRAINING_PARAMS
    from kwk.ui.forms import _names
    from kwk.ui.words import entry_for
    forms = {name: lt.params for name, lt in CATALOG.items()} | {"training": TRAINING_PARAMS}
    plain_labels = 0
    for name, params in forms.items():
        labels = []
        for p in params:
            e = entry_for(_names(p))
            labels.append(e.plain if e is not None else p.name.replace("_", " "))
            plain_labels += e is not None
        assert len(labels) == len(set(labels)), (name, labels)
    assert plain_labels >= 40
    t = {p.name: entry_for(_names(p)) for p in TRAINING_PARAMS}
    assert t["momentum"].term == "momentum (optimizer)"
    bn = {p.name: entry_for(_names(p)) for p in CATALOG["BatchNormalization"].params}
    assert bn["momentum"] is None  # BatchNormalization's running average is another thing
