"""The chosen network of a search, trained again with its seed on the same split and scored on
the test rows, once: a complete run like ``train``'s, which says it came from a search."""
from __future__ import annotations

import dataclasses

from kwk.tune.search import Search


def best_prepared(search: Search):
    """The search's data with the best trial's spec and a note on how it was chosen."""
    p = search.p
    return dataclasses.replace(p, spec=search.best_spec(), notes=[*p.notes, search.note()])


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
