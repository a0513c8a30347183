"""The Playground's network kept with a session (issue 29, item 3): what it has learnt
(weights, epoch, loss history) goes through JSON and back into a network built again for the
same settings and data, which then draws and trains on exactly as the first one would (plain
SGD keeps no optimizer state, so the next epoch's weights must match)."""
import json

import numpy as np

from kwk.playground.engine import Config, Playground


def test_what_a_network_learnt_comes_back_through_json_and_trains_on_the_same():
    cfg = Config(dataset="circle", points=200, layers=[4, 3], learning_rate=0.1, seed=7)
    first = Playground(cfg)
    for _ in range(3):
        first.step()
    kept = json.loads(json.dumps(first.learnt()))  # as the session store keeps it
    assert kept["epoch"] == 3 and len(kept["history"]["train"]) == 3
    assert [np.shape(w) for w in kept["weights"]] == [(2, 4), (4,), (4, 3), (3,), (3, 1), (1,)]

    again = Playground(cfg)  # a reload builds a new network: epoch 0, other weights
    grid = again._surface_X
    assert not np.allclose(again._predict(grid), first._predict(grid))
    assert again.put_back(kept)
    snap, want = again.snapshot(), first.snapshot()
    assert snap["epoch"] == 3 and snap["history"] == want["history"]
    np.testing.assert_array_equal(snap["surface"], want["surface"])
    assert snap["train_loss"] == want["train_loss"] and snap["test_loss"] == want["test_loss"]
    # one more epoch on each: the same updates (SGD), the restored one batch by batch first
    first.step()
    again.step()
    for a, b in zip(again.model.get_weights(), first.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert again.epoch == 4
    again.step()  # and the compiled epoch works after it
    assert again.epoch == 5 and np.isfinite(again.history["train"][-1])


def test_weights_of_another_network_are_refused_and_nothing_changes():
    a = Playground(Config(dataset="xor", layers=[4], seed=1))
    a.step()
    other = Playground(Config(dataset="xor", layers=[3, 2], seed=1))
    before = [w.copy() for w in other.model.get_weights()]
    assert not other.put_back(a.learnt())
    assert not other.put_back({"weights": "nonsense", "epoch": 1})
    assert other.epoch == 0
    for x, y in zip(other.model.get_weights(), before):
        np.testing.assert_array_equal(x, y)
