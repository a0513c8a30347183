"""The automatic search space (issue 33, item 3): regularisation (a Dropout after each hidden
Dense block, weight decay) in the proposed space, every sampled spec valid, and an epoch cap
that grows when the best trials end at it still improving (the search's training budget; the
space's distributions never change)."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.spec import check_stack, default_spec, normalize, resolve
from kwk.tune.space import (DROPOUT, apply, cap_growth, current_values, epoch_budget,
                            growth_text, head_dropout, propose, still_improving, with_dropout)
from tests.testutil import run_cli, run_script


def _frame(n=200, seed=0):
    """A smooth regression: y = 3 x1 - 2 x2 + 40 + a category's shift (known answer)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    y = 3 * x1 - 2 * x2 + 40 + pd.Series(g).map({"a": 0.0, "b": 1.0, "c": -1.0}).to_numpy()
    return pd.DataFrame({"x1": x1, "x2": x2, "g": g, "y": y})


def test_the_proposed_space_regularises_and_starts_at_the_users_network():
    s = normalize(default_spec("y"))  # Dense, Dense: no Dropout, no weight decay
    space = propose(s, train_rows=140)
    assert space[DROPOUT] == {"low": 0.0, "high": 0.5}
    assert space["training.weight_decay"]["choices"][0] == 0.0
    assert {1e-4, 1e-3, 1e-2, 0.1} <= set(space["training.weight_decay"]["choices"])
    # epochs and patience are the search's budget, not searched
    assert "training.epochs" not in space and "training.early_stopping_patience" not in space
    own = current_values(s, space)
    assert own[DROPOUT] == 0.0 and own["training.weight_decay"] == 0.0
    assert apply(s, own) == s  # the user's own point writes back the user's own spec
    # a stack with its own Dropout: its rate is searched, no second dropout setting
    s2 = normalize({"data": {"target": "y"}, "layers": [{"type": "Dense"},
                                                        {"type": "Dropout", "rate": 0.3}]})
    sp2 = propose(s2, 140)
    assert DROPOUT not in sp2 and sp2["layers[1].rate"] == {"low": 0.0, "high": 0.5}


def test_head_dropout_goes_after_every_dense_block():
    s = normalize({"data": {"target": "y"}, "layers": [
        {"type": "Dense", "units": 8}, {"type": "BatchNormalization"},
        {"type": "Dense", "units": 4}, {"type": "Dropout", "rate": 0.1}]})
    out = with_dropout(s["layers"], 0.25)
    assert [(l["type"], l.get("rate")) for l in out] == [
        ("Dense", None), ("Dropout", 0.25), ("BatchNormalization", None), ("Dense", None),
        ("Dropout", 0.25)]
    assert head_dropout(out) == 0.25 and head_dropout(s["layers"]) is None  # 0 and 0.1: mixed
    assert with_dropout(normalize(default_spec("y"))["layers"], 0.0) == \
        normalize(default_spec("y"))["layers"]
    # the depth first, so repeated blocks get the dropout too; weight decay 0 is "none"
    deep = apply(normalize(default_spec("y")), {"hidden_blocks": 3, DROPOUT: 0.4,
                                                "training.weight_decay": 0.0})
    assert [l["type"] for l in deep["layers"]] == ["Dense", "Dropout"] * 3
    assert deep["training"]["weight_decay"] is None


def test_a_space_naming_head_dropout_is_checked():
    from kwk.errors import SpecError
    s = default_spec("y")
    s["tune"] = {"space": {DROPOUT: {"low": 0.0, "high": 1.5}}}
    with pytest.raises(SpecError, match=r"head_dropout.*outside the valid range of rate"):
        normalize(s)
    s["layers"] = [{"type": "Conv1D"}, {"type": "Flatten"}]
    s["tune"] = {"space": {DROPOUT: {"low": 0.0, "high": 0.5}}}
    with pytest.raises(SpecError, match="no Dense block to put a Dropout after"):
        normalize(s)


def test_every_sampled_spec_normalizes_resolves_and_builds():
    import optuna

    from kwk.tune.search import _suggest
    df = _frame()
    s = normalize(default_spec("y"))
    space = propose(s, train_rows=140)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    seen_dropout = seen_decay = False
    for _ in range(40):
        t = study.ask()
        values = {p: _suggest(t, p, r, s["layers"]) for p, r in space.items()}
        study.tell(t, 0.0)
        spec = apply(s, values)
        assert normalize(spec) == spec  # complete and valid as it stands
        resolved, _ = resolve(spec, df)
        check_stack(resolved, 5, 1)  # x1, x2 and the category's 3 levels
        drops = [l["rate"] for l in spec["layers"] if l["type"] == "Dropout"]
        assert drops == ([values[DROPOUT]] * values["hidden_blocks"] if values[DROPOUT] > 0
                         else [])
        seen_dropout |= bool(drops)
        seen_decay |= spec["training"]["weight_decay"] is not None
    assert seen_dropout and seen_decay


def test_still_improving_reads_the_best_epoch():
    assert still_improving({"val_loss": [5, 4, 3, 2]}, 4)
    assert not still_improving({"val_loss": [5, 4, 3, 2]}, 8)  # stopped before the cap
    assert not still_improving({"val_loss": [5, 1, 3, 2]}, 4)  # best long before the end
    # the last tenth: at 50 epochs the best may be any of the last 5
    v = list(np.linspace(10, 1, 46)) + [1.5, 1.2, 1.1, 1.05]
    assert still_improving({"val_loss": v}, 50)
    assert not still_improving({"val_loss": list(np.linspace(10, 1, 40)) + [2.0] * 10}, 50)
    assert still_improving({"loss": [3, 2, 1]}, 3)  # no validation loss: the training loss


def test_the_cap_doubles_when_the_best_trials_hit_it():
    T = lambda v, cap, hit: {"value": v, "epoch_cap": cap, "at_cap": hit}  # noqa: E731
    assert epoch_budget(50, 10, [], True) == {"epochs": 50, "patience": 10}
    # the best three at 50: two of three still improving at the cap -> 100, patience 20
    trials = [T(0.9, 50, True), T(0.8, 50, True), T(0.7, 50, False), T(0.1, 50, False)]
    assert epoch_budget(50, 10, trials, True) == {"epochs": 100, "patience": 20}
    # minimising: the best are the smallest values (here the ones that stopped early)
    assert epoch_budget(50, 10, trials, False) == {"epochs": 50, "patience": 10}
    # only trials at the current cap count; the cap never passes 8x the spec's epochs
    assert epoch_budget(50, 10, [*trials, T(0.95, 100, False)], True)["epochs"] == 100
    assert epoch_budget(50, 10, [T(1, 400, True)], True) == {"epochs": 400, "patience": 80}
    assert epoch_budget(50, 0, trials, True)["patience"] == 0  # never stop early stays so
    g = cap_growth(50, [*trials, T(0.95, 100, True), T(0.9, 200, True)])
    assert g == [{"cap": 50, "hit": 2, "grew_to": 100}, {"cap": 100, "hit": 1, "grew_to": 200}]
    assert growth_text(g).startswith("2 trial(s) hit the 50-epoch cap while still improving: "
                                     "the cap grew to 100; 1 trial(s) hit the 100-epoch cap")


@pytest.mark.slow
def test_a_search_whose_trials_hit_the_cap_trains_later_ones_longer(tmp_path):
    """A smooth regression with a small learning rate: every trial ends at its cap still
    improving, so the cap grows 4 -> 8 -> 16; the CLI says so, study.json and the best run
    record it, the best run trains with its trial's budget, and its script reproduces it."""
    df = _frame()
    df.to_csv(tmp_path / "data.csv", index=False)
    spec = default_spec("y")
    spec["training"].update(epochs=4, early_stopping_patience=2, batch_size=16)
    spec["tune"] = {"pruner": "none", "sampler": "random", "space": {
        "training.learning_rate": {"low": 1e-4, "high": 2e-4, "log": True},
        DROPOUT: {"low": 0.1, "high": 0.2}, "training.weight_decay": {"choices": [0.01]}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_cli("tune", tmp_path / "data.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "out", "--trials", 3, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    board = sorted(json.loads((tmp_path / "out" / "leaderboard.json").read_text()),
                   key=lambda b: b["number"])
    assert [b["state"] for b in board] == ["complete"] * 3
    assert [b["epoch_cap"] for b in board] == [4, 8, 16]
    assert [b["patience"] for b in board] == [2, 4, 8]
    # each ran to its cap (epochs counted by the training itself) and was still improving
    assert [b["epochs"] for b in board] == [4, 8, 16] and all(b["at_cap"] for b in board)
    assert "note: 1 trial(s) hit the 4-epoch cap while still improving: " in r.stderr
    study = json.loads((tmp_path / "out" / "study.json").read_text())
    caps = study["epoch_cap"]
    assert caps["start"] == 4 and caps["next"] == 32 and caps["at_cap"] == 3
    assert caps["growth"] == [{"cap": 4, "hit": 1, "grew_to": 8},
                              {"cap": 8, "hit": 1, "grew_to": 16}]
    best = study["best"]
    run = tmp_path / "out" / "best"
    bspec = json.loads((run / "spec.json").read_text())
    assert bspec["training"]["epochs"] == best["epoch_cap"]
    assert bspec["training"]["early_stopping_patience"] == best["patience"]
    assert bspec["training"]["weight_decay"] == 0.01
    assert [l["type"] for l in bspec["layers"]] == ["Dense", "Dropout", "Dense", "Dropout"]
    assert "hit the 4-epoch cap while still improving: the cap grew to 8" in \
        (run / "run.json").read_text()
    # the generated script reproduces the chosen network (dropout and weight decay included)
    p = run_script(run / "train_script.py", tmp_path / "data.csv", tmp_path / "script_out",
                   cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    app = json.loads((run / "metrics.json").read_text())["test"]
    mine = json.loads((tmp_path / "script_out" / "script_metrics.json").read_text())
    for k, v in mine.items():
        assert v == pytest.approx(app[k], rel=1e-3, abs=1e-3), k
