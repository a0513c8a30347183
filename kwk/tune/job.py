"""A search in a background thread for the app: the trials (through the same gate as training),
then the best network and the user's own trained again on the same split and scored on the test
rows with bootstrap intervals, and the verdict (did the search beat the user's network?), so
the page can set them side by side. The time limit covers all of it: the search stops early
enough to leave the final trainings their estimated time. Nothing here touches Streamlit; the
page polls :meth:`TuneJob.snapshot`.

Studies live in the workspace (``studies/<owner>/<study>.db`` with a ``.json`` summary the Runs
page lists), so a search interrupted by a restart resumes with its finished trials.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

from kwk.background import BackgroundJob
from kwk.errors import KwkError, TrainError


def studies_dir(root: Path, owner: str = "") -> Path:
    """Where one user's studies live inside the workspace ``root``."""
    who = hashlib.sha256(owner.encode()).hexdigest()[:12] if owner else "local"
    d = Path(root) / "studies" / who
    d.mkdir(parents=True, exist_ok=True)
    return d


def list_studies(root: Path, owner: str = "") -> list[dict]:
    """The user's studies (their summaries), the newest first."""
    out = []
    for f in studies_dir(root, owner).glob("*.json"):
        try:
            out.append(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
    return sorted(out, key=lambda s: s.get("updated", ""), reverse=True)


class TuneJob(BackgroundJob):
    """Runs a search of ``prepared`` (``trials`` more trials, at most ``minutes``) and then the
    final comparison (:func:`kwk.tune.best.search_then_retrain`). ``snapshot()`` returns the
    live state for the page; the queue, the lock, the elapsed time (from the start of the work)
    and the error handling are :class:`kwk.background.BackgroundJob`'s."""

    thread_name = "kwk-tune"
    failure = "The search failed"
    failure_hint = ("Try fewer settings or a smaller range; if it persists, report it with the "
                    "spec.")

    def __init__(self, prepared, source, root: Path, owner: str = "", tune: dict | None = None,
                 trials: int = 20, minutes: float | None = 5.0, gate=None,
                 clock=time.monotonic):
        super().__init__(gate, clock, ran=0)
        self.source, self.owner = source, owner
        self.trials, self.minutes = int(trials), minutes
        from kwk.tune.search import Search, metric_for, space_of, study_name
        folder = studies_dir(root, owner)
        tune_full = {**(prepared.spec.get("tune") or {}), **(tune or {})}
        metric, _ = metric_for(prepared, tune_full.get("metric", "auto"))
        name = study_name(prepared, source.fingerprint, space_of(prepared, tune_full), metric)
        self.summary_path = folder / f"{name}.json"
        self.search = Search(prepared, source.fingerprint, f"sqlite:///{folder / (name + '.db')}",
                             name, tune=tune_full)
        self._stop_final = threading.Event()
        self.best_result = self.own_result = None
        self.verdict: dict | None = None  # kwk.tune.verdict.compare: did the search win?
        # How the time limit was shared: the search, and the final trainings it kept time for
        self.budget: dict = {"limit_s": minutes * 60 if minutes else None, "reserved_s": None,
                             "search_s": None, "final_s": None}
        self.run_id: str | None = None

    def stop(self) -> None:
        """First call: no new trials, the running one ends now (finished trials are kept) and
        the best is trained; a second call also stops that."""
        if self._stop.is_set():
            self._stop_final.set()
        super().stop()

    def _live(self) -> dict:
        from kwk.tune.search import display_number
        live = self.search.live
        # trial: the running trial as the leaderboard numbers it (from 1)
        return dict(trial=display_number(live.trial), epoch=live.epoch, epochs=live.epochs,
                    fold=live.fold, wanted=self.trials)

    # ------------------------------------------------------------------ the work
    def _ended(self) -> None:
        self._write_summary()

    def _work(self) -> None:
        from kwk.tune.best import final_reserve, search_then_retrain
        self._set(status="running", phase="Searching")

        def on_trial(row):
            with self._lock:
                self._state["ran"] += 1
            self._write_summary()

        def searched(seconds: float) -> None:
            self.budget.update(search_s=seconds, reserved_s=self.search.reserved)

        # The limit covers the whole job: the search keeps time for the final trainings
        out = search_then_retrain(
            self.search, self.trials, self.budget["limit_s"], stop=self._stop,
            final_stop=self._stop_final, on_trial=on_trial, after_search=searched,
            phase=lambda text: self._set(phase=text), reserve=final_reserve, clock=self.clock,
            no_best=TrainError("No trial finished, so there is no better network to show.",
                               "Give the search more time or trials, or look at the failed "
                               "trials' messages in the table."))
        self.best_result, self.own_result, self.verdict = out.best, out.own, out.verdict
        self.budget["final_s"] = out.final_s
        stopped = self._stop.is_set() and not self.search.timed_out
        b = self.budget
        why = "Stopped by you. " if stopped else (
            f"The search stopped after {b['search_s']:.0f} s to leave time for training the "
            f"best network and yours again (about {b['reserved_s']:.0f} s, estimated from the "
            "longest trial). ") if self.search.timed_out else ""
        total = b["search_s"] + b["final_s"]
        if b["limit_s"] and total > b["limit_s"] * 1.05:  # say it plainly, with the reason
            why += (f"It took {total:.0f} s in all, more than the {self.minutes:g} minute(s): "
                    f"the search took {b['search_s']:.0f} s (it runs at least one trial) and "
                    f"training the best network and yours again took {b['final_s']:.0f} s. ")
        self._set(status="stopped" if stopped else "finished", phase="",
                  message=why + self.search.note())

    def _write_summary(self) -> None:
        try:
            s = self.search.summary()
            s.update(data_name=self.source.name, target=self.search.p.spec["data"]["target"],
                     updated=time.strftime("%Y-%m-%d %H:%M:%S"), run_id=self.run_id)
            self.summary_path.write_text(json.dumps(s, default=str, ensure_ascii=False))
        except Exception:  # a summary is a convenience; never fail the search for it
            pass

    def save_best(self, store) -> str:
        """Save the best network as a run in ``store``; returns its id (once)."""
        from kwk.runs.service import save_run
        if self.best_result is None:
            raise KwkError("The best network is not trained yet.")
        if self.run_id is None:
            self.run_id = save_run(self.best_result, self.source, store=store, owner=self.owner)
            self._write_summary()
        return self.run_id
