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
