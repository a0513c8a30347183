"""What the headless commands share: reading the data a command names (a file, several files, or
``--sql``), the spec file, the shared options (pictures, streaming, SQL, MLflow), the progress
bar of a training in the foreground and logging a saved run to MLflow. ``kwk/cli.py`` and every
``kwk/commands/*`` module import these from here (nothing here imports ``kwk.cli``)."""
from __future__ import annotations

import sys

from kwk.errors import KwkError

EXIT_USER = 2


def image_options(a) -> dict:
    """``--image-size`` and ``--color`` as reading options of a zip of pictures."""
    size = getattr(a, "image_size", None)
    out = {}
    if size:
        m = __import__("re").fullmatch(r"\s*(\d+)\s*[xX×,]\s*(\d+)\s*", size)
        if not m or not (4 <= int(m.group(1)) <= 512 and 4 <= int(m.group(2)) <= 512):
            raise KwkError(f"--image-size {size!r} is not HEIGHTxWIDTH between 4 and 512.",
                           "For example --image-size 32x32.")
        out["image_size"] = (int(m.group(1)), int(m.group(2)))
    if getattr(a, "color", None):
        out["image_color"] = a.color
    return out


def load(a, **options):
    """The data of a command: a file path, or ``--sql`` over ``--db`` (or ``$KWK_DB_URL``)."""
    import os
    if getattr(a, "sql", None):
        if a.data:
            raise KwkError("Give either a data file or --sql, not both.")
        from kwk.data.sources import read_sql
        return read_sql(a.db or os.environ.get("KWK_DB_URL", ""), a.sql)
    if not a.data:
        raise KwkError("No data given.", "Give a data file, or --sql QUERY with --db URL.")
    from kwk.data import load as load_file
    return load_file(a.data, sheet=a.sheet, **{**image_options(a), **options})


def load_data(a, **options):
    """As :func:`load`, and a folder of Parquet files or a glob of CSV / Parquet files
    (``data/part-*.parquet``) loads as one table."""
    if a.data and not getattr(a, "sql", None):
        from kwk.data.dataset import is_many, load_many
        if is_many(a.data):
            return load_many(a.data, min_columns=options.get("min_columns", 2))
    return load(a, **options)


def read_spec(path) -> dict:
    """The spec file a command names, read and checked (``kwk.spec.loads``)."""
    from kwk.spec import loads
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise KwkError(f"Cannot read the spec file {path}: {e.strerror or e}.")
    except UnicodeDecodeError:
        raise KwkError(f"The spec file {path} is not text (UTF-8 JSON expected).")
    return loads(text)


def tracking(a) -> str | None:
    """``--mlflow URI``, else ``$MLFLOW_TRACKING_URI``, else None (no logging)."""
    from kwk.runs.tracker import tracking_uri
    return tracking_uri(getattr(a, "mlflow", None))


def log_to_mlflow(a, out, log=None) -> int:
    """After the run is saved: log it to MLflow when asked. A failure never loses the run: it
    is reported with where the run was saved, and the status is 2."""
    uri = tracking(a)
    if not uri:
        return 0
    from kwk.runs.tracker import log_run
    try:
        r = (log or log_run)(out, uri, a.mlflow_experiment, a.mlflow_register)
    except KwkError as e:
        print(f"error: the run was saved to {out}, but logging it to MLflow at {uri} failed: "
              f"{e}".replace("\n", " "), file=sys.stderr)
        return EXIT_USER
    reg = r.get("registered")
    print(f"Logged to MLflow at {uri}: run {r['run_id']}, model {r['model_uri']}"
          + (f", registered as '{reg['name']}' version {reg['version']}" if reg else ""),
          file=sys.stderr)
    return 0


def mlflow_args(s) -> None:
    s.add_argument("--mlflow", metavar="URI", help="also log the run to this MLflow tracking "
                   "server after saving it (default: $MLFLOW_TRACKING_URI when set)")
    s.add_argument("--mlflow-experiment", dest="mlflow_experiment", default="kwk",
                   help="the MLflow experiment (default: kwk)")
    s.add_argument("--mlflow-register", dest="mlflow_register", metavar="NAME",
                   help="also register the model in MLflow's model registry under NAME")


def image_args(s) -> None:
    s.add_argument("--image-size", dest="image_size",
                   help="a zip of pictures: resize them to HEIGHTxWIDTH (e.g. 32x32)")
    s.add_argument("--color", choices=("grayscale", "rgb"),
                   help="a zip of pictures: read them grey or in colour")


def sql_args(s) -> None:
    s.add_argument("--sql", help="read the data with this SQL query instead of a file")
    s.add_argument("--db", help="SQLAlchemy URL of the database (default: $KWK_DB_URL; prefer "
                   "the variable, so passwords stay out of the shell history)")


def four_digits(v) -> str:
    """A metric for a line of text: 4 decimals, or "n/a"."""
    return "n/a" if v is None else f"{v:.4f}"


def bar(s: dict, width: int = 28) -> str:
    """One progress line: the bar, the epoch, the last metrics, the time; after the epochs,
    what runs now (``s["phase"]``: scoring, the comparison models, intervals, saving)."""
    frac = 0.0
    if s["epochs"]:
        frac = min(1.0, (s["epoch"] + s["batch"] / max(s["batches"], 1)) / s["epochs"])
    filled = int(frac * width)
    h = s["history"]
    last = ""
    for k in ("loss", "val_loss", "accuracy", "val_accuracy"):
        if h.get(k) and h[k][-1] is not None:
            last += f" {k}={h[k][-1]:.4f}"
    eta = f" eta {s['eta']:.0f}s" if s.get("eta") else ""
    epoch = f"epoch {min(s['epoch'] + 1, s['epochs'])}/{s['epochs']}"
    if s.get("phase"):  # the epochs are done: say what runs, not a frozen last epoch
        line = f"[{'#' * width}] {epoch} · {s['phase']}… {s['elapsed']:.0f}s"
    else:
        line = f"[{'#' * filled}{'.' * (width - filled)}] {epoch}{last} {s['elapsed']:.0f}s{eta}"
    return "\r" + line.ljust(100)


def train_job(prep, show: bool):
    from kwk.training import Job
    job = Job(prep, label="cli").start()
    try:
        while not job.wait(0.25):
            if show:
                print(bar(job.snapshot()), end="", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("\nstopping after the current batch…", file=sys.stderr)
        job.stop()
        job.wait()
    if show:
        print(bar(job.snapshot()), file=sys.stderr)
    if job.error:
        raise job.error
    return job.result
