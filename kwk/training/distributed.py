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

        @tf.function(reduce_retracing=True)  # batches end short at chunk ends: any length
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
                vloss = self._val_loss(model, p, loss_fn)
                cbs.on_epoch_end(epoch, {"loss": total / max(n, 1), "val_loss": vloss})
                if model.stop_training:
                    break
            cbs.on_train_end()
        finally:
            del model.optimizer

    def _val_loss(self, model, p, loss_fn) -> float:
        """The validation loss (every worker holds every validation row: the same value)."""
        Xv, yv = p.X["validation"], self._targets(p, "validation")
        return float(np.mean(loss_fn(yv, model(Xv, training=False))))

    def evaluate(self, model, p, phase=None):
        from kwk.evaluation.metrics import evaluate_prepared
        metrics, details = evaluate_prepared(model, p, phase)
        metrics["distributed"] = {"workers": self.replicas, "global_batch_size": self.global_batch}
        return metrics, details, p


def train_distributed(p, on_epoch=None):
    """Train ``p`` (a :class:`kwk.prep.prepare.Prepared`) on every worker of the cluster
    through the core; returns a :class:`kwk.training.core.TrainResult` (the same on every
    worker; the chief's also with the spec's assessment: bootstrap intervals, k-fold,
    repeats). ``on_epoch(epoch, epochs, loss, val_loss)`` is called after each epoch."""
    from kwk.training.assess import train_and_assess
    from kwk.training.core import seed_everything
    seed_everything(p.spec["training"]["seed"])  # before the strategy starts, as the core does

    def progress(t):
        if on_epoch is not None and t.logs is not None:
            on_epoch(t.epoch, t.epochs, t.logs["loss"], t.logs["val_loss"])
    # the chief, which saves the run, adds the spec's assessment (bootstrap intervals, ...)
    return train_and_assess(p, DistributedFeeder(p), progress, assessed=cluster()["chief"])



class ShardFeeder(DistributedFeeder):
    """``--stream --distributed``: each worker streams its own share of the data
    (``p.disk.reader`` is a shard, see :meth:`kwk.data.chunks.ChunkReader.shard`) through the
    multi-worker step. Every worker runs the same number of steps per epoch (that of the
    largest share; a smaller share starts its rows again to fill them). The validation loss
    and the test scores are sums over every worker's rows, added with the strategy's
    collective all-reduce (:class:`Exchange`), so every worker sees the same values and stops at
    the same epoch; the test sample for charts and intervals is merged from the workers'."""

    def __init__(self, p, strategy, exchange):
        self.strategy, self.exchange = strategy, exchange
        self.replicas = strategy.num_replicas_in_sync
        shards = p.extra["shard_counts"]
        self.workers = len(shards)
        self.local = max(1, self.replicas // self.workers)  # replicas (devices) per worker
        bs = p.spec["training"]["batch_size"]
        self.global_batch = bs * self.replicas
        most = max(math.ceil(c["train"] / bs) for c in shards)
        self.batches = max(1, math.ceil(most / self.local))
        self.note = (f" Trained on {self.workers} worker(s), each streaming its own share of "
                     f"{p.disk.reader.name}.")

    def build(self, p):
        from kwk.model.builder import build_model, make_optimizer
        with self.strategy.scope():
            model = build_model(p.spec, p.n_inputs, p.n_classes)
            self.optimizer = make_optimizer(p.spec["training"], self.batches)
        return model

    def _dataset(self, p):
        """An iterable of distributed ``(X, y)`` steps, ``self.batches`` per epoch: this worker's
        training rows streamed chunk by chunk (a new shuffle each pass), started again when
        its share is used up before the largest share's. (Fed from Python, not ``tf.data``:
        a generator dataset under this strategy kept every chunk it read.)"""
        from kwk.training.stream import batches
        feeder, strategy = self, self.strategy
        bs, local, multi = p.spec["training"]["batch_size"], self.local, p.task == "multiclass"

        def spread(a):  # one part of this worker's batch per local replica (device)
            return strategy.experimental_distribute_values_from_function(
                lambda ctx: a[ctx.replica_id_in_sync_group % local::local])

        class Epochs:
            passes = 0

            def __iter__(self):
                made = 0
                while made < feeder.batches:
                    Epochs.passes += 1
                    seed = p.spec["training"]["seed"] * 1000 + Epochs.passes
                    for X, y in batches(p, 0, bs * local, seed):
                        y = y if multi else y.reshape(-1, 1).astype("float32")
                        yield spread(X), spread(y)
                        made += 1
                        if made == feeder.batches:
                            return
        return Epochs()

    def _val_loss(self, model, p, loss_fn) -> float:
        from kwk.training.stream import batches
        total, n = 0.0, 0
        for X, y in batches(p, 1, 4096):
            yb = y if p.task == "multiclass" else y.reshape(-1, 1).astype("float32")
            total += float(np.sum(loss_fn(yb, model(X, training=False))))
            n += len(y)
        s = self.exchange.allsum([total, n])
        return float(s[0] / max(s[1], 1.0))

    def evaluate(self, model, p, phase=None):
        from kwk.prep.sampling import Reservoir
        from kwk.training.stream import eval_rows, score_test
        tr, me, ex = p.spec["training"], self.exchange.index, self.exchange
        tests = [int(c["test"]) for c in p.extra["shard_counts"]]
        # each worker keeps its share of one uniform sample of all the test rows
        quota = np.random.default_rng([tr["seed"], 7]).multivariate_hypergeometric(
            tests, min(eval_rows(), sum(tests)))
        keep = _ExactKeep(Reservoir(int(quota[me]), [tr["seed"], 7, me]), p.task,
                          len(p.pre.classes))

        def combine(k):
            got = ex.allgather({"seen": k.seen, **{c: k.get(c) for c in
                                                   ("y", "out", "simple", "rows")}})
            sample = {c: np.concatenate([g[c] for g in got if len(g[c])])
                      for c in ("y", "out", "simple", "rows")}
            seen = sum(g["seen"] for g in got)
            return sample, seen, seen > len(sample["y"])

        metrics, details, prepared = score_test(model, p, phase, keep=keep, proba=_local_proba,
                                                combine=combine)
        sums = ex.allsum(keep.sums)
        metrics["test"].update(exact_metrics(p.task, sums, p.pre.classes))
        metrics["distributed"] = {"workers": self.workers, "global_batch_size": self.global_batch,
                                  "streamed_shards": True,
                                  "rows_per_worker": p.extra["shard_counts"],
                                  "exact_over_all_test_rows": sorted(
                                      exact_metrics(p.task, sums, p.pre.classes))}
        return metrics, details, prepared


def _local_proba(model, X, task):
    """As :func:`kwk.evaluation.metrics.model_proba`, computed on this worker alone (Keras'
    ``predict`` under the strategy would wait for the other workers' batches)."""
    from kwk.prep.preprocess import model_input
    X = model_input(X)
    out = np.concatenate([np.asarray(model(X[s:s + 8192], training=False), dtype=float)
                          for s in range(0, len(X), 8192)]) if len(X) else np.empty((0, 1))
    if task == "binary":
        p1 = out.reshape(-1)
        return np.column_stack([1 - p1, p1])
    return out if task == "multiclass" else out.reshape(-1)


class _ExactKeep:
    """A test-row :class:`~kwk.prep.sampling.Reservoir` that also adds up, over every row it is
    offered, what the exact test metrics need: the confusion counts and the log-loss sum
    (classification), or the count, squared and absolute errors and target sums (regression)."""

    def __init__(self, reservoir, task: str, k: int):
        self.res, self.task, self.k = reservoir, task, k
        self.sums = np.zeros(5 if task == "regression" else k * k + 1)

    def add(self, y, out, **arrays):
        if self.task == "regression":
            y, e = np.asarray(y, float), np.asarray(out, float).reshape(-1) - np.asarray(y, float)
            self.sums += [len(y), float(e @ e), float(np.abs(e).sum()), float(y.sum()),
                          float(y @ y)]
        else:
            proba = np.clip(np.asarray(out, float), 1e-7, 1 - 1e-7)
            proba /= proba.sum(axis=1, keepdims=True)
            yi = np.asarray(y).astype(int)
            self.sums[:-1] += np.bincount(yi * self.k + proba.argmax(axis=1),
                                          minlength=self.k * self.k)
            self.sums[-1] -= float(np.log(proba[np.arange(len(yi)), yi]).sum())
        self.res.add(y=y, out=out, **arrays)

    def __getattr__(self, name):  # seen, full, get, ...: the reservoir's
        return getattr(self.res, name)


def exact_metrics(task: str, sums: np.ndarray, classes: list) -> dict:
    """The test metrics that are sums over rows, from :class:`_ExactKeep`'s sums added over
    every worker: exact over all the test rows (as :mod:`kwk.evaluation.metrics` computes them)."""
    def f(x):
        x = float(x)
        return x if math.isfinite(x) else None
    if task == "regression":
        n, sse, sae, sy, syy = (float(v) for v in sums)
        sst = syy - sy * sy / max(n, 1)
        return {"rmse": f(math.sqrt(sse / n)), "mae": f(sae / n),
                "r2": f(1 - sse / sst) if n > 1 and sst > 0 else None}
    k = len(classes)
    cm = np.rint(sums[:k * k]).astype(np.int64).reshape(k, k)
    n = cm.sum()
    tp, support, predicted = np.diag(cm), cm.sum(axis=1), cm.sum(axis=0)
    prec = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    rec = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros(k), where=prec + rec > 0)
    return {"accuracy": f(tp.sum() / n), "balanced_accuracy": f(rec[support > 0].mean()),
            "f1_macro": f(f1.mean()), "precision_macro": f(prec.mean()),
            "recall_macro": f(rec.mean()), "log_loss": f(sums[-1] / n),
            "per_class": {str(c): {"precision": f(prec[i]), "recall": f(rec[i]), "f1": f(f1[i]),
                                   "support": int(support[i])} for i, c in enumerate(classes)},
            "confusion_matrix": cm.tolist()}


def train_sharded(p, strategy, exchange, on_epoch=None, phase=None, assessed=None):
    """Train a streamed plan whose reader is this worker's share, on every worker of the
    cluster, through the core; returns a :class:`kwk.training.core.TrainResult` (the same
    metrics on every worker). The chief (or whoever ``assessed`` says) adds the spec's
    assessment, e.g. bootstrap intervals on the merged test sample. A lost worker raises a
    :class:`TrainError` naming it."""
    from kwk.training.assess import train_and_assess

    def progress(t):
        if on_epoch is not None and t.logs is not None:
            on_epoch(t.epoch, t.epochs, t.logs["loss"], t.logs["val_loss"])
    with reporting_lost_workers():
        return train_and_assess(p, ShardFeeder(p, strategy, exchange), progress, phase=phase,
                                assessed=cluster()["chief"] if assessed is None else assessed)


class reporting_lost_workers:
    """``with reporting_lost_workers(): ...`` turns TensorFlow's error about a lost peer into a
    :class:`TrainError` naming it (see :func:`lost_worker`)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if e is not None and not isinstance(e, TrainError):
            err = lost_worker(e)
            if err is not None:
                raise err from None
        return False

# ------------------------------------------------------------------ streamed shards on many workers
WORKER_WAIT_S = 300  # how long a worker waits for the others to start ($KWK_WORKER_WAIT)


def worker_wait() -> float:
    """Seconds a worker waits for every other worker to start ($KWK_WORKER_WAIT, default 300)."""
    try:
        return max(5.0, float(os.environ.get("KWK_WORKER_WAIT", WORKER_WAIT_S)))
    except ValueError:
        return float(WORKER_WAIT_S)


def addresses() -> dict[str, str]:
    """``{"/job:worker/replica:0/task:1": "host:port", ...}`` for every task of TF_CONFIG."""
    try:
        jobs = json.loads(os.environ.get("TF_CONFIG", "") or "{}").get("cluster", {})
    except ValueError:
        return {}
    return {f"/job:{job}/replica:0/task:{i}": addr
            for job, addrs in jobs.items() for i, addr in enumerate(addrs)}


def _who(task: str) -> str:
    import re
    m = re.search(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)", task)
    if not m:
        return task
    name = f"/job:{m.group(1)}/replica:0/task:{m.group(2)}"
    addr = addresses().get(name)
    return f"{m.group(1)} {m.group(2)}" + (f" ({addr})" if addr else "")


def _listening(addr: str) -> bool:
    import socket
    host, _, port = addr.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=2):
            return True
    except (OSError, ValueError):
        return False


def _me() -> str:
    """This task's name as TensorFlow writes it, e.g. ``/job:worker/replica:0/task:1``."""
    try:
        task = json.loads(os.environ.get("TF_CONFIG", "") or "{}").get("task", {})
        return f"/job:{task.get('type', 'worker')}/replica:0/task:{int(task.get('index', 0))}"
    except (ValueError, TypeError, AttributeError):
        return "/job:worker/replica:0/task:0"


def _late_message(wait: float, missing: list[str]) -> str:
    who = ", ".join(missing) if missing else ("some worker (every address answers, but not "
                                              "every worker joined: do they all run KwK with "
                                              "the same TF_CONFIG cluster?)")
    return (f"\nerror: Not every worker started within {wait:.0f} s: {who} did not join the "
            "cluster, so this worker stops. Start every worker with the same command (each with "
            "its own TF_CONFIG task index), or set KWK_WORKER_WAIT to wait longer.\n")


def _watchdog(wait: float):
    """A forked process that ends this one, with a message naming the workers that are not
    listening, unless it is told within ``wait`` seconds that the cluster is complete.
    (TensorFlow waits for the cluster inside C++ without releasing Python's lock, so a thread
    could not do it; nor does it end on SIGTERM.) Returns the function that calls it off."""
    import select
    import signal
    if not hasattr(os, "fork"):
        return lambda: None
    me, peers = _me(), addresses()
    others = [(t, a) for t, a in peers.items() if t != me]
    names = {t: _who(t) for t, _ in others}
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the watchdog: only sockets and raw writes here
        try:
            os.close(w)
            if not select.select([r], [], [], wait)[0]:
                missing = [names[t] for t, a in others if not _listening(a)]
                os.write(2, _late_message(wait, missing).encode())
                os.kill(parent, signal.SIGKILL)
        finally:
            os._exit(0)
    os.close(r)

    def cancel():
        try:
            os.write(w, b"ok")
            os.close(w)
            os.waitpid(pid, 0)
        except OSError:
            pass
    return cancel


def connect():
    """Start (or join) the cluster of TF_CONFIG and return ``(strategy, exchange)``. Waits for
    every worker at most :func:`worker_wait` seconds, then ends this process with a message
    naming the missing ones. A worker lost later is detected by TensorFlow's heartbeats (in
    about 10 s) and reported by :func:`lost_worker`."""
    import tensorflow as tf
    cancel = _watchdog(worker_wait()) if cluster()["workers"] > 1 else (lambda: None)
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        exchange = Exchange(strategy)
        exchange.allsum(np.zeros(1))  # a barrier: every worker is there
    finally:
        cancel()
    return strategy, exchange


class Exchange:
    """Values shared between the workers through the strategy's collective all-reduce (no
    shared folder needed): :meth:`allsum` adds arrays across workers, :meth:`allgather` gives
    every worker the list of every worker's (picklable) object, in worker order."""
    PIECE = 1 << 20  # values per all-reduce (8 MB)

    def __init__(self, strategy):
        self.strategy = strategy
        self.workers = cluster()["workers"]
        self.index = _global_index()
        self._sum = None

    def allsum(self, values) -> np.ndarray:
        import tensorflow as tf
        if self._sum is None:
            strategy = self.strategy

            def add(t):
                per = strategy.run(tf.identity, args=(t,))
                return strategy.reduce(tf.distribute.ReduceOp.SUM, per, axis=None)
            self._sum = tf.function(add, reduce_retracing=True)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        out = []
        for s in range(0, max(len(v), 1), self.PIECE):
            out.append(self._sum(tf.constant(v[s:s + self.PIECE])).numpy())
        return np.concatenate(out)[:len(v)] if out else v

    def allgather(self, obj) -> list:
        """Every worker's ``obj`` (pickled; the workers of one job trust each other), in worker
        order. One worker's bytes at a time, a piece at a time, so memory holds the objects
        and one piece (4 bytes per float64 value: exact), not every worker's bytes at once."""
        import pickle
        blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        sizes = np.zeros(self.workers)
        sizes[self.index] = len(blob)
        sizes = self.allsum(sizes).astype(np.int64)
        out = []
        for w, size in enumerate(sizes):
            width = int(-(-size // 4))
            if w == self.index:
                mine = np.frombuffer(blob + b"\0" * (width * 4 - size), "<u4")
            parts = []
            for s in range(0, width, self.PIECE):
                n = min(self.PIECE, width - s)
                piece = mine[s:s + n] if w == self.index else np.zeros(n)
                parts.append(self.allsum(piece).astype("<u4").tobytes())
            got = b"".join(parts)[:size]
            del parts
            out.append(obj if w == self.index else pickle.loads(got))  # noqa: S301 (peers)
        return out


def _global_index() -> int:
    """This task's place among all tasks (the chief first, as TensorFlow numbers them)."""
    try:
        cfg = json.loads(os.environ.get("TF_CONFIG", "") or "{}")
        chiefs = len(cfg.get("cluster", {}).get("chief", []))
        task = cfg.get("task", {})
        return int(task.get("index", 0)) + (0 if task.get("type") == "chief" else chiefs)
    except (ValueError, TypeError, AttributeError):
        return 0


def lost_worker(e: Exception) -> TrainError | None:
    """A TrainError naming the worker(s) that stopped, for TensorFlow's error about a lost
    peer (or None when ``e`` is something else)."""
    import tensorflow as tf
    text = str(e)
    peer = ("unhealthy", "heartbeat", "Socket closed", "Connection reset", "failed to connect")
    if not (isinstance(e, (tf.errors.UnavailableError, tf.errors.AbortedError,
                           tf.errors.DeadlineExceededError, tf.errors.CancelledError))
            or (isinstance(e, tf.errors.OpError) and any(w in text for w in peer))):
        return None
    import re
    tail = text.split("unhealthy", 1)[1] if "unhealthy" in text else text
    tasks = []
    for m in re.finditer(r"/job:(\w+)/(?:replica:\d+/)?task:(\d+)", tail):
        full = f"/job:{m.group(1)}/replica:0/task:{m.group(2)}"
        if full != _me() and _who(full) not in tasks:
            tasks.append(_who(full))
    who = ", ".join(tasks) if tasks else "another worker"
    return TrainError(f"{_who(_me()).capitalize()} stopped: {who} stopped responding (it "
                      "crashed, was killed or lost its network), and the others cannot go on "
                      "without it.",
                      f"Look at the log of {who} for its own error, then start every worker "
                      "again with the same command.")
