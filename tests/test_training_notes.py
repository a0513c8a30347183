"""Training notes that say true things (issue 35, item 6): over-fitting is judged by a rise of a
practical size (not a relative rise from almost zero), the advice is never to turn on what is
already on, and a training that early stopping ended at its last epoch finished all of them."""
import pytest

from kwk.training.core import diagnose, outcome

FALLING = [1.0, 0.5, 0.3, 0.2, 0.15, 0.12, 0.1, 0.09]


def test_a_rise_from_almost_zero_is_not_over_fitting():
    # validation log loss 7.5e-05 at its best, 9.5e-05 four epochs later: +27%, but 0.003% of
    # the first epoch's 0.69, a difference no one can see in the predictions
    val = [0.69, 0.1, 0.01, 7.5e-05, 8e-05, 8.6e-05, 9e-05, 9.5e-05]
    assert diagnose({"loss": FALLING, "val_loss": val}) is None


def test_a_real_rise_is_named_with_its_numbers():
    val = [1.0, 0.6, 0.5, 0.55, 0.62, 0.7, 0.75, 0.8]
    note = diagnose({"loss": FALLING, "val_loss": val})
    assert note.startswith("Over-fitting: validation loss was best at epoch 3 (0.5)")
    assert "risen for 5 epochs (to 0.8)" in note and "early stopping" in note


def test_the_advice_never_asks_for_what_is_already_on():
    val = [1.0, 0.6, 0.5, 0.55, 0.62, 0.7, 0.75, 0.8]
    on = {"early_stopping_patience": 5, "restore_best_weights": True}
    note = diagnose({"loss": FALLING, "val_loss": val}, training=on)
    assert "Early stopping kept the weights of epoch 3" in note
    assert "or early stopping" not in note
    off = diagnose({"loss": FALLING, "val_loss": val},
                   training={"early_stopping_patience": 5, "restore_best_weights": False})
    assert "early stopping with the best weights restored" in off


def test_a_small_relative_rise_is_not_named():
    val = [1.0, 0.6, 0.5, 0.51, 0.52, 0.53, 0.54, 0.545]  # +9% of the best: within noise
    assert diagnose({"loss": FALLING, "val_loss": val}) is None


def test_early_stopping_at_the_last_epoch_is_finishing():
    tr = {"epochs": 50, "early_stopping_patience": 10}
    assert outcome(50, tr, stopped=False, early=True) == ("finished", "Finished all 50 epochs.")
    status, msg = outcome(43, tr, stopped=False, early=True)
    assert status == "early_stopped" and msg.startswith("Stopped early after 43 epochs")
    assert outcome(50, tr, stopped=False, early=False)[0] == "finished"


def test_the_kept_epoch_is_the_best_one_when_early_stopping_restores_it():
    from kwk.training.core import kept_epoch
    val = [1.0, 0.6, 0.5, 0.55, 0.62]
    on = {"early_stopping_patience": 3, "restore_best_weights": True}
    assert kept_epoch(val, on) == 2
    assert kept_epoch(val, {**on, "restore_best_weights": False}) is None
    assert kept_epoch(val, {**on, "early_stopping_patience": 0}) is None
    assert kept_epoch([1.0, 0.6, 0.5], on) is None  # the last is the best: nothing to say


@pytest.mark.slow
def test_keras_keeps_the_weights_of_the_epoch_kept_epoch_names():
    """Independent check with Keras itself: after training with early stopping restoring the
    best weights, the model's validation loss is the best epoch's, not the last one's."""
    import keras
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] + rng.normal(0, 1.5, (64, 1))).astype("float32")  # noisy: val loss turns up
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])
    m.compile(keras.optimizers.Adam(0.03), "mse")
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=40, restore_best_weights=True)
    h = m.fit(x[:48], y[:48], validation_data=(x[48:], y[48:]), epochs=40, verbose=0,
              callbacks=[es]).history
    from kwk.training.core import kept_epoch
    k = kept_epoch(h["val_loss"], {"early_stopping_patience": 40, "restore_best_weights": True})
    assert k is not None and k != len(h["val_loss"]) - 1
    now = float(m.evaluate(x[48:], y[48:], verbose=0))
    assert now == pytest.approx(h["val_loss"][k], rel=1e-4)


def test_the_note_quotes_the_curve_the_page_draws():
    """A regression's page draws the RMSE in the target's units; the note said the loss on the
    standardised target (0.41 beside a chart of 30-65). It now quotes the drawn curve: the
    square root of the mean squared error times the target's standard deviation (by hand)."""
    import math

    from kwk.evaluation.curves import readable_loss
    val = [1.0, 0.6, 0.5, 0.55, 0.62, 0.7, 0.75, 0.8]  # mean squared error, standardised
    spec = {"data": {"target": "price", "task": "regression"},
            "training": {"loss": "mean_squared_error"}}
    name, label, curves = readable_loss({"loss": FALLING, "val_loss": val}, spec, {"std": 50.0})
    assert name == "RMSE" and label == "RMSE in price's units"
    note = diagnose({"loss": FALLING, "val_loss": val}, shown=(name, curves["val_loss"]))
    best, last = math.sqrt(0.5) * 50, math.sqrt(0.8) * 50  # 35.36 and 44.72
    assert note.startswith(f"Over-fitting: validation RMSE was best at epoch 3 ({best:.4g})")
    assert f"risen for 5 epochs (to {last:.4g})" in note
