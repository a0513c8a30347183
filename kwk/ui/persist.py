"""The kept session: a person's work survives a reload, and the same address opened in another
tab finds it (``?s=<key>``; the store is :mod:`kwk.runs.sessions`).

``kwk_app.py`` calls :func:`restore` before the page runs (once per browser session: a fresh
session with ``?s=`` in the address gets the kept values back; every run puts the key back in
the address when a page switch dropped it) and :func:`save` after the page ran (only when a kept
value changed: a digest of the small values is compared, and the data itself is written once
per data fingerprint).

Kept: the data as read (a sample by its name, an upload as its own bytes read again by
:func:`kwk.ui.state.parse`, any other table as parquet), what the user said about it (roles,
kinds, target, task, the kind of data and its settings), the spec with its undo history, the
current run, the runs of other data the user chose to keep looking at (``stale_ok``), the
Playground's own data with what its network has learnt (weights, epoch, losses; put back
into the network a reload builds for the same settings and data) and the sidebar's marks. Values of the wrong kind in a snapshot (damaged
or edited by hand) refuse the whole restore with a word, so the pages never fail on them. Not
kept: live objects (a training job comes back through
``?job=``; the Playground's live model, rebuilt from its kept weights) and caches.
"""
from __future__ import annotations

import hashlib
import json
import logging

import streamlit as st

from kwk import preload
from kwk.errors import KwkError
from kwk.runs import sessions
from kwk.ui import state
from kwk.ui.session import DATA, TARGET, Session, session

PARAM = "s"
# the declared session keys kept as they are (JSON values), besides the data and the history
KEPT = ("kinds", "roles", "target", "task", "modality", "image_shape", "sequence", "text",
        "validation_column", "spec", "spec_version", "selected_layer", "build_part",
        "build_ok", "run_id", "evaluated", "predicted", "pg_data", "stale_ok")
# what each kept value must be when read back (a damaged snapshot is refused, not shown)
_TYPES = {"kinds": dict, "roles": dict, "target": (str, type(None)), "task": str,
          "modality": str, "image_shape": (list, type(None)), "sequence": (dict, type(None)),
          "text": (dict, type(None)), "validation_column": (str, type(None)), "spec": dict,
          "spec_version": int, "selected_layer": int, "build_part": str, "build_ok": bool,
          "run_id": (str, type(None)), "evaluated": bool, "predicted": bool, "pg_data": dict,
          "stale_ok": list}
# the live background work found again by its registry id: address parameter -> session key
LIVE = {"job": "job", "tune": "tune_job"}
_log = logging.getLogger("kwk")


def kept_note() -> str:
    """One sentence for the Data page: what is kept, and for how long."""
    who = ("only you, signed in, can open it" if state.owner() else
           "anyone with the address can open it, so share it only as you would the data")
    return (f"Your data, your choices, the model with its undo history and the current run are "
            f"kept on this server for {_how_long(sessions.ttl_hours())} after your last visit, "
            f"under the key in this page's address: reload, or open the address in another "
            f"tab, to go on where you were ({who}).")


def _how_long(hours: float) -> str:
    if hours >= 48 and hours % 24 == 0:
        return f"{hours / 24:.0f} days"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def _store() -> sessions.SessionStore:
    return sessions.SessionStore()


# --- what is kept ---------------------------------------------------------------------------
def kept_values(ss: Session) -> dict:
    """The kept values of the session as JSON values (shared, not copied: serialise them)."""
    out = {name: getattr(ss, name) for name in KEPT}
    out["history"] = ss.history.to_dict()
    out["jobs"] = dict(ss.kept_jobs)
    return out


def live_ids(ss: Session) -> dict:
    """The registry ids of the session's training and search (``?job=``, ``?tune=``) while the
    session still shows them: the Train and Tune pages put an id in the address when they
    start; a page switch drops it, so it is remembered here and put back."""
    _, registry = state.job_services()
    who, out = state.owner(), {}
    for param, name in LIVE.items():
        obj = getattr(ss, name)
        if obj is None:
            continue
        for jid in (st.query_params.get(param), ss.kept_jobs.get(param)):
            if jid and registry.get(jid, who) is obj:
                out[param] = jid
                break
    return out


def digest(values: dict, data_id: str) -> str:
    """A short digest of the kept values and the data's identity (its fingerprint and name):
    a rerun that changed none of them writes nothing."""
    text = json.dumps(values, sort_keys=True, default=_json_default)
    return hashlib.blake2b(f"{data_id}\n{text}".encode(), digest_size=16).hexdigest()


def _json_default(v):
    if hasattr(v, "item"):  # numpy numbers
        return v.item()
    if isinstance(v, (set, tuple)):
        return list(v)
    raise TypeError(f"{type(v).__name__} is not kept")


def _data_id(ld) -> str:
    return "" if ld is None else f"{ld.fingerprint}|{ld.name}|{ld.fmt}"


def data_description(ss: Session) -> tuple[dict | None, object]:
    """What the session's data is and how to read it again, and a function giving the content
    to write (None for a sample, which is kept by name)."""
    ld = ss.data
    if ld is None:
        return None, None
    base = {"fingerprint": ld.fingerprint, "name": ld.name}
    key = ld.name[:-4] if ld.name.endswith(".csv") else None
    from kwk.data.samples import SAMPLES
    if key in SAMPLES and ld.fmt == "csv" and state.sample(key).fingerprint == ld.fingerprint:
        return {**base, "kind": "sample", "key": key}, None
    for parsed, args in ss.upload_source:
        if parsed is ld:
            raw = args["bytes"]
            return ({**base, "kind": "upload", **{k: v for k, v in args.items()
                                                   if k != "bytes"}}, lambda: raw)
    meta = {"fmt": ld.fmt, "read_options": _jsonable(ld.read_options), "n_bytes": ld.n_bytes,
            "sheets": list(ld.sheets), "notes": list(ld.notes),
            "image_shape": list(ld.image_shape) if ld.image_shape is not None else None}
    return {**base, "kind": "frame", "meta": meta}, lambda: ld.df


def _jsonable(d: dict) -> dict:
    try:
        return json.loads(json.dumps(d, default=_json_default))
    except (TypeError, ValueError):
        return {k: v for k, v in d.items() if isinstance(v, (str, int, float, bool, type(None)))}


# --- saving ---------------------------------------------------------------------------------
def stop_page() -> None:
    """``st.stop()`` for the pages: the session is kept first. Once a page has stopped, every
    Streamlit call raises the stop again, so the app's closing :func:`save` cannot run after
    it, and what changed in that run (a setting, a widget's value) was lost on a reload."""
    save()
    st.stop()


def save() -> None:
    """Keep the session's work when a kept value changed since the last save (the first time
    there is data, a key is made and put in the address). Never fails the page."""
    ss = session()
    try:
        _save(ss)
    except sessions.SessionRefused:  # the key is another user's: never write there
        ss.kept_key, ss.kept_saved = None, None
        st.query_params.pop(PARAM, None)
    except Exception:  # keeping the work must never break the page it ran after
        _log.exception("the session could not be kept")
    finally:
        ss.upload_source = [e for e in ss.upload_source if e[0] is ss.data]
        keep_key_in_address()  # a page that rewrote the address (the Playground) dropped it


def _save(ss: Session) -> None:
    ss.kept_jobs = live_ids(ss)
    keep_playground_network(ss)
    waiting = ss.kept_waiting
    if ss.data is None and waiting is None and not (ss.pg_data or {}).get("upload"):
        return  # nothing worth keeping yet (a Playground upload is worth keeping)
    values = kept_values(ss)
    if waiting is not None:  # data left out: keep what depended on it until it comes back
        values.update(waiting["kept"])
        data_id = "waiting|" + str(waiting.get("fingerprint"))
    else:
        data_id = _data_id(ss.data)
    dig = digest(values, data_id)
    saved = ss.kept_saved
    if saved is not None and saved[0] == dig:
        return
    if not ss.kept_key:
        ss.kept_key = sessions.new_key()
    if waiting is not None:
        desc, payload = waiting["data"], None
    elif saved is not None and saved[1] == data_id:
        desc, payload = saved[2], None  # the same data: already written (or left out)
    else:
        desc, payload = data_description(ss)
    store = _store()
    note = _playground_upload_fits(values, store.max_bytes)
    out = store.save(ss.kept_key, state.owner(), json.loads(json.dumps(
        values, default=_json_default)), desc, payload)
    if note:
        ss.kept_note = ("warning", note)
    if out.left_out:
        ss.kept_note = ("warning", out.left_out)
    ss.kept_saved = (dig, data_id, out.data)
    if payload is not None:
        ss.upload_source = []  # the upload's bytes are on disk now
    store.cleanup()  # at most once an hour


def _playground_upload_fits(values: dict, cap: int) -> str | None:
    """The Playground's upload is kept inside the values (its bytes as base64), where the
    cap on the data file does not reach it: one past the cap is left out of what is written
    (with the network trained on it), and the returned note says so."""
    pg = values.get("pg_data") or {}
    up = pg.get("upload") or {}
    size = len(up.get("b64") or "")
    if size <= cap:
        return None
    values["pg_data"] = {**pg, "upload": None, "in_box": None, "net": None}
    return (f"The Playground's file ({up.get('name', 'your file')}, {_size(size * 3 // 4)}) "
            f"is too large to keep with your work (at most {_size(cap)} per session): the "
            f"rest is kept, but after a reload that file must be uploaded again.")


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n / 1e3:,.0f} kB"


def keep_key_in_address() -> None:
    """Put the session's key (and its running jobs' ids) back in the address when a page
    switch dropped them."""
    ss = session()
    for param, value in ((PARAM, ss.kept_key), *ss.kept_jobs.items()):
        if value and st.query_params.get(param) != value:
            st.query_params[param] = value


# --- the Playground's network ------------------------------------------------------------
# the Playground's view-only settings (drawn differently, the same network)
_PG_VIEW = ("show_test", "discretize", "show_weights")


def _pg_identity(pg) -> dict:
    """The settings and data a Playground network was made for (JSON)."""
    cfg = {k: v for k, v in pg.config.as_dict().items() if k not in _PG_VIEW}
    data = hashlib.blake2b(pg.xy.tobytes() + pg.y.tobytes(), digest_size=16).hexdigest()
    return json.loads(json.dumps({"config": cfg, "data": data}, default=_json_default))


def keep_playground_network(ss: Session) -> None:
    """Keep what the Playground's network has learnt with its data (``pg_data['net']``): its
    weights, epoch and loss history, for the settings and data it was made for. Taken while
    paused (while it plays, the last one taken stays); a new network (epoch 0) drops it."""
    pg = ss.pg
    if pg is None or pg.playing:
        return
    if not pg.epoch:
        ss.pg_data.pop("net", None)
        return
    ss.pg_data["net"] = {**_pg_identity(pg), **pg.learnt()}


def put_back_playground_network(pg) -> bool:
    """A Playground network built in a fresh browser session (a reload): give it what the
    kept session's network had learnt, when that was made for the same settings and data.
    Returns whether it was put back."""
    net = session().pg_data.get("net")
    if not isinstance(net, dict) or pg.epoch:
        return False
    try:
        if {k: net.get(k) for k in ("config", "data")} != _pg_identity(pg):
            return False
        return pg.put_back(net)
    except Exception:  # a kept network that does not fit is dropped, never a broken page
        _log.exception("the kept Playground network could not be put back")
        return False


# --- restoring ------------------------------------------------------------------------------
def restore() -> None:
    """Once per browser session: bring back the work kept under the address's key. A refused,
    expired, missing or damaged one leaves a clean start and a note, never a traceback."""
    ss = session()
    if ss.kept_checked:
        keep_key_in_address()
        return
    ss.kept_checked = True
    key = st.query_params.get(PARAM)
    if not key:
        return
    try:  # once more if it failed beside a preload (a half-imported module, kwk/preload.py)
        preload.retried(_restore, ss, key)
    except sessions.SessionError as e:
        st.query_params.pop(PARAM, None)
        ss.kept_note = ("warning", e.message + (f" {e.hint}" if e.hint else ""))
    except Exception as e:  # anything else: a clean start, said plainly
        _log.exception("the kept session could not be restored")
        st.query_params.pop(PARAM, None)
        ss.kept_note = ("warning", f"The work kept at this address could not be restored "
                                   f"({type(e).__name__}); you start with a clean session.")


def _restore(ss: Session, key: str) -> None:
    store = _store()
    snap = store.load(key, state.owner())
    st_values = dict(snap.state)
    from kwk.spec.history import History
    try:
        history = History.from_dict(st_values.pop("history", None) or {"entries": [],
                                                                        "cursor": -1})
    except (ValueError, TypeError, AttributeError, KeyError):
        raise _damaged() from None
    values = {k: st_values[k] for k in KEPT if k in st_values}
    check_values(values)
    values["history"] = history
    ld, note = _read_data(store, snap)
    keys = Session.keys()
    if ld is None and snap.data:  # no data: what depended on it waits for the same data
        later = {k: v for k, v in values.items() if keys[k].depends_on in (DATA, TARGET)}
        now = {k: v for k, v in values.items() if k not in later}
        kept_json = {k: v for k, v in st_values.items() if k in later}
        kept_json["history"] = snap.state.get("history")
        ss.kept_waiting = {"fingerprint": snap.data.get("fingerprint"), "values": later,
                           "kept": kept_json, "data": snap.data}
        values = now
    for name, value in values.items():  # as they were: no reset of what depends on them
        st.session_state[name] = value
    st.session_state["data"] = ld
    _, registry = state.job_services()
    jobs = {}
    for param, jid in (snap.state.get("jobs") or {}).items():
        obj = registry.get(str(jid), state.owner()) if param in LIVE else None
        if obj is not None:  # still in this server's registry (a restart forgets them)
            st.session_state[LIVE[param]], jobs[param] = obj, str(jid)
    ss.kept_jobs = jobs
    ss.kept_key = key
    # what was just read is what is kept: the next save writes only a change
    if ss.kept_waiting is None:
        data_id = _data_id(ld)
        ss.kept_saved = (digest(kept_values(ss), data_id), data_id, snap.data)
    else:
        vals = kept_values(ss)
        vals.update(ss.kept_waiting["kept"])
        data_id = "waiting|" + str(ss.kept_waiting.get("fingerprint"))
        ss.kept_saved = (digest(vals, data_id), data_id, snap.data)
    ss.kept_note = ("warning", note) if note else (
        ("info", f"Your work was restored ({ld.name}).") if ld is not None else None)
    keep_key_in_address()


def _damaged() -> sessions.SessionCorrupt:
    return sessions.SessionCorrupt("The kept work for this address is damaged and cannot be "
                                   "restored.", "Load your data again to start cleanly.")


def check_values(values: dict) -> None:
    """Refuse kept values of the wrong kind (a damaged or hand-edited snapshot) before any is
    put in the session: the pages would fail on them. Raises SessionCorrupt."""
    for name, value in values.items():
        want = _TYPES.get(name)
        if want is not None and (not isinstance(value, want)
                                 or isinstance(value, bool) and bool not in (
                                     want if isinstance(want, tuple) else (want,))):
            raise _damaged()
    spec = values.get("spec")
    if spec is not None and not (isinstance(spec.get("layers", []), list) and all(
            isinstance(layer, dict) for layer in spec.get("layers", []))):
        raise _damaged()
    if not all(isinstance(r, str) for r in values.get("stale_ok", [])):
        raise _damaged()


def _read_data(store: sessions.SessionStore, snap: sessions.Snapshot):
    """The kept data as a LoadedData, and a note when it could not be brought back."""
    d = snap.data
    if not d:
        return None, None
    name = d.get("name", "the data")
    again = (f"Load {name} again: its target, roles and model history come back with it."
             if d.get("fingerprint") else "Load your data again.")
    try:
        if d["kind"] == "sample":
            ld = state.sample(d["key"])
        elif d["kind"] == "upload":
            ld = state.parse(store.read_bytes(snap), d["name"], d.get("sheet"),
                             tuple(d["images"]) if d.get("images") else None,
                             int(d.get("min_columns", 2)))
        elif d["kind"] == "frame":
            from kwk.data.loader import LoadedData
            m = d.get("meta") or {}
            ld = LoadedData(df=store.read_table(snap), name=name, fmt=m.get("fmt", "parquet"),
                            read_options=dict(m.get("read_options") or {}),
                            fingerprint=d.get("fingerprint", ""), n_bytes=int(m.get("n_bytes", 0)),
                            sheets=list(m.get("sheets") or []),
                            image_shape=tuple(m["image_shape"]) if m.get("image_shape") else None,
                            notes=list(m.get("notes") or []))
        else:  # left out when it was kept
            why = ("it was too large to keep" if d.get("reason") == "too large"
                   else f"it could not be kept ({d.get('reason', 'unknown')})")
            return None, f"Your choices were restored, but not the data: {why}. {again}"
    except (sessions.SessionError, KeyError, TypeError, ValueError) as e:
        msg = getattr(e, "message", type(e).__name__)
        return None, f"Your choices were restored, but the data could not be read ({msg}). {again}"
    except KwkError as e:  # a reader's DataError
        return None, f"Your choices were restored, but the data could not be read ({e.message}). {again}"
    if d.get("fingerprint") and ld.fingerprint != d["fingerprint"]:
        return None, (f"Your choices were restored, but {name} now reads differently from the "
                      f"data they were made on. {again}")
    return ld, None


def show_note() -> None:
    """Say once what happened to the kept work (restored, refused, expired, left out)."""
    ss = session()
    note = ss.kept_note
    if note:
        ss.kept_note = None
        (st.warning if note[0] == "warning" else st.info)(note[1], icon="💾")
