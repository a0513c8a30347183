"""Things a page draws again on every rerun, built once (issue 30): a plotly figure takes
20-130 ms to build on 2 busy cores, and the Data page has a dozen, the Evaluate page twenty.
:func:`once` keeps what ``build()`` returned under a key naming everything it was made from
(the data's fingerprint and kinds, a run id, the values a chart shows), shared by the server's
sessions, the least recently used dropped first. Nothing is copied or hashed: the key is the
only thing compared, so it must name every input (a run is never changed once saved; the data
is named by its fingerprint)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, TypeVar

T = TypeVar("T")

KEEP = 100  # a ROC curve of 20,000 test rows is about 1 MB
_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()
calls = {"built": 0, "reused": 0}  # counted for the tests


def once(key: tuple, build: Callable[[], T]) -> T:
    """``build()`` once per ``key``; later calls with the same key return the same object
    (figures are only read by ``st.plotly_chart``, never changed)."""
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            calls["reused"] += 1
            return _kept[key]
    value = build()
    with _lock:
        _kept[key] = value
        calls["built"] += 1
        while len(_kept) > KEEP:
            _kept.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _kept.clear()


def chart_key(kind: str, source: dict, *fields: str) -> tuple:
    """A key naming a chart by what it shows: ``kind`` and ``source``'s ``fields`` (a profile
    card's name and histogram, a correlation matrix), written out as JSON. Two data sets with
    the same card get the same chart; a chart can never show another card's numbers."""
    import json
    return (kind, json.dumps({f: source.get(f) for f in ("name", *fields)}, sort_keys=True,
                             default=str))
