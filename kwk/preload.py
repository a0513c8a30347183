"""Work done ahead of need in background threads (the data stack while the landing page is
read, TensorFlow once a page that trains is open, scikit-learn's comparison models during the
epochs, a run's model before Evaluate asks for it), and the rules that keep it from racing the
code that needs the same modules.

Python imports each module under its own lock. When two threads import modules that import
each other (scikit-learn's packages do, and Keras imports scikit-learn), Python breaks the
would-be deadlock by handing one thread the module half-initialised, and
``from sklearn.preprocessing import PowerTransformer`` then fails with an ImportError. Seen on a
busy 2-core machine: a sample's Data page failed so while the data stack loaded beside it. So:

- preloads run one after another, never two at once (:func:`start`);
- work that needs what a preload loads waits for the preloads in flight first (:func:`wait`:
  a background job before its work, a training before its work after the epochs, a page's
  script run for the data stack's preload, which is short and loads what the page needs);
- a page's script run that fails while a preload was loading is run again once the preloads
  are over (:func:`overlapped`, used by ``kwk_app.py``), and so is the restore of a kept
  session (:func:`retried`).

Plain Python; no Streamlit. It sits at the bottom of the engine (beside ``errors``), so every
layer may use it.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")

#: The longest a caller waits for the preloads in flight (a hang guard: an import that never
#: ends must not stop the work that waits for it; the work then imports for itself).
WAIT_S = 300.0

_lock = threading.Lock()
_threads: list[threading.Thread] = []  # each with ``kwk_once``: its key, or None
_once: set[str] = set()
_last_end = [float("-inf")]  # time.monotonic() when the last preload ended


def start(target: Callable[[], object], name: str, once: str | None = None
          ) -> threading.Thread | None:
    """Run ``target`` in a background daemon thread called ``name``, after the preloads
    already started have ended. ``once``: a key; a second start with the same key does
    nothing. Returns the thread, or None when ``once`` had started already. An exception in
    ``target`` is swallowed: the code that needs what it loads does the work again and
    reports the problem itself."""
    with _lock:
        if once is not None:
            if once in _once:
                return None
            _once.add(once)
        before = [t for t in _threads if t.is_alive()]

        def run() -> None:
            try:
                for t in before:
                    t.join()
                target()
            except Exception:  # noqa: BLE001 - see the docstring
                pass
            finally:
                with _lock:
                    _last_end[0] = time.monotonic()
                    if threading.current_thread() in _threads:
                        _threads.remove(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.kwk_once = once
        _threads.append(thread)
        thread.start()
        return thread


def busy() -> bool:
    """Whether a preload is running or waiting for an earlier one."""
    with _lock:
        return any(t.is_alive() for t in _threads)


def wait(timeout: float = WAIT_S, once: str | None = None) -> bool:
    """Wait until no preload runs (at most ``timeout`` seconds in all); True when none does.
    ``once``: wait only for the preload started with that key (and the ones before it).
    Called from a preload's own thread, it returns at once (it would wait for itself)."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            alive = [t for t in _threads if t.is_alive() and t is not threading.current_thread()
                     and (once is None or t.kwk_once == once)]
        if not alive:
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        alive[0].join(left)


def overlapped(since: float) -> bool:
    """Whether a preload ran at some time after ``since`` (a ``time.monotonic()``): one runs
    now, or one ended since then."""
    with _lock:
        return any(t.is_alive() for t in _threads) or _last_end[0] >= since


def retried(fn: Callable[..., T], *args, **kwargs) -> T:
    """``fn(*args, **kwargs)``; when it raises while a preload ran beside it, wait for the
    preloads and call it once more (a module handed over half-initialised is whole by then).
    An error with no preload beside it is raised at once."""
    since = time.monotonic()
    try:
        return fn(*args, **kwargs)
    except Exception:
        if not overlapped(since):
            raise
    wait()
    return fn(*args, **kwargs)
