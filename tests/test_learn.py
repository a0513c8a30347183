"""Lessons (kwk.learn): the format and its refusals with line and reason, the named checks on
plain state dicts, the progress file, and the bundled Playground lessons reachable."""
import json
import math
import pickle

import numpy as np
import pytest

from kwk.learn import progress as prog
from kwk.learn.checks import CHECKS, playground_state, run_check, run_state
from kwk.learn.lessons import BUNDLED, LessonError, line_of, load_all, parse, playground_config

GOOD = """\
title = "One neuron"
page = "playground"
goal = "Test loss under 0.1."
hints = ["Press Play."]
why = "It worked."

[setup]
dataset = "gauss"
layers = []

[check]
name = "playground_test_loss_below"
threshold = 0.1
max_layers = 0
"""


def refused(text: str, file: str = "lesson_x.toml") -> list[str]:
    with pytest.raises(LessonError) as e:
        parse(text, file)
    return e.value.message.splitlines()


# ----------------------------------------------------------------------------- the format
def test_bundled_lessons_load_in_order():
    lessons, bad = load_all([BUNDLED])
    assert bad == []
    assert len(lessons) >= 8
    assert lessons[0].title == "One neuron draws a line"
    assert lessons[-1].title == "Your own table, honestly evaluated"
    assert [x.id for x in lessons] == sorted(x.id for x in lessons)
    topics = " ".join(x.title.lower() + x.intro.lower() for x in lessons)
    for word in ("overfitting", "regularisation", "learning rate", "depth", "width", "cnn",
                 "rnn", "lstm"):
        assert word in topics, word
    for x in lessons:
        assert x.goal and x.hints and x.why and x.check in CHECKS
        assert len([s for s in x.why.replace("\n", " ").split(". ") if s.strip()]) <= 4


def test_a_good_file_reads():
    lesson = parse(GOOD, "01_one.toml")
    assert lesson.id == "01_one" and lesson.page == "playground" and lesson.needs == "playground"
    assert lesson.params == {"threshold": 0.1, "max_layers": 0}
    assert playground_config(lesson.setup).layers == []


def test_a_wrong_threshold_is_refused_with_its_line():
    text = GOOD.replace("threshold = 0.1", 'threshold = "low"')
    assert refused(text) == ["lesson_x.toml, line 13: 'threshold' must be a number, not the "
                             "text \"low\""]


def test_a_toml_syntax_error_gives_the_line():
    text = GOOD.replace('goal = "Test loss under 0.1."', "goal = Test loss")
    (msg,) = refused(text)
    assert msg.startswith("lesson_x.toml, line 3: ") and "not valid TOML" in msg


def test_unknown_key_missing_goal_and_bad_check_all_at_once():
    text = GOOD.replace('goal = "Test loss under 0.1."\n', "").replace(
        'why = "It worked."', 'why = "It worked."\ntarget = 3').replace(
        "playground_test_loss_below", "playground_loss")
    msgs = refused(text)
    assert msgs[0] == ("lesson_x.toml, line 5: 'target' is not a lesson key; the keys are: "
                       "title, page, summary, intro, goal, hints, why, setup, check")
    assert "lesson_x.toml: the lesson has no 'goal' (one sentence with a measurable target)" \
        in msgs
    assert any(m.startswith("lesson_x.toml, line 12: 'playground_loss' is not a check; the "
                            "checks are: playground_test_loss_below") for m in msgs)
    assert len(msgs) == 3


@pytest.mark.parametrize("old,new,want", [
    ("max_layers = 0", "max_layer = 0",
     "line 14: 'max_layer' is not a parameter of playground_test_loss_below"),
    ("max_layers = 0", "max_layers = 11", "line 14: 'max_layers' is 11 but must be from 0 to 10"),
    ("threshold = 0.1\n", "", "line 11: playground_test_loss_below needs 'threshold'"),
    ('dataset = "gauss"', 'dataset = "gaus"', "line 8: dataset 'gaus' is not one of circle"),
    ('dataset = "gauss"', "learning = 0.1", "line 8: 'learning' is not a Playground setting"),
    ("layers = []", 'layers = "4"', "line 9: 'layers' must be a list"),
    ('page = "playground"', 'page = "train"',
     "line 12: playground_test_loss_below reads the Playground, but the lesson opens the train"),
    ('page = "playground"', 'page = "home"', "line 2: 'page' is \"home\"; choose one of:"),
    ('hints = ["Press Play."]', "hints = []", "line 4: 'hints' must be a list of at least one"),
])
def test_each_rule_names_the_line_and_the_reason(old, new, want):
    msgs = refused(GOOD.replace(old, new))
    assert any(m.startswith(f"lesson_x.toml, {want}") for m in msgs), msgs


def test_main_flow_setup_rules():
    text = GOOD.replace('page = "playground"', 'page = "train"').replace(
        "[setup]\ndataset = \"gauss\"\nlayers = []",
        '[setup]\nsample = "churns"\ntemplate = "Small MLP"\n\n[setup.training]\nepochs = "ten"'
    ).replace("playground_test_loss_below", "run_metric_at_least").replace(
        "max_layers = 0", 'metric = "accuracy"')
    msgs = refused(text)
    assert msgs[0].startswith("lesson_x.toml, line 8: 'sample' is \"churns\"; the samples are: ")
    assert msgs[1] == "lesson_x.toml, line 12: 'epochs' must be a whole number"
    assert len(msgs) == 2


def test_line_of_skips_multiline_strings_and_finds_dotted_keys():
    text = 'intro = """\nthreshold = 1\n"""\n[check]\nname = "x"\n  threshold = 2\n' \
           '[setup]\ntraining.epochs = 3\n'
    assert line_of(text, ("check", "threshold")) == 6
    assert line_of(text, ("check",)) == 4
    assert line_of(text, ("setup", "training", "epochs")) == 8
    assert line_of(text, ("setup", "training", "batch_size")) == 7  # the enclosing table
    assert line_of(text, ()) is None


def test_teacher_folder_adds_replaces_and_reports(tmp_path, monkeypatch):
    (tmp_path / "01_one_neuron.toml").write_text(GOOD.replace('"One neuron"', '"My first"'))
    (tmp_path / "50_mine.toml").write_text(GOOD)
    (tmp_path / "60_broken.toml").write_text(GOOD.replace("threshold = 0.1", "threshold = x"))
    monkeypatch.setenv("KWK_LESSONS_DIR", str(tmp_path))
    lessons, bad = load_all()
    ids = [x.id for x in lessons]
    assert ids[0] == "01_one_neuron" and lessons[0].title == "My first"  # replaced in place
    assert ids[-1] == "50_mine" and len(ids) == len(load_all([BUNDLED])[0]) + 1
    assert [e.file for e in bad] == ["60_broken.toml"]
    assert pickle.loads(pickle.dumps(bad[0])).message == bad[0].message  # cached by the app
    assert bad[0].message.startswith("60_broken.toml, line 13: ")
    monkeypatch.setenv("KWK_LESSONS_DIR", str(tmp_path / "missing"))
    assert "does not exist" in load_all()[1][0].message


# ----------------------------------------------------------------------------- checks
def pg_state(loss=0.3, train=None, epoch=50, history=None, error=None, **config):
    cfg = {"dataset": "gauss", "layers": [], "features": ["x1", "x2"], "noise": 0,
           "points": 500, "learning_rate": 0.03, **config}
    hist = history or [0.7] * (epoch - 1) + [loss] if epoch else []
    snap = {"epoch": epoch, "train_loss": loss if train is None else train, "test_loss": loss,
            "history": {"train": hist, "test": hist}, "error": error}
    return {"playground": playground_state(cfg, snap), "run": None}


def test_playground_check_answers_in_words():
    c = "playground_test_loss_below"
    v = run_check(c, {"threshold": 0.1}, pg_state(loss=0.31))
    assert not v.done and v.message.startswith(
        "Not yet: your test loss is 0.310; the goal is under 0.10.")
    v = run_check(c, {"threshold": 0.1}, pg_state(loss=0.04))
    assert v.done and v.message == ("Your test loss is 0.040, under the goal of 0.10, with no "
                                    "hidden layer after 50 epochs.")
    assert "epoch 0" in run_check(c, {"threshold": 0.1}, pg_state(epoch=0)).message
    assert "Spiral" in run_check(c, {"threshold": 0.1, "dataset": "spiral"}, pg_state()).message
    v = run_check(c, {"threshold": 0.1, "max_layers": 2}, pg_state(layers=[4, 4, 4], loss=0.01))
    assert not v.done and "3 hidden layers" in v.message and "at most 2" in v.message
    v = run_check(c, {"threshold": 0.1, "features": ["x1", "x2"]},
                  pg_state(features=["x1", "x2", "x1_sq"], loss=0.01))
    assert not v.done and "X₁²" in v.message
    v = run_check(c, {"threshold": 0.1, "min_epochs": 300}, pg_state(loss=0.01, epoch=120))
    assert not v.done and "at least 300 epochs (you are at 120)" in v.message
    v = run_check(c, {"threshold": 0.1}, pg_state(loss=0.6, train=0.01))
    assert "overfitting" in v.message
    v = run_check(c, {"threshold": 0.1}, pg_state(error="The loss became NaN or infinite."))
    assert v.message == "Not yet: The loss became NaN or infinite."
    v = run_check(c, {"threshold": 0.1}, {"playground": None, "run": None})
    assert not v.done and "Playground" in v.message


def test_learning_rate_check_reads_the_first_epochs():
    c = "playground_fast_enough"
    p = {"threshold": 0.15, "within_epochs": 10}
    hist = [0.7, 0.5, 0.3, 0.2, 0.14, 0.1, 0.4, 0.3, 0.2, 0.2, 0.05]
    v = run_check(c, p, pg_state(history=hist, epoch=len(hist), loss=hist[-1]))
    assert v.done and "0.140 at epoch 5" in v.message  # the first under 0.15, by hand
    crawl = [0.741 - 0.0001 * i for i in range(12)]
    v = run_check(c, p, pg_state(history=crawl, epoch=12, loss=crawl[-1], learning_rate=1e-5))
    assert not v.done and "steps are tiny" in v.message and "0.741 to 0.740" in v.message
    bounce = [0.8, 1.3, 0.7, 1.4, 0.9, 4.8, 0.4, 1.1, 0.9, 1.2]
    v = run_check(c, p, pg_state(history=bounce, epoch=10, loss=1.2, learning_rate=10.0))
    assert not v.done and "jumps up and down (between 0.40 and 4.80)" in v.message
    v = run_check(c, p, pg_state(history=[0.7, 0.6], epoch=2, loss=0.6))
    assert not v.done and "epoch 2 of the 10 allowed" in v.message


def churn_run(y, proba, **extra):
    """A stored run's fields with metrics computed by KwK's own code on known answers."""
    from kwk.evaluation.metrics import classification_metrics
    test = classification_metrics(y, proba, ["no", "yes"])
    base = classification_metrics(y, np.tile([0.8, 0.2], (len(y), 1)), ["no", "yes"])
    return {"id": "abc", "data_name": "churn.csv", "task": "binary", "spec": {
        "layers": [{"type": "Dense"}]}, "metrics": {
        "task": "binary", "n_test": len(y), "test": test,
        "baseline": {**base, "name": "majority class"}}, **extra}


def test_run_checks_against_scikit_learn():
    from sklearn.metrics import balanced_accuracy_score
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.25).astype(int)
    p1 = np.where(y == 1, rng.uniform(0.3, 0.9, 200), rng.uniform(0.05, 0.6, 200))
    proba = np.c_[1 - p1, p1]
    want = balanced_accuracy_score(y, (p1 > 0.5).astype(int))
    state = {"playground": None, "run": run_state(churn_run(y, proba))}
    params = {"metric": "balanced_accuracy", "threshold": round(want + 0.01, 3),
              "sample": "churn"}
    v = run_check("run_metric_at_least", params, state)
    assert not v.done and f"your test balanced accuracy is {want:.3f}" in v.message
    v = run_check("run_metric_at_least", {**params, "threshold": round(want - 0.01, 3)}, state)
    assert v.done and f"{want:.3f}" in v.message
    v = run_check("run_metric_at_least", {**params, "sample": "digits"}, state)
    assert not v.done and "'churn.csv'" in v.message and "'digits' sample" in v.message
    v = run_check("run_metric_at_least", {**params, "layers_any": ["Conv2D"]}, state)
    assert not v.done and "no Conv2D layer" in v.message
    training = {"playground": None, "run": run_state(None, training=True)}
    assert "still training" in run_check("run_metric_at_least", params, training).message
    assert "no trained model" in run_check("run_metric_at_least", params,
                                           {"playground": None, "run": None}).message


def test_beating_the_naive_forecast_and_the_honest_comparison():
    from sklearn.metrics import mean_absolute_error
    y = np.array([10.0, 12, 11, 15, 14, 13])
    mine, naive, lin = y + [1, -1, 1, -1, 1, -1], np.r_[9.0, y[:-1]], y + 0.5
    m = {"task": "regression", "n_test": 6,
         "test": {"mae": mean_absolute_error(y, mine)},
         "baseline": {"mae": mean_absolute_error(y, naive), "name": "naive forecast (last value)"},
         "simple_model": {"mae": mean_absolute_error(y, lin), "name": "linear regression"}}
    run = {"id": "r", "data_name": "store_sales.csv", "task": "regression", "metrics": m,
           "spec": {"layers": [{"type": "LSTM"}, {"type": "Dense"}]}}
    v = run_check("run_beats_baseline", {"metric": "mae", "layers_any": ["LSTM", "GRU"]},
                  {"run": run_state(run)})
    assert v.done  # by hand: |errors| of the naive forecast 1, 2, 1, 4, 1, 1 -> 10 / 6
    assert v.message == ("Your network's test MAE is 1.000; the naive forecast (last value) "
                         "gets 1.667. For comparison on the same test rows, a linear "
                         "regression gets 0.500 (better than yours).")


def test_your_own_table_needs_own_data_and_evaluate():
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    proba = np.c_[1 - y * 0.9 - 0.05, y * 0.9 + 0.05]
    for name, evaluated, want in [("churn.csv", True, "bundled sample"),
                                  ("grades.csv", False, "open the **Evaluate** page"),
                                  ("grades.csv", True, "judged on 8 test rows it never saw")]:
        run = run_state(churn_run(y, proba, data_name=name), evaluated=evaluated)
        v = run_check("run_evaluated", {"own_data": True}, {"run": run})
        assert want in v.message and v.done == (want.startswith("judged"))


@pytest.mark.slow
@pytest.mark.parametrize("lesson,change", [("01_one_neuron", {}),
                                           ("02_hidden_layer", {"layers": [4]})])
def test_playground_lessons_reach_done_and_the_loss_is_the_log_loss(lesson, change):
    """The first lessons are reachable by following their hints, and the test loss the check
    reads is the log-loss of the network's predictions on the test points (scikit-learn)."""
    from sklearn.metrics import log_loss

    from kwk.playground.engine import Playground
    x = next(x for x in load_all([BUNDLED])[0] if x.id == lesson)
    pg = Playground(playground_config({**x.setup, **change}))
    state = lambda: {"playground": playground_state(pg.config.as_dict(), {  # noqa: E731
        "epoch": pg.epoch, "train_loss": pg.history["train"][-1],
        "test_loss": pg.history["test"][-1], "history": pg.history})}
    pg.train_epoch()
    assert not run_check(x.check, x.params, state()).done
    for _ in range(600):
        pg.train_epoch()
        if run_check(x.check, x.params, state()).done:
            break
    assert run_check(x.check, x.params, state()).done
    p = pg._predict(pg.X[pg.test_idx]).astype(float)
    assert math.isclose(pg.history["test"][-1], log_loss(pg.y[pg.test_idx], p, labels=[0, 1]),
                        rel_tol=1e-4)
    pg.close()


# ----------------------------------------------------------------------------- progress
def test_progress_is_kept_per_learner(tmp_path):
    a, b = prog.new_learner_id(), prog.new_learner_id()
    assert a != b and prog.valid_learner_id(a) and not prog.valid_learner_id("../../etc")
    p = prog.Progress()
    assert p.mark_done("01") and not p.mark_done("01")
    assert p.show_hint("01", 2) == 1 and p.show_hint("01", 2) == 2 and p.show_hint("01", 2) == 2
    p.current = "02"
    assert prog.save(a, p, tmp_path)
    again = prog.load(a, tmp_path)
    assert again.done == ["01"] and again.hints == {"01": 2} and again.current == "02"
    assert prog.load(b, tmp_path).done == []
    path = prog.path_for("user:ann@example.com", tmp_path)
    assert "@" not in path.name and path.parent == tmp_path
    path.write_text("{not json")
    assert prog.load("user:ann@example.com", tmp_path).done == []
    assert json.loads(prog.path_for(a, tmp_path).read_text())["version"] == 1
    assert prog.Progress(["x"], {"x": 1}).merge(prog.Progress(["y"], {"x": 2})).to_dict() == {
        "version": 1, "done": ["x", "y"], "hints": {"x": 2}, "current": None}
