"""Multi-worker training on TensorFlow's own distributed engine.

``train_distributed`` trains a prepared spec under ``tf.distribute.MultiWorkerMirroredStrategy``,
configured from the ``TF_CONFIG`` environment variable (one worker when it is unset). Keras 3's
``model.fit`` fails under this strategy (keras-team/keras#20585, "Attempt to convert a value
(PerReplica...)"), so the epochs run a custom step: ``strategy.run`` over
``strategy.experimental_distribute_dataset``, with the Keras model and optimizer created in
``strategy.scope()`` and the loss averaged with ``tf.nn.compute_average_loss`` over the global
batch. Everything else — spec, preprocessing, evaluation, the bundle — is shared with the
single-machine path, and the epochs, callbacks, progress, NaN detection and status texts are the
training core's (:func:`kwk.training.core.train_once`); only the step differs.

Every worker reads the whole data file and prepares it the same way (the split is seeded), the
dataset is sharded between workers by TensorFlow, and the weights stay in sync, so every worker
sees the same validation loss and stops at the same epoch. Only the chief writes the bundle.
"""
from __future__ import annotations

import json
import math
import os

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


class DistributedFeeder:
    """The multi-worker step strategy: the model and its optimizer are created in
    ``strategy.scope()``, each epoch runs ``strategy.run`` over the distributed dataset with
    the loss averaged over the global batch, and the core's callbacks are called around it as
    ``model.fit`` would call them."""

    def __init__(self, p):
        import tensorflow as tf
        if p.spec["data"].get("text"):
            raise TrainError("Distributed training does not support text models yet.",
                             "Train text models without --distributed.")
        self.strategy = tf.distribute.MultiWorkerMirroredStrategy()
        self.replicas = self.strategy.num_replicas_in_sync
        self.global_batch = p.spec["training"]["batch_size"] * self.replicas
        self.batches = max(1, math.ceil(len(p.X["train"]) / self.global_batch))
        self.note = f" Trained on {self.replicas} worker(s)."

    def build(self, p):
        from kwk.model.builder import build_model, make_optimizer
        with self.strategy.scope():
            model = build_model(p.spec, p.n_inputs, p.n_classes, adapt=p.X["train"])
            self.optimizer = make_optimizer(p.spec["training"], self.batches)
        return model

    def _targets(self, p, split: str):
        y = p.y[split]
        return y.reshape(-1, 1).astype("float32") if p.task != "multiclass" else y

    def _dataset(self, p):
        import tensorflow as tf
        X, y = p.X["train"], self._targets(p, "train")
        ds = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(
            len(X), seed=p.spec["training"]["seed"], reshuffle_each_iteration=True).batch(
            self.global_batch)
        opts = tf.data.Options()
        opts.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return self.strategy.experimental_distribute_dataset(ds.with_options(opts))

    def _step(self, model, loss_fn):
        import tensorflow as tf
        strategy, global_batch, replicas = self.strategy, self.global_batch, self.replicas
        optimizer = self.optimizer

        @tf.function
        def train_step(batch):
            def replica_step(xb, yb):
                with tf.GradientTape() as tape:
                    pred = model(xb, training=True)
                    loss = tf.nn.compute_average_loss(loss_fn(yb, pred),
                                                      global_batch_size=global_batch)
                    if model.losses:  # regularization penalties, split across replicas
                        loss += tf.add_n(model.losses) / replicas
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply_gradients(zip(grads, model.trainable_variables))
                return loss
            per_replica = strategy.run(replica_step, args=batch)
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)
        return train_step

    def fit(self, model, p, callbacks: list, class_weight: dict | None) -> None:
        import keras

        from kwk.spec import loss_name
        loss_fn = _per_example_loss(loss_name(p.spec))
        train_step, dist = self._step(model, loss_fn), self._dataset(p)
        Xv, yv = p.X["validation"], self._targets(p, "validation")
        # The callbacks read and set the learning rate through model.optimizer, as under
        # model.fit; it is detached afterwards so the saved model is the same as before.
        model.optimizer, model.stop_training = self.optimizer, False
        cbs = keras.callbacks.CallbackList(callbacks, model=model)
        try:
            cbs.on_train_begin()
            for epoch in range(p.spec["training"]["epochs"]):
                cbs.on_epoch_begin(epoch)
                total, n = 0.0, 0
                for batch in dist:
                    loss = float(train_step(batch))
                    total, n = total + loss, n + 1
                    cbs.on_train_batch_end(n - 1, {"loss": loss})
                    if model.stop_training:
                        break
                vloss = float(np.mean(loss_fn(yv, model(Xv, training=False))))
                cbs.on_epoch_end(epoch, {"loss": total / max(n, 1), "val_loss": vloss})
                if model.stop_training:
                    break
            cbs.on_train_end()
        finally:
            del model.optimizer

    def evaluate(self, model, p):
        from kwk.evaluation.metrics import evaluate_prepared
        metrics, details = evaluate_prepared(model, p)
        metrics["distributed"] = {"workers": self.replicas, "global_batch_size": self.global_batch}
        return metrics, details, p


def train_distributed(p, on_epoch=None):
    """Train ``p`` (a :class:`kwk.prep.prepare.Prepared`) on every worker of the cluster
    through the core; returns a :class:`kwk.training.core.TrainResult` (the same on every
    worker). ``on_epoch(epoch, epochs, loss, val_loss)`` is called after each epoch."""
    from kwk.training.core import seed_everything, train_once
    seed_everything(p.spec["training"]["seed"])  # before the strategy starts, as the core does

    def progress(t):
        if on_epoch is not None and t.logs is not None:
            on_epoch(t.epoch, t.epochs, t.logs["loss"], t.logs["val_loss"])
    return train_once(p, DistributedFeeder(p), progress)
