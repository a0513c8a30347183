"""Tuning on real tables KwK has never seen, where the default network trails the gradient-
boosting reference: does a 5-minute `kwk tune` bring it within 3% of that reference?

Tables: statsmodels' bundled datasets (real survey and economic data, not KwK's samples), each
trained first with KwK's default stack through `python -m kwk train`. Where the reference
(scikit-learn's HistGradientBoosting on the same split) does better on the test rows, the same
spec is tuned with `python -m kwk tune --timeout 300` and the best network's test score (scored
once, on the same test rows) is compared with the reference's. The headline metric is balanced
accuracy (classes) or R² (numbers). Needs `pip install statsmodels` (not a KwK requirement).

Run: python bench/bench_tune_reference.py [--screen] [--minutes 5] [name ...]. Appends to
bench/RESULTS.md (unless --screen, which only prints default vs reference).
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, record


def tables():
    """name -> (DataFrame, target, what it is)."""
    import statsmodels.api as sm
    d = sm.datasets
    fair = d.fair.load_pandas().data
    fair = fair.assign(had_affair=(fair["affairs"] > 0).map({True: "yes", False: "no"}))
    star = d.star98.load_pandas().data
    star = star.assign(share_above=star["NABOVE"] / (star["NABOVE"] + star["NBELOW"])) \
        .drop(columns=["NABOVE", "NBELOW"])
    return {
        "fair": (fair.drop(columns=["affairs"]), "had_affair",
                 "extramarital affairs survey, 6,366 rows, binary"),
        "star98": (star, "share_above", "California schools' test results, 303 rows, regression"),
        "grunfeld": (d.grunfeld.load_pandas().data, "invest",
                     "firms' investment, 220 rows with a firm category, regression"),
        "anes96": (d.anes96.load_pandas().data.astype({"PID": int}), "PID",
                   "US election survey, 944 rows, 7 party identifications"),
        "randhie": (d.randhie.load_pandas().data, "mdvis",
                    "RAND health insurance experiment, 20,190 rows, doctor visits"),
    }


def _cli(*args, timeout=1800):
    r = subprocess.run([sys.executable, "-m", "kwk", *map(str, args)], cwd=ROOT,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    return r


def _headline(metrics: dict, part: str) -> float:
    key = "r2" if metrics["task"] == "regression" else "balanced_accuracy"
    return metrics[part][key], key


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--screen", action="store_true", help="default vs reference only")
    ap.add_argument("--minutes", type=float, default=5)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from kwk.spec import default_spec
    all_tables = tables()
    for name in a.names or list(all_tables):
        df, target, what = all_tables[name]
        work = Path(tempfile.mkdtemp(prefix=f"kwk-tune-{name}-"))
        data, spec = work / f"{name}.csv", work / "spec.json"
        df.to_csv(data, index=False)
        spec.write_text(json.dumps(default_spec(target)))
        _cli("train", data, "--spec", spec, "--out", work / "default", "--quiet")
        m = json.loads((work / "default" / "metrics.json").read_text())
        own, key = _headline(m, "test")
        ref, _ = _headline(m, "reference")
        print(f"{name}: default {key} {own:.4f}, reference {ref:.4f} ({m['reference']['name']})",
              flush=True)
        if a.screen or own >= ref:
            continue
        _cli("tune", data, "--spec", spec, "--out", work / "tuned", "--trials", 1000,
             "--timeout", int(a.minutes * 60), timeout=int(a.minutes * 60) + 1800)
        best = json.loads((work / "tuned" / "best" / "metrics.json").read_text())
        study = json.loads((work / "tuned" / "study.json").read_text())
        tuned, _ = _headline(best, "test")
        gap = (ref - tuned) / abs(ref) if ref else float("nan")
        counts = study.get("counts", {})
        print(f"{name}: tuned {key} {tuned:.4f}; gap to the reference {gap:+.1%}", flush=True)
        record(f"a {a.minutes:g}-minute tune on a table KwK has not seen where the default "
               f"network trails gradient boosting: {name} ({what}), test {key}",
               f"default network {own:.3f}; gradient boosting {ref:.3f}; tuned network "
               f"{tuned:.3f} ({counts.get('complete', '?')} trials complete, "
               f"{counts.get('pruned', '?')} pruned)",
               f"**{gap:+.1%}** from the reference (goal: within 3%)")


if __name__ == "__main__":
    main()
