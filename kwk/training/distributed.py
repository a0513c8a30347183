"""Multi-worker training on TensorFlow's own distributed engine.

``train_distributed`` trains a prepared spec under ``tf.distribute.MultiWorkerMirroredStrategy``,
configured from the ``TF_CONFIG`` environment variable (one worker when it is unset). Keras 3's
``model.fit`` fails under this strategy (keras-team/keras#20585, "Attempt to convert a value
(PerReplica...)"), so the epochs run a custom step: ``strategy.run`` over
``strategy.experimental_distribute_dataset``, with the Keras model and optimizer created in
``strategy.scope()`` and the loss averaged with ``tf.nn.compute_average_loss`` over the global
batch. Everything else — spec, preprocessing, evaluation, the bundle — is shared with the
single-machine path (``kwk.training.job.Job``), which keeps ``model.fit``.

Every worker reads the whole data file and prepares it the same way (the split is seeded), the
dataset is sharded between workers by TensorFlow, and the weights stay in sync, so every worker
sees the same validation loss and stops at the same epoch. Only the chief writes the bundle.
"""
from __future__ import annotations

import json
import math
import os
import time

import numpy as np

from kwk.errors import TrainError


def cluster() -> dict:
    """``{"workers": n, "index": i, "chief": bool}`` from ``TF_CONFIG`` (one worker if unset)."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        return {"workers": 1, "index": 0, "chief": True}
    try:
        cfg = json.loads(raw)
        workers = cfg["cluster"].get("worker", [])
        chiefs = cfg["cluster"].get("chief", [])
        task = cfg["task"]
        kind, index = task["type"], int(task.get("index", 0))
    except (ValueError, KeyError, TypeError) as e:
        raise TrainError(f"TF_CONFIG is not valid ({e}).",
                         'Set it to {"cluster": {"worker": ["host1:port", "host2:port"]}, '
                         '"task": {"type": "worker", "index": 0}}.')
    chief = kind == "chief" or (not chiefs and kind == "worker" and index == 0)
    return {"workers": len(workers) + len(chiefs), "index": index, "chief": chief}


def _per_example_loss(name: str):
    import keras
    fn = keras.losses.get(name)
    if fn is None:
        raise TrainError(f"The loss '{name}' cannot be used for distributed training.")
    return fn


def train_distributed(p, on_epoch=None):
    """Train ``p`` (a :class:`kwk.training.job.Prepared`) on every worker of the cluster; returns a
    :class:`kwk.training.job.TrainResult` (the same on every worker)."""
    import tensorflow as tf

    from kwk.model.builder import build_model, make_optimizer
    from kwk.evaluation.metrics import evaluate_prepared
    from kwk.spec import loss_name
    from kwk.training.job import TrainResult, seed_everything

    tr = p.spec["training"]
    if p.spec["data"].get("text"):
        raise TrainError("Distributed training does not support text models yet.",
                         "Train text models without --distributed.")
    seed_everything(tr["seed"])
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    replicas = strategy.num_replicas_in_sync
    global_batch = tr["batch_size"] * replicas
    X, y = p.X["train"], p.y["train"]
    y2 = y.reshape(-1, 1).astype("float32") if p.task != "multiclass" else y
    steps = max(1, math.ceil(len(X) / global_batch))
    with strategy.scope():
        model = build_model(p.spec, X.shape[1], p.n_classes, adapt=X)
        optimizer = make_optimizer(tr, steps)
    loss_fn = _per_example_loss(loss_name(p.spec))
    ds = tf.data.Dataset.from_tensor_slices((X, y2)).shuffle(
        len(X), seed=tr["seed"], reshuffle_each_iteration=True).batch(global_batch)
    opts = tf.data.Options()
    opts.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dist = strategy.experimental_distribute_dataset(ds.with_options(opts))

    @tf.function
    def train_step(batch):
        def replica_step(xb, yb):
            with tf.GradientTape() as tape:
                pred = model(xb, training=True)
                loss = tf.nn.compute_average_loss(loss_fn(yb, pred), global_batch_size=global_batch)
                if model.losses:  # regularization penalties, split across replicas
                    loss += tf.add_n(model.losses) / replicas
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        per_replica = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    yv = p.y["validation"]
    yv2 = yv.reshape(-1, 1).astype("float32") if p.task != "multiclass" else yv

    def val_loss() -> float:
        return float(np.mean(loss_fn(yv2, model(p.X["validation"], training=False))))

    history: dict[str, list] = {"loss": [], "val_loss": []}
    patience, best, best_weights, waited = tr["early_stopping_patience"], math.inf, None, 0
    status, t0 = "finished", time.monotonic()
    for epoch in range(tr["epochs"]):
        total, n = 0.0, 0
        for batch in dist:
            total += float(train_step(batch))
            n += 1
        loss, vloss = total / max(n, 1), val_loss()
        if not (math.isfinite(loss) and math.isfinite(vloss)):
            raise TrainError(f"The loss became NaN (not a number) at epoch {epoch + 1}: training "
                             "diverged.", f"Lower the learning rate (it is {tr['learning_rate']:g}).")
        history["loss"].append(loss)
        history["val_loss"].append(vloss)
        if on_epoch is not None:
            on_epoch(epoch + 1, tr["epochs"], loss, vloss)
        if vloss < best:
            best, waited = vloss, 0
            if tr["restore_best_weights"]:
                best_weights = model.get_weights()
        else:
            waited += 1
            if patience and waited >= patience:
                status = "early_stopped"
                break
    seconds = time.monotonic() - t0
    if best_weights is not None and status == "early_stopped":
        model.set_weights(best_weights)
    epochs_run = len(history["loss"])
    msg = (f"Stopped early after {epochs_run} epochs: validation loss had not improved for "
           f"{patience} epochs." if status == "early_stopped" else
           f"Finished all {epochs_run} epochs.") + f" Trained on {replicas} worker(s)."
    metrics, details = evaluate_prepared(model, p)
    metrics["distributed"] = {"workers": replicas, "global_batch_size": global_batch}
    return TrainResult(model=model, prepared=p, history=history, metrics=metrics, details=details,
                       status=status, message=msg, seconds=seconds, epochs_run=epochs_run)
