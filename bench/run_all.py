"""Every benchmark, one after the other: python bench/run_all.py. Results go to RESULTS.md."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for script in ("bench_profile.py", "bench_memory.py", "bench_memory_1m.py", "bench_training.py",
               "bench_sklearn.py",
               "bench_cold_start.py", "bench_playground.py", "bench_stream.py", "bench_tune.py",
               "bench_explain.py", "bench_export.py", "bench_serve.py", "bench_scale.py",
               "bench_whole_train.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=False)
