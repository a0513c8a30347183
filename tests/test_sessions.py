"""Kept sessions (kwk/runs/sessions.py): the work under an unguessable key, its owner, its
expiry, its size cap, and what a damaged or half-written one does."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from kwk.errors import KwkError
from kwk.runs import sessions
from kwk.runs.sessions import (SessionCorrupt, SessionGone, SessionRefused, SessionStore,
                               new_key)

STATE = {"target": "y", "roles": {"id": "ignore"}, "spec": {"layers": [{"type": "Dense",
                                                                         "units": 64}]}}


class Clock:
    def __init__(self, t=1_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def table(n=1000):
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "k": rng.choice(["a", "b"], n),
                         "n": np.arange(n), "y": rng.integers(0, 2, n).astype(bool),
                         "t": pd.date_range("2024-01-01", periods=n, freq="h")})


def frame_desc(fp="sha256:abc"):
    return {"kind": "frame", "fingerprint": fp, "name": "t.csv", "meta": {"fmt": "csv"}}


def test_keys_are_unguessable_and_checked(tmp_path):
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200 and all(len(k) >= 32 for k in keys)  # 192 random bits each
    store = SessionStore(tmp_path)
    for bad in ("../../etc", "short", "a" * 40 + "/x", "", None):
        with pytest.raises(SessionGone, match="not valid"):
            store.load(bad)


def test_state_upload_and_table_come_back_as_saved(tmp_path):
    store, key = SessionStore(tmp_path), new_key()
    raw = b"a,b\n1,2\n3,4\n"
    up = {"kind": "upload", "fingerprint": "sha256:u", "name": "u.csv", "sheet": None}
    assert store.save(key, "", STATE, up, lambda: raw).data_written
    snap = store.load(key, "")
    assert snap.state == STATE and snap.data["kind"] == "upload"
    assert store.read_bytes(snap) == raw
    # the same data again: the payload is not even asked for
    out = store.save(key, "", {**STATE, "target": "z"}, up, lambda: pytest.fail("rewritten"))
    assert not out.data_written and store.load(key).state["target"] == "z"
    # another table replaces the upload; the old file is removed
    df = table()
    store.save(key, "", STATE, frame_desc(), lambda: df)
    snap = store.load(key, "")
    assert snap.data["format"] == "parquet"
    pd.testing.assert_frame_equal(store.read_table(snap), df)
    assert sorted(p.name for p in store.folder(key).iterdir()) == sorted(
        ["snapshot.json", snap.data["file"]])


def test_a_table_parquet_cannot_hold_is_kept_as_json_with_its_types(tmp_path):
    df = pd.DataFrame({"mixed": pd.Series([1, "two", 3.5, None], dtype=object),
                       "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
                       "cat": pd.Categorical(["a", "b", "a", "b"]), "v": [1.5, 2.5, 3.5, 4.5]})
    with pytest.raises(Exception):
        df.to_parquet(tmp_path / "probe.parquet")  # the case the fallback exists for
    store, key = SessionStore(tmp_path), new_key()
    store.save(key, "", STATE, frame_desc(), lambda: df)
    snap = store.load(key)
    assert snap.data["format"] == "json"
    back = store.read_table(snap)
    assert list(back["mixed"]) == [1, "two", 3.5, None]
    pd.testing.assert_frame_equal(back[["when", "cat", "v"]], df[["when", "cat", "v"]])


def test_another_owner_is_refused_and_never_sees_or_overwrites_the_data(tmp_path):
    store, key = SessionStore(tmp_path), new_key()
    store.save(key, "alice@example.org", STATE, frame_desc(), lambda: table(10))
    with pytest.raises(SessionRefused) as e:
        store.load(key, "bob@example.org")
    assert isinstance(e.value, KwkError) and "another user" in e.value.message
    assert "Dense" not in str(e.value) and "alice" not in str(e.value)
    with pytest.raises(SessionRefused):  # the same key cannot be taken over
        store.save(key, "bob@example.org", {"target": "stolen"})
    with pytest.raises(SessionRefused):  # nor by a session without authentication
        store.load(key, "")
    assert store.load(key, "alice@example.org").state == STATE


def test_expired_sessions_are_refused_and_cleaned_up_at_most_hourly(tmp_path, monkeypatch):
    monkeypatch.setenv("KWK_SESSION_TTL_HOURS", "2")
    clock = Clock()
    store = SessionStore(tmp_path, clock=clock)
    assert store.ttl_s == 2 * 3600
    old, fresh, used = new_key(), new_key(), new_key()
    for k in (old, fresh, used):
        store.save(k, "", STATE)
    half = store.dir / new_key()  # a folder left without a snapshot (a crash at its creation)
    half.mkdir()
    os.utime(half, (clock.t, clock.t))
    clock.t += 3600
    store.save(fresh, "", {**STATE, "target": "later"})
    store.load(used)  # opening counts as use
    clock.t += 0.5 * 3600
    assert store.cleanup(force=True) == []  # nothing is 2 h old yet
    clock.t += 0.9 * 3600  # old and the half-made folder: 2.4 h; fresh and used: 1.4 h
    assert store.cleanup() == []  # the last cleanup ran 0.9 h ago: not again yet
    assert store.folder(old).exists()
    clock.t += 0.2 * 3600
    assert sorted(store.cleanup()) == sorted([old, half.name])
    assert not store.folder(old).exists() and store.folder(fresh).exists()
    with pytest.raises(SessionGone, match="expired and was cleaned up"):
        store.load(old)
    clock.t += 3600  # fresh is now past its time but the cleanup has not run: load refuses
    with pytest.raises(SessionGone, match="expired"):
        store.load(fresh)
    assert not store.folder(fresh).exists()  # and deletes it


def test_data_over_the_cap_is_left_out_and_the_choices_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("KWK_SESSION_MAX_MB", "0.05")  # 52,428 bytes
    store, key = SessionStore(tmp_path), new_key()
    assert store.max_bytes == int(0.05 * 1024 * 1024)
    df = table(20_000)
    out = store.save(key, "", STATE, frame_desc(), lambda: df)
    assert out.left_out and "too large to keep" in out.left_out
    assert "must be loaded again" in out.left_out
    snap = store.load(key)
    assert snap.state == STATE and snap.data["kind"] == "left_out"
    assert snap.data["fingerprint"] == "sha256:abc" and snap.data_path is None
    assert [p.name for p in store.folder(key).iterdir()] == ["snapshot.json"]
    # saved again with the description it returned (a later edit): still "too large"
    store.save(key, "", {**STATE, "target": "x"}, out.data)
    assert store.load(key).data["reason"] == "too large"
    # an upload is measured by its own size: just under the cap is kept, just over is not
    room = store.max_bytes - len(json.dumps(STATE, sort_keys=True))
    up = {"kind": "upload", "fingerprint": "f", "name": "u.csv"}
    assert store.save(key, "", STATE, up, lambda: b"x" * room).data_written
    assert store.save(key, "", STATE, {**up, "fingerprint": "g"},
                      lambda: b"x" * (room + 1)).left_out
    # the setting is read with care: nonsense or zero falls back to the default
    for bad in ("lots", "0", "-3"):
        monkeypatch.setenv("KWK_SESSION_MAX_MB", bad)
        assert SessionStore(tmp_path).max_bytes == sessions.DEFAULT_MAX_MB * 1024 * 1024


def test_a_damaged_or_missing_snapshot_says_so(tmp_path):
    store, key = SessionStore(tmp_path), new_key()
    with pytest.raises(SessionGone, match="No kept work"):
        store.load(key)
    store.save(key, "", STATE)
    for garbage in ("{not json", "[]", '{"owner": "", "state": "x", "updated": 1}', ""):
        (store.folder(key) / "snapshot.json").write_text(garbage)
        with pytest.raises(SessionCorrupt, match="damaged") as e:
            store.load(key)
        assert e.value.hint
    # a damaged snapshot of this key is replaced by the next save of its session
    store.save(key, "", STATE)
    assert store.load(key).state == STATE
    # a damaged table file
    store.save(key, "", STATE, frame_desc(), lambda: table(50))
    snap = store.load(key)
    snap.data_path.write_bytes(b"PAR1 garbage")
    with pytest.raises(SessionCorrupt, match="could not be read"):
        store.read_table(snap)
    # a data file that vanished: the choices come back, the data is said to be missing
    snap.data_path.unlink()
    again = store.load(key)
    assert again.state == STATE and again.data["kind"] == "left_out"


def test_a_crash_while_writing_keeps_the_last_good_snapshot(tmp_path, monkeypatch):
    store, key = SessionStore(tmp_path), new_key()
    df = table(100)
    store.save(key, "", STATE, frame_desc("sha256:first"), lambda: df)
    good = store.load(key)

    def crash(fd):
        raise OSError("disk gone")  # after the bytes were written, before the rename

    monkeypatch.setattr(sessions.os, "fsync", crash)
    with pytest.raises(OSError):
        store.save(key, "", {**STATE, "target": "new"})
    with pytest.raises(OSError):
        store.save(key, "", STATE, frame_desc("sha256:second"), lambda: table(200))
    monkeypatch.undo()
    snap = store.load(key)
    assert snap.state == STATE and snap.data["fingerprint"] == "sha256:first"
    pd.testing.assert_frame_equal(store.read_table(snap), df)
    assert snap.data["file"] == good.data["file"]
    assert not [p for p in store.folder(key).iterdir() if p.name.endswith(".tmp")]


def test_the_build_history_round_trips_through_json():
    from kwk.spec.history import LIMIT, History
    h = History()
    spec = {"layers": [{"type": "Dense", "units": 32}], "training": {"epochs": 20}}
    h.observe(spec)
    for units in (64, 128):
        spec = {**spec, "layers": [{"type": "Dense", "units": units}]}
        h.observe(spec)
    h.undo()
    back = History.from_dict(json.loads(json.dumps(h.to_dict())))
    assert back.rows() == h.rows() and back.cursor == 1
    assert back.next_redo == "changed units of Dense 1 from 64 to 128"
    assert back.redo()["layers"][0]["units"] == 128
    for bad in ({}, {"entries": [{"state": {}}], "cursor": 0}, {"entries": [], "cursor": 3}):
        with pytest.raises(ValueError):
            History.from_dict(bad)
    long = {"entries": [{"state": {"n": i}, "label": str(i)} for i in range(LIMIT + 5)],
            "cursor": LIMIT + 4}
    trimmed = History.from_dict(long)
    assert len(trimmed.entries) == LIMIT and trimmed.entries[trimmed.cursor].label == str(LIMIT + 4)
