"""Peak memory of training on 1M rows x 20 columns against the size of the data in memory.

Measured in a fresh process: the resident memory after importing KwK and TensorFlow (the
fixed cost), then the peak while preparing and training 2 epochs.
Run: python bench/bench_memory_1m.py [rows]. Appends to bench/RESULTS.md.
"""
import resource
import sys

from common import record, synthetic


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(rows: int = 1_000_000) -> None:
    import keras  # noqa: F401  (the fixed cost is measured with TensorFlow loaded)

    from kwk.spec import normalize
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    df = synthetic(rows)
    data_mb = df.memory_usage(deep=True).sum() / 2**20
    base = _rss_mb()
    spec = normalize({"data": {"target": "y"},
                      "layers": [{"type": "Dense", "units": 64, "activation": "relu"}],
                      "training": {"epochs": 2, "batch_size": 512, "early_stopping_patience": 0}})
    Job(prepare(df, spec)).run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record(f"peak memory of training on {rows:,}x20 vs the data in memory",
           f"data {data_mb:.0f} MB; process {base:.0f} MB before training, peak {peak:.0f} MB",
           f"**{(peak - base) / data_mb:.1f}x** the data above the fixed cost")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
