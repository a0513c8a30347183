"""Headless KwK — a public contract used by scripts and the scale work.

    python -m kwk profile DATA [--sheet S] [--target T]    profile as JSON on stdout
    python -m kwk train DATA --spec SPEC --out DIR          train; write the bundle to DIR
        [--stream [--chunk-rows N]]                         ... reading a file in chunks
        [--distributed]                                     ... on TF_CONFIG's workers
    python -m kwk predict DIR DATA --out PRED.csv           predictions for new rows
    python -m kwk codegen SPEC --data DATA                  the training script on stdout
    python -m kwk report DIR --out report.html              a self-contained HTML report
    python -m kwk sample [NAME] [--out FILE.csv --spec S]   list / write a bundled sample
    python -m kwk tune DATA --spec SPEC --out DIR           search for a better network (Optuna)
        [--trials N] [--timeout S] [--storage URL --study NAME] [--best-out DIR]
    python -m kwk explain RUN DATA --out explain.json       per-row contributions (SHAP)
    python -m kwk export RUN --format F --out PATH          keras, savedmodel, tflite or onnx
    python -m kwk serve RUN [--host H] [--port P]           a REST service (FastAPI)
    python -m kwk notebook RUN --out train.ipynb            the training script as a notebook
    python -m kwk challenge create DATA --target T --out DIR  a class challenge (hidden answers);
        challenge score KEY SUBMISSION, challenge board KEY FOLDER   (docs/challenges.md)

The commands after ``sample`` live in ``kwk/commands/`` (one module each).

Instead of DATA, any command reading data takes ``--sql QUERY`` with ``--db URL`` (or the
``KWK_DB_URL`` variable), e.g. ``--db sqlite:////data/sales.db --sql "SELECT * FROM sales"``.

User errors print one line ``error: ...`` on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from kwk.commands.common import EXIT_USER
from kwk.commands.common import (  # noqa: F401  (what the commands share)
    bar as _bar, four_digits as _r, image_args as _image_args, image_options as _image_options,
    load as _load, load_data as _load_data, log_to_mlflow, mlflow_args as _mlflow_args,
    read_spec as _read_spec, sql_args as _sql_args, tracking, train_job as _train_job)
from kwk.errors import KwkError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors: same one-line contract, exit 2
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(EXIT_USER)


def cmd_profile(a) -> int:
    if a.stream:
        from kwk.data.chunks import ChunkReader, profile_streamed
        reader = ChunkReader(_stream_path(a), a.chunk_rows)
        p = profile_streamed(reader, target=a.target)
        json.dump(p, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
        return 0
    from kwk.data.profile import profile
    ld = _load_data(a)
    if a.target and a.target not in ld.df.columns:
        raise KwkError(f"The target column '{a.target}' is not in the data.",
                       f"Columns: {', '.join(map(str, ld.df.columns[:30]))}.")
    p = profile(ld.df, target=a.target, name=ld.name, image_shape=ld.image_shape,
                notes=tuple(ld.notes))
    if a.target and "images" not in p:  # each column alone against the target, and the
        # leakage flags built on it (pictures are profiled as pictures, not pixel by pixel)
        from kwk.data.profile import add_screening
        add_screening(p, ld.df, a.target)
    p["source"] = {"format": ld.fmt, "read_options": ld.read_options,
                   "fingerprint": ld.fingerprint, "bytes": ld.n_bytes, "sheets": ld.sheets}
    json.dump(p, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
    return 0


def cmd_train(a) -> int:
    from pathlib import Path

    from kwk.runs.bundle import ensure_writable
    if a.distributed:
        from kwk.training.distributed import cluster
        if not cluster()["chief"]:
            return _train(a)  # the other workers train their share and write nothing
    if tracking(a):  # a wrong tracking URI or a missing MLflow: said before training
        from kwk.runs.tracker import check_uri, require_mlflow
        check_uri(tracking(a)); require_mlflow()
    existed = Path(a.out).exists()
    ensure_writable(a.out)  # fail before a long training, not after
    try:
        return _train(a)
    except BaseException:
        if not existed and Path(a.out).is_dir() and not any(Path(a.out).iterdir()):
            Path(a.out).rmdir()  # leave no empty folder behind
        raise


def _stream_path(a) -> str:
    if getattr(a, "sql", None) or not a.data:
        raise KwkError("--stream reads a CSV or Parquet file, a folder of Parquet files or a "
                       "glob of them.", "Give the data's path.")
    return a.data


def _train_streamed(a):
    """Data larger than memory: planned and trained chunk by chunk (with ``--distributed``,
    each worker streams its own share); no script (it would read the whole file). Returns
    ``(result, source)``, or ``(None, None)`` on a worker that is not the chief."""
    from kwk.runs.service import DataSource
    from kwk.training.stream import ChunkReader, plan
    reader = ChunkReader(_stream_path(a), a.chunk_rows)
    spec = _read_spec(a.spec)
    if a.distributed:
        res = _train_sharded(a, reader, spec)
        if res is None:
            return None, None
    else:
        p = plan(reader, spec)
        for n in p.notes:
            print(f"note: {n}", file=sys.stderr)
        res = _train_job(p, not a.quiet)  # the same progress bar and Ctrl-C stop as in memory
    return res, DataSource(name=reader.name, fmt=reader.fmt, fingerprint=reader.fingerprint(),
                           path=str(a.data))


def _train_sharded(a, reader, spec):
    """``--stream --distributed``: join the cluster, plan over all the workers' shares (one
    shared pass), train, score; the chief returns the result, the others None."""
    from kwk.training.distributed import cluster, connect, reporting_lost_workers, train_sharded
    from kwk.training.stream import plan
    info, show = cluster(), not a.quiet
    strategy, exchange = connect()
    shard = reader.shard(exchange.index, exchange.workers)
    with reporting_lost_workers():
        p = plan(shard, spec, exchange=exchange.allgather if exchange.workers > 1 else None)
    if info["chief"]:
        for n in p.notes:
            print(f"note: {n}", file=sys.stderr)

    def on_epoch(e, n, loss, vloss):
        if show:
            print(f"\repoch {e}/{n} loss={loss:.4f} val_loss={vloss:.4f}   ", end="",
                  file=sys.stderr, flush=True)
    # the chief also adds the bootstrap intervals on the merged test sample
    res = train_sharded(p, strategy, exchange, on_epoch, assessed=info["chief"])
    if show:
        print(file=sys.stderr)
    if not info["chief"]:
        rows = p.extra["shard_counts"][exchange.index]["train"]
        print(f"Worker {info['index']} finished its share ({rows:,} training rows): "
              f"{res.message} The chief saves the model.", file=sys.stderr)
        return None
    return res


def _train_in_memory(a):
    """Load, prepare and train (on this machine, or as one worker of a cluster). Returns
    ``(result, source)``, or ``(None, None)`` on a worker that is not the chief."""
    from kwk.runs.service import DataSource
    from kwk.prep.prepare import prepare
    ld = _load(a)
    for n in ld.notes:
        print(f"note: {n}", file=sys.stderr)
    spec = _read_spec(a.spec)
    if ld.image_shape is not None and not spec["data"].get("image_shape"):
        spec["data"]["image_shape"] = list(ld.image_shape)  # a .zip of pictures
    prep = prepare(ld.df, spec)
    for n in prep.notes:
        print(f"note: {n}", file=sys.stderr)
    show = not a.quiet
    if not a.distributed:
        return _train_job(prep, show), DataSource.of(ld, path=a.data)
    from kwk.training.distributed import cluster, train_distributed
    info = cluster()

    def on_epoch(e, n, loss, vloss):
        if show:
            print(f"\repoch {e}/{n} loss={loss:.4f} val_loss={vloss:.4f}   ", end="",
                  file=sys.stderr, flush=True)
    res = train_distributed(prep, on_epoch)
    if show:
        print(file=sys.stderr)
    if not info["chief"]:
        print(f"Worker {info['index']} finished: {res.message} The chief saves the model.",
              file=sys.stderr)
        return None, None
    return res, DataSource.of(ld, path=a.data)


def _train(a) -> int:
    """train -> script -> save through the run service, as the Train page does."""
    from kwk.evaluation.metrics import headline
    from kwk.runs.service import save_run
    if not a.quiet:  # nothing moves until the first epoch otherwise
        print("Reading the data and preparing it (splits, preprocessing)…", file=sys.stderr,
              flush=True)
    res, source = _train_streamed(a) if a.stream else _train_in_memory(a)
    if res is None:
        return 0
    if not a.quiet:
        print("Saving the run…", file=sys.stderr, flush=True)
    out = save_run(res, source, out_dir=a.out, script=not a.stream)
    key, val = headline(res.metrics)
    print(f"{res.message} Test {key}: {_r(val)} "
          f"(baseline {_r(res.metrics['baseline'].get(key))}). Trained on {res.device}. "
          f"Saved to {out}", file=sys.stderr)
    return log_to_mlflow(a, out)


def cmd_predict(a) -> int:
    from kwk.runs.bundle import load_bundle
    b = load_bundle(a.model_dir)
    from kwk.commands.predict_pictures import predict_pictures  # one PNG/JPEG, a zip of them
    if (done := predict_pictures(a, b)) is not None:
        return done
    shape = b.spec["data"].get("image_shape")  # a zip of pictures is read at the model's size
    ld = _load_data(a, min_columns=1,  # a text model's new rows may be the text column alone
               **({"image_size": tuple(shape[:2]),
                   "image_color": "grayscale" if shape[2] == 1 else "rgb"} if shape else {}))
    binary = b.pre.task == "binary"
    if a.threshold is not None and not (binary and 0.0 < a.threshold < 1.0):
        raise KwkError(f"--threshold {a.threshold:g} cannot be used here.",
                       "A decision threshold is a probability between 0 and 1, and only a "
                       "two-class (binary) model has one.")
    pred = b.predict(ld.df, a.threshold)
    from kwk.data.safety import csv_safe
    from kwk.runs.bundle import unusual_summary
    note = unusual_summary(pred["unusual"])
    if note:
        print(f"note: {note}", file=sys.stderr)
    try:
        csv_safe(pred).to_csv(a.out, index=False)
    except OSError as e:
        raise KwkError(f"Cannot write {a.out}: {e.strerror or e}.")
    at = ""
    if binary:
        t = b.threshold if a.threshold is None else a.threshold
        at = f", '{b.pre.classes[1]}' from a probability of {t:g} on" + \
             (" (the run's decision threshold)" if a.threshold is None else "")
    print(f"Wrote {len(pred)} predictions to {a.out}{at}", file=sys.stderr)
    return 0


def cmd_codegen(a) -> int:
    from kwk.runs.service import DataSource, training_script
    from kwk.spec import resolve
    spec = _read_spec(a.spec)
    ld = _load(a)
    resolved, _ = resolve(spec, ld.df)
    sys.stdout.write(training_script(resolved, DataSource.of(ld, path=a.data)))
    return 0


def cmd_report(a) -> int:
    from kwk.runs.report import build_report
    text = build_report(a.run_dir)
    try:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise KwkError(f"Cannot write {a.out}: {e.strerror or e}.")
    print(f"Wrote the report to {a.out}", file=sys.stderr)
    return 0


def cmd_sample(a) -> int:
    from kwk.data.samples import SAMPLES
    if not a.name:
        for key, smp in SAMPLES.items():
            print(f"{key:14} {smp.title}: {smp.description}")
        return 0
    if a.name not in SAMPLES:
        raise KwkError(f"There is no sample called '{a.name}'.",
                       f"Choose one of: {', '.join(SAMPLES)}.")
    if not a.out:
        raise KwkError("Give --out FILE.csv to write the sample.")
    from kwk.data.safety import csv_safe
    from kwk.spec import dumps, normalize
    from kwk.catalog.presets import starter_spec
    smp = SAMPLES[a.name]
    try:
        csv_safe(smp.load()).to_csv(a.out, index=False)
        if a.spec:
            with open(a.spec, "w", encoding="utf-8") as f:
                f.write(dumps(normalize(starter_spec(smp))) + "\n")
    except OSError as e:
        raise KwkError(f"Cannot write the sample: {e.strerror or e}.")
    print(f"Wrote the '{a.name}' sample to {a.out}" + (f" and a starting spec to {a.spec}"
                                                        if a.spec else ""), file=sys.stderr)
    return 0


def _stream_args(s) -> None:
    s.add_argument("--stream", action="store_true",
                   help="read a CSV or Parquet file in chunks (data larger than memory)")
    s.add_argument("--chunk-rows", type=int, default=100_000, dest="chunk_rows",
                   help="rows per chunk with --stream (default 100000)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m kwk", description="Keras Without Keras, headless.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    s = sub.add_parser("profile", help="profile a data file (JSON on stdout)")
    s.add_argument("data", nargs="?"); s.add_argument("--sheet"); s.add_argument("--target")
    _sql_args(s); _stream_args(s)
    s.set_defaults(fn=cmd_profile)
    s = sub.add_parser("train", help="train a spec on a data file")
    s.add_argument("data", nargs="?"); s.add_argument("--spec", required=True)
    _sql_args(s)
    s.add_argument("--out", required=True); s.add_argument("--sheet")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    _stream_args(s); _image_args(s)
    s.add_argument("--distributed", action="store_true",
                   help="train with TensorFlow's MultiWorkerMirroredStrategy, configured from "
                        "TF_CONFIG (one worker without it); only the chief writes --out")
    _mlflow_args(s)
    s.set_defaults(fn=cmd_train)
    s = sub.add_parser("predict", help="predict new rows with a trained model folder")
    s.add_argument("model_dir"); s.add_argument("data", nargs="?")
    s.add_argument("--out", required=True); _sql_args(s)
    s.add_argument("--sheet"); s.set_defaults(fn=cmd_predict)
    s.add_argument("--threshold", type=float, help="a binary model: predict the second class "
                   "from this probability on (default: the run's decision threshold)")
    s = sub.add_parser("codegen", help="print the Keras training script for a spec")
    s.add_argument("spec"); s.add_argument("--data"); s.add_argument("--sheet"); _sql_args(s)
    s.set_defaults(fn=cmd_codegen)
    s = sub.add_parser("sample", help="list the bundled samples, or write one as CSV (and a "
                       "starting spec for it)")
    s.add_argument("name", nargs="?"); s.add_argument("--out"); s.add_argument("--spec")
    s.set_defaults(fn=cmd_sample)
    s = sub.add_parser("report", help="write a self-contained HTML report of a run folder")
    s.add_argument("run_dir"); s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_report)
    for module in _command_modules():  # tune, explain, export, serve, notebook, ...
        module.add(sub)
    return p


def _command_modules():
    """The commands that live in ``kwk/commands/<name>.py``: each has ``add(sub)``, which adds
    its parser and sets ``fn``. Their modules import nothing heavy at the top."""
    import importlib
    import pkgutil

    import kwk.commands
    names = sorted(m.name for m in pkgutil.iter_modules(kwk.commands.__path__))
    return [importlib.import_module(f"kwk.commands.{n}") for n in names
            if not n.startswith("_") and n != "common"]  # common: what they share


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except KwkError as e:
        print(f"error: {str(e)}".replace("\n", " "), file=sys.stderr)
        return EXIT_USER
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug, not a user error: one line, no traceback (KWK_DEBUG=1 shows it)
        import os
        if os.environ.get("KWK_DEBUG"):
            raise
        print(f"error: internal error ({type(e).__name__}: {e}); please report it with the "
              "command and file. Set KWK_DEBUG=1 to see the details.", file=sys.stderr)
        return 1

