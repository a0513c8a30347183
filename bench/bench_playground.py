"""Playground on its default setup (circle, 2 hidden layers of 4 and 2 neurons, 500 points):
how many full view refreshes per second the page can draw while training keeps running
(target: at least 2/s), and epochs per second alone and with the page refreshing at 2/s.

A refresh is what the page's fragment does every 0.5 s: take the snapshot, build the surface,
network and loss figures and serialise them to JSON as Streamlit does.
Run: python bench/bench_playground.py [seconds]. Appends to bench/RESULTS.md.
"""
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from kwk.playground.engine import Config, Playground  # noqa: E402
from kwk.playground.plots import loss_figure, network_figure, surface_figure  # noqa: E402


def refresh(pg: Playground) -> None:
    snap = pg.snapshot()
    for fig in (surface_figure(snap, pg.xy, pg.y, pg.train_idx, pg.test_idx, pg.config.problem,
                               True),
                network_figure(snap, pg.config.features), loss_figure(snap["history"])):
        fig.to_json()


def main(seconds: float = 10.0) -> None:
    cfg = Config()  # the TensorFlow Playground's defaults, 500 points
    pg = Playground(cfg)
    pg.train_epoch()
    refresh(pg)  # warm up tracing and plotly

    # 1) training alone
    e0, t0 = pg.epoch, time.perf_counter()
    pg.play(refresh=0.2)
    time.sleep(seconds / 2)
    pg.pause()
    pg.wait_paused()
    alone = (pg.epoch - e0) / (time.perf_counter() - t0)

    # 2) training while the page refreshes twice a second, as it does
    e0, t0 = pg.epoch, time.perf_counter()
    pg.play(refresh=0.2)
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        refresh(pg)
        time.sleep(max(0.0, 0.5 - (time.perf_counter() - t)))
    with_view = (pg.epoch - e0) / (time.perf_counter() - t0)

    # 3) how many refreshes per second the view could draw while training continues
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds / 2:
        refresh(pg)
        n += 1
    rps = n / (time.perf_counter() - t0)
    pg.pause()
    pg.wait_paused()

    machine = f"{platform.node()} ({os.cpu_count()} CPUs)"
    lines = [
        f"| {dt.date.today()} | {machine} | Playground default setup: view refreshes per second "
        f"while training | {rps:.1f} refreshes/s (page polls at 2/s) | **{rps / 2:.1f}x** of the "
        "2/s target |",
        f"| {dt.date.today()} | {machine} | Playground default setup: epochs per second "
        f"| {alone:.1f} alone, {with_view:.1f} while the view refreshes twice a second "
        f"| **{with_view / alone:.2f}x** |"]
    print("\n".join(lines))
    res = Path(__file__).with_name("RESULTS.md")
    with res.open("a") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
