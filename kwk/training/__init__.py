"""The training core and what plugs into it: in-memory, streamed and multi-worker feeders, the
background job.

- ``core``: :func:`train_once` (one model of a ``Prepared``: epochs, callbacks, class weights,
  progress, stop, NaN, status texts) -> :class:`TrainResult`; the :class:`Feeder` protocol;
- ``arrays`` / ``stream`` / ``distributed``: the feeders (arrays in memory, a file in chunks,
  a multi-worker custom step) and the ``train_streamed`` / ``train_distributed`` entry points;
- ``assess``: bootstrap intervals, k-fold folds and repeated seeds, each a call of the core;
  :func:`train_and_assess`, the core then the assessment, which every run's training calls;
- ``job``: :class:`Job`, the core in a background thread with live progress and stop.
"""
from kwk.training.assess import assess, summarize, train_and_assess, train_streamed
from kwk.training.core import (
    Feeder,
    Tick,
    TrainResult,
    class_weights,
    diagnose,
    feeder_for,
    seed_everything,
    train_once,
)
from kwk.training.distributed import cluster, train_distributed
from kwk.training.job import Job
from kwk.training.stream import ChunkReader, profile_streamed

__all__ = ["ChunkReader", "Feeder", "Job", "Tick", "TrainResult", "assess", "class_weights",
           "cluster", "diagnose", "feeder_for", "profile_streamed", "seed_everything", "summarize",
           "train_distributed", "train_and_assess", "train_once", "train_streamed"]
