"""Peak memory of a default training on the bundled samples, in one process with Streamlit
imported, as the app would run it (Community Cloud gives about 2.7 GB).

Run: python bench/bench_memory.py. Prints peak RSS and appends it to bench/RESULTS.md.
"""
import datetime as dt
import os
import platform
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import streamlit  # noqa: F401  (the server has it loaded)
    from kwk.data.samples import SAMPLES
    from kwk.spec import default_spec
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    for key in ("churn", "gapminder", "breast_cancer"):
        spec = default_spec(SAMPLES[key].target)
        Job(prepare(SAMPLES[key].load(), spec)).run()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = (f"| {dt.date.today()} | {platform.node()} ({os.cpu_count()} CPUs) | peak RSS, default "
            f"training on churn, gapminder, breast_cancer in one process | {peak_mb:.0f} MB | "
            f"**{peak_mb / 2700:.2f}x** of Community Cloud's ~2.7 GB |")
    print(line)
    with Path(__file__).with_name("RESULTS.md").open("a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
