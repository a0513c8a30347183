"""The chosen network of a search, trained again with its seed on the same split and scored on
the test rows, once: a complete run like ``train``'s, which says it came from a search.

:func:`search_then_retrain` is the one "search, then train the best again" sequence, shared by
the Tune page's background job (:class:`kwk.tune.job.TuneJob`) and ``python -m kwk tune``."""
from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kwk.errors import KwkError
from kwk.tune.search import Search

BEST = "Training the best network again and scoring it on the test rows"
OWN = "Training your own network on the same split, to compare"


def best_prepared(search: Search):
    """The search's data with the best trial's spec and a note on how it was chosen."""
    spec = search.best_spec()  # its transforms, if a trial's differ, prepared the same way
    return dataclasses.replace(search.prepared_for(spec), spec=spec,
                               notes=[*search.p.notes, search.note()])


def own_prepared(search: Search):
    """The search's data with the user's own spec (to set the best beside it)."""
    return dataclasses.replace(search.p, notes=list(search.p.notes))


def tuning_record(search: Search) -> dict:
    """What ``metrics.json`` of the best run records about the search that chose it."""
    s = search.summary()
    return {"study": s["study"], "storage": s["storage"], "metric": s["metric"],
            "split": s["split"], "counts": s["counts"], "trials": s["trials"],
            "best_trial": (s["best"] or {}).get("number"),
            "best_validation": (s["best"] or {}).get("value"),
            "own_validation": (s["own"] or {}).get("value")}


def final_fits(spec: dict) -> int:
    """How many trainings the final comparison makes: the best network and the user's own,
    each once, plus its k folds (k-fold validation) and its other seeds (repeats)."""
    tr = spec["training"]
    one = 1 + (tr["folds"] if tr["validation"] == "kfold" else 0) + max(tr["repeats"] - 1, 0)
    return 2 * one


def final_reserve(search: Search) -> float:
    """Seconds to keep free at the end of a search's time limit for the final comparison
    (:func:`final_fits` trainings), estimated from the longest complete trial so far: one
    training of a trial is its time (divided by its folds when trials are k-fold). 0 before
    any trial has finished."""
    seconds = [r["seconds"] for r in search.leaderboard()
               if r["state"] == "complete" and r.get("seconds")
               and r.get("duplicate_of") is None]  # a repeat of seen settings is not trained
    if not seconds:
        return 0.0
    per_fit = max(seconds) / (search.p.spec["training"]["folds"] if search.kfold else 1)
    return per_fit * final_fits(search.p.spec)


@dataclass
class Tuned:
    """What :func:`search_then_retrain` returns: the best network's run (``metrics["tuning"]``
    says how it was chosen), the user's own network trained beside it and the verdict (both
    None when not compared), and the seconds the search and the final trainings took."""
    best: object
    own: object
    verdict: dict | None
    search_s: float
    final_s: float


def _train_and_assess(p, stop):
    from kwk.training.assess import train_and_assess
    return train_and_assess(p, stop=stop)


def search_then_retrain(search: Search, trials: int | None, timeout: float | None = None, *,
                        stop: threading.Event | None = None,
                        final_stop: threading.Event | None = None,
                        on_trial: Callable[[dict], None] | None = None,
                        after_search: Callable[[float], None] | None = None,
                        phase: Callable[[str], None] = lambda text: None,
                        reserve: Callable[[Search], float] | None = None,
                        clock: Callable[[], float] = time.monotonic,
                        compare_own: bool = True, train=None,
                        on_interrupt: Callable[[], None] | None = None,
                        no_best: KwkError | None = None) -> Tuned:
    """Run ``trials`` more trials of ``search`` (None: no search, only train the best so far;
    ``timeout``, ``stop``, ``on_trial``, ``reserve`` and ``clock`` as :meth:`Search.run`), then
    train its best network again and score it on the test rows (with the spec's assessment),
    and with ``compare_own`` the user's own network beside it and the verdict
    (:func:`kwk.tune.verdict.compare`).

    ``after_search(seconds)`` runs between the two (e.g. to write the leaderboard);
    ``phase(text)`` receives :data:`BEST` and :data:`OWN` as they start; ``final_stop`` stops
    the final trainings; ``train(prepared, stop)`` trains one of them (default: the core and the
    assessment, :func:`kwk.training.assess.train_and_assess`). A Ctrl-C during the search calls
    ``on_interrupt()`` (when given) and goes on with the trials finished. Raises ``no_best``
    (or a :class:`KwkError`) when no trial finished."""
    train = train or _train_and_assess
    started = clock()
    if trials is not None:
        try:
            search.run(trials, timeout, stop, on_trial, reserve=reserve, clock=clock)
        except KeyboardInterrupt:
            if on_interrupt is None:
                raise
            on_interrupt()
    search_s = clock() - started
    if after_search is not None:
        after_search(search_s)
    if search.best() is None:
        raise no_best or KwkError("No trial finished, so there is no best network.")
    phase(BEST)
    best = train(best_prepared(search), final_stop)
    best.metrics["tuning"] = tuning_record(search)
    own = verdict = None
    if compare_own:
        from kwk.tune.verdict import compare
        phase(OWN)
        own = train(own_prepared(search), final_stop)
        verdict = compare(best, own, search.metric)
    return Tuned(best, own, verdict, search_s, clock() - started - search_s)
