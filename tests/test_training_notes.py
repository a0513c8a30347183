"""Training notes that say true things (issue 35, item 6): over-fitting is judged by a rise of a
practical size (not a relative rise from almost zero), the advice is never to turn on what is
already on, and a training that early stopping ended at its last epoch finished all of them."""
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
