"""The Challenge page's parts (pages/11_challenge.py): the teacher creates a challenge and ranks
the submissions; the student opens student.zip, trains, compares the run with the goal and
downloads a submission. The rules live in :mod:`kwk.learn.challenge`.

What the page keeps between reruns lives in ``st.session_state`` under keys no widget owns
(``challenge_made``: the teacher's files; ``challenge_seen``: the student.zip upload already
opened; ``challenge_sub``: the student's last submission), so it survives leaving the page. The
student's challenge itself travels with the loaded data (``LoadedData.challenge``), so it is
found whichever page opened the zip, and comes back with a kept session."""
from __future__ import annotations

import json

import streamlit as st

from kwk.errors import KwkError
from kwk.ui.session import session
from kwk.ui.state import cached_bundle, owner, parse, set_data, show_error, store

MADE, SEEN, SUB = "challenge_made", "challenge_seen", "challenge_sub"


@st.cache_data(max_entries=4, show_spinner="Opening the challenge…")
def _opened(fingerprint: str, _ld):
    from kwk.learn.challenge import challenge_of
    return challenge_of(_ld)


def loaded_challenge():
    """``(test rows, challenge.json)`` of the challenge whose training rows are the session's
    data (a student.zip opened here or on the Data page), else None."""
    ld = session().data
    if ld is None or not getattr(ld, "challenge", None):
        return None
    return _opened(ld.fingerprint, ld)


# ------------------------------------------------------------------ the student

def open_upload() -> None:
    """The student.zip uploader: a new upload becomes the data, with the challenge's target."""
    up = st.file_uploader("Open the challenge your teacher gave you (student.zip)", type=["zip"],
                          key="ch_student_zip",
                          help="The training rows (train.csv) become your data, with the "
                               "target chosen; the test rows (test.csv) wait here for your "
                               "submission. Opening it on the Data page works too.")
    if up is None or st.session_state.get(SEEN) == up.file_id:
        return
    try:
        ld = parse(up.getvalue(), up.name)
        found = _opened(ld.fingerprint, ld)
    except KwkError as e:
        show_error(e)
        return
    if found is None:
        st.error(f"'{up.name}' is not a KwK challenge (it has no challenge.json and "
                 "train.csv).", icon="⚠️")
        return
    meta = found[1]
    st.session_state[SEEN] = up.file_id
    set_data(ld, meta["target"])
    session().task = meta["task"]
    st.rerun()


def describe(meta: dict, test) -> None:
    """The challenge in words: what to predict, the score, the goal, the rules."""
    st.subheader(meta.get("title") or "Challenge")
    better = "higher" if meta["higher_is_better"] else "lower"
    goal = ("no goal set" if meta.get("goal") is None else
            f"goal: {'at least' if meta['higher_is_better'] else 'at most'} {meta['goal']:g}")
    c = st.columns(4)
    c[0].metric("Predict", meta["target"])
    c[1].metric("Task", meta["task"])
    c[2].metric("Goal", "none" if meta.get("goal") is None else
                f"{'≥' if meta['higher_is_better'] else '≤'} {meta['goal']:g}",
                help=f"The teacher's goal for the {meta['metric_label']} ({better} is better).")
    c[3].metric("Test rows", f"{len(test):,}")
    st.caption(f"Scored by {meta['metric_label']} ({better} is better); {goal}.")
    with st.expander("The rules"):
        for r in meta.get("rules", []):
            st.markdown(f"- {r}")


def _runs_for(meta: dict) -> list[dict]:
    """This user's runs trained on the session's data with the challenge's target."""
    ss = session()
    out = []
    for r in store().list(owner()):
        try:
            target = json.loads(r["spec"])["data"]["target"]
        except (ValueError, KeyError, TypeError):
            continue
        if r["fingerprint"] == ss.data.fingerprint and target == meta["target"]:
            out.append(r)
    return out


def student_tab() -> None:
    open_upload()
    found = loaded_challenge()
    if found is None:
        st.info("Open the student.zip your teacher gave you above (or on the **Data** page). "
                "Its training rows become your data; train a model on them, then come back "
                "here for your submission.", icon="🎓")
        return
    test, meta = found
    ss = session()
    if not ss.target:  # opened on the Data page: choose the challenge's target
        ss.target, ss.task = meta["target"], meta["task"]
    describe(meta, test)
    if ss.target != meta["target"]:
        st.warning(f"Your target is '{ss.target}', but the challenge asks for "
                   f"'{meta['target']}'.", icon="🎯")
        if st.button(f"Predict '{meta['target']}'", key="ch_use_target"):
            ss.target, ss.task = meta["target"], meta["task"]
            st.rerun()
        return
    runs = _runs_for(meta)
    if not runs:
        st.info("Next: build a network and train it on these rows. Your submission is made "
                "from a trained run.", icon="🏋️")
        st.page_link("pages/3_build.py", label="Go to Build", icon="🧱")
        st.page_link("pages/4_train.py", label="Go to Train", icon="🏋️")
        return
    ids = [r["id"] for r in runs]
    by_id = {r["id"]: r for r in runs}
    pick = st.selectbox("Your run", ids, index=ids.index(ss.run_id) if ss.run_id in ids else 0,
                        key="ch_run", format_func=lambda i: _run_label(by_id[i]))
    run = store().get(pick, owner())
    goal_box(meta, run["metrics"])
    submission(run, test)


def _run_label(r: dict) -> str:
    score = f" · {r['metric']} {r['value']:.3f}" if r.get("value") is not None else ""
    return f"{r['created'][:19].replace('T', ' ')} · {r['name'] or r['id'][:8]}{score}"


def goal_box(meta: dict, metrics: dict) -> None:
    """The run's own test score (KwK's holdout of train.csv) against the teacher's goal."""
    from kwk.learn.challenge import goal_words
    _, met, text = goal_words(meta, metrics)
    (st.success if met else st.warning if met is False else st.info)(
        text, icon="🏁" if met else "📈" if met is False else "ℹ️")


def submission(run: dict, test) -> None:
    """Predict the test rows with the run; the submission (row_id, prediction) to download."""
    from kwk.data.safety import csv_safe
    from kwk.learn.challenge import make_submission
    made = st.session_state.get(SUB)
    if st.button("Predict the test rows", key="ch_predict", type="primary",
                 help="Your run predicts every row of test.csv; the file to hand in holds "
                      "row_id and prediction."):
        try:
            pred = cached_bundle(run["dir"]).predict(test)
            sub = make_submission(pred)
        except KwkError as e:
            show_error(e)
            return
        made = st.session_state[SUB] = (run["id"], csv_safe(sub).to_csv(index=False)
                                        .encode("utf-8"), len(sub))
    if made and made[0] == run["id"]:
        st.success(f"{made[2]:,} test rows predicted by this run.", icon="✅")
        st.download_button("⬇️ Download my submission (CSV)", made[1],
                           file_name="submission.csv", mime="text/csv", key="ch_dl_sub",
                           on_click="ignore")
        st.caption("Hand this file to your teacher: it is scored on the true values of the "
                   "test rows, which only the teacher has.")


# ------------------------------------------------------------------ the teacher

def _table_choice():
    """The teacher's table: the loaded data (when it is not itself a challenge) or an upload.
    Returns ``(DataFrame, name)`` or None."""
    ss = session()
    have = ss.data is not None and loaded_challenge() is None
    options = (["The loaded data", "Upload a table"] if have else ["Upload a table"])
    src = st.radio("Table", options, horizontal=True, key=f"ch_src_{len(options)}")  # new options: first one
    if src == "The loaded data":
        return ss.data.df, ss.data.name
    up = st.file_uploader("A table with the column to predict (any format KwK reads)",
                          key="ch_teacher_upload")
    if up is None:
        return None
    try:
        ld = parse(up.getvalue(), up.name)
    except KwkError as e:
        show_error(e)
        return None
    return ld.df, ld.name


def create_form() -> None:
    from kwk.learn.challenge import DEFAULT_METRIC, METRICS, create, key_csv, student_zip
    chosen = _table_choice()
    if chosen is None:
        return
    df, name = chosen
    ss = session()
    cols = list(df.columns)
    target = st.selectbox("Column to predict", cols, key="ch_target",
                          index=cols.index(ss.target) if ss.target in cols else len(cols) - 1)
    task = _task(df[target])
    c1, c2, c3 = st.columns(3)
    fits = [k for k, m in METRICS.items() if m.for_classes == (task != "regression")]
    metric = c1.selectbox("Score", fits, index=fits.index(DEFAULT_METRIC[task]),
                          format_func=lambda k: f"{METRICS[k].label} ("
                          f"{'higher' if METRICS[k].higher_is_better else 'lower'} is better)",
                          key=f"ch_metric_{task}")
    fraction = c2.slider("Hidden test rows", 0.1, 0.5, 0.25, 0.05, key="ch_fraction",
                         help="The share of rows whose answers only you keep.")
    seed = c3.number_input("Seed", 0, 10_000, 0, key="ch_seed",
                           help="The same seed and table give the same split.")
    g1, g2 = st.columns([1, 3])
    want_goal = g1.checkbox("Set a goal", key="ch_want_goal")
    goal = g2.number_input(f"Goal ({METRICS[metric].label})", value=_goal_default(
                           metric, df[target]), key=f"ch_goal_{metric}_{target}",
                           disabled=not want_goal, format="%.4g")
    title = st.text_input("Title", value=f"Predict '{target}'", key=f"ch_title_{target}")
    st.caption(f"Task: {task} (decided from the column's values, as everywhere in KwK).")
    if st.button("Create the challenge", key="ch_create", type="primary"):
        try:
            ch = create(df, target, metric=metric, test_fraction=fraction, seed=int(seed),
                        goal=goal if want_goal else None, title=title, data_name=name)
        except KwkError as e:
            show_error(e)
            return
        st.session_state[MADE] = {"zip": student_zip(ch), "key": key_csv(ch), "meta": ch.meta,
                                  "notes": ch.notes}
    made = st.session_state.get(MADE)
    if made:
        m = made["meta"]
        st.success(f"{m['title']}: {m['rows']['train']:,} training rows for the students, "
                   f"{m['rows']['test']:,} test rows whose answers only you keep.", icon="✅")
        for n in made["notes"]:
            st.caption(n)
        d1, d2 = st.columns(2)
        d1.download_button("⬇️ student.zip (for the students)", made["zip"],
                           file_name="student.zip", mime="application/zip",
                           key="ch_dl_zip", on_click="ignore")
        d2.download_button("⬇️ key.csv (keep it to yourself)", made["key"],
                           file_name="key.csv", mime="text/csv", key="ch_dl_key",
                           on_click="ignore")


def _goal_default(metric: str, y) -> float:
    """A first goal to edit: 0.8 of a share, 0.5 of R², half the target's spread as an error."""
    if metric in ("rmse", "mae"):
        from kwk.data.numbers import to_number
        spread = to_number(y).std()
        return float(f"{spread / 2:.2g}") if spread == spread and spread > 0 else 1.0
    return 0.5 if metric == "r2" else 0.8


def _task(y) -> str:
    from kwk.data.kinds import infer_kind
    from kwk.spec.resolving import infer_task
    try:
        return infer_task(y.dropna(), infer_kind(y)[0])[0] if y.notna().any() else "regression"
    except (ValueError, TypeError):
        return "multiclass"


def _key_and_meta():
    """The key (and challenge.json) to rank against: the challenge made here, or uploads."""
    from kwk.learn.challenge import read_key, read_meta
    made = st.session_state.get(MADE)
    options = (["The challenge made above", "Upload a key"] if made else ["Upload a key"])
    src = st.radio("Key", options, horizontal=True, key=f"ch_key_src_{len(options)}")
    try:
        if src == "The challenge made above":
            return read_key(made["key"], "key.csv"), made["meta"]
        k1, k2 = st.columns(2)
        key_up = k1.file_uploader("key.csv", type=["csv"], key="ch_key_upload")
        meta_up = k2.file_uploader("…and its student.zip or challenge.json (for the metric and "
                                   "the goal)", type=["zip", "json"], key="ch_meta_upload")
        if key_up is None:
            return None
        meta = read_meta(meta_up.getvalue()) if meta_up is not None else None
        return read_key(key_up.getvalue(), key_up.name), meta
    except KwkError as e:
        show_error(e)
        return None


def _submissions() -> list[tuple[str, bytes]]:
    """The submissions: uploaded files, or the CSV files of an allowed server folder."""
    from pathlib import Path

    from kwk.data.sources import data_dirs
    t_up, t_dir = st.tabs(["Upload submissions", "A folder on the server"])
    with t_up:
        ups = st.file_uploader("Submissions (several CSV files at once; each file's name is "
                               "the student's name)", type=["csv"], accept_multiple_files=True,
                               key="ch_subs")
    found = [(u.name, u.getvalue()) for u in ups or []]
    with t_dir:
        dirs = data_dirs()
        if not dirs:
            st.caption("Switched off on this server. An administrator can allow folders with "
                       "the KWK_DATA_DIRS setting.")
            return found
        folder = st.text_input("Folder", key="ch_folder",
                               placeholder=str(dirs[0] / "submissions"),
                               help="A folder inside the allowed ones: every .csv file inside "
                                    "is a submission (key.csv is left out).")
        if folder:
            p = Path(folder).expanduser()
            real = (p if p.is_absolute() else dirs[0] / p).resolve()
            if not any(real == d or real.is_relative_to(d) for d in dirs) or not real.is_dir():
                st.error(f"'{folder}' is not a folder inside the allowed ones: "
                         + ", ".join(str(d) for d in dirs), icon="⚠️")
            else:
                found += [(f.name, f.read_bytes()) for f in sorted(real.glob("*.csv"))
                          if f.name != "key.csv"]
    return found


@st.cache_data(max_entries=8, show_spinner="Scoring the submissions…")
def _board(key_csv: bytes, target: str, meta_json: str, subs: tuple):
    import pandas as pd

    from kwk.learn.challenge import leaderboard, read_key
    key = read_key(key_csv, "key.csv")
    meta = json.loads(meta_json) if meta_json else None
    board = leaderboard(key, list(subs), meta)
    return board, dict(board.attrs) if isinstance(board, pd.DataFrame) else {}


def leaderboard_view() -> None:
    km = _key_and_meta()
    if km is None:
        return
    (key, target), meta = km
    subs = _submissions()
    if not subs:
        st.caption("No submissions yet: upload the students' CSV files (several at once).")
        return
    board, attrs = _board(key.to_csv(index=False).encode(), target,
                          json.dumps(meta) if meta else "", tuple(subs))
    table = board_table(board)
    better = "higher" if attrs["higher_is_better"] else "lower"
    st.table(table, hide_index=True, alt="Leaderboard")  # a plain table: shown to a class
    st.caption(f"Ranked by {attrs['metric_label']} on the {len(key):,} hidden test rows "
               f"({better} is better). The interval holds the score of 95% of resamples of "
               "these rows: where two intervals overlap, the order between them may be luck.")


def board_table(board):
    """The leaderboard as shown: rank, name, score, 95% interval, goal, problem."""
    import pandas as pd
    out = pd.DataFrame({
        "Rank": [str(r) if pd.notna(r) else "—" for r in board["rank"]],
        "Name": board["name"],
        "Score": [f"{v:.4f}" if pd.notna(v) else "" for v in board["score"]],
        "95% interval": [f"{lo:.3f} – {hi:.3f}" if pd.notna(lo) and pd.notna(hi) else ""
                         for lo, hi in zip(board["low"], board["high"])],
        "Goal": ["✓ reached" if m is True else "not yet" if m is False else ""
                 for m in board["met"]],
        "Refused because": board["problem"].fillna(""),
    })
    if not out["Goal"].astype(bool).any():
        out = out.drop(columns=["Goal"])
    if not out["Refused because"].astype(bool).any():
        out = out.drop(columns=["Refused because"])
    return out


def teacher_tab() -> None:
    st.markdown("**1 · Create a challenge.** Pick a table and the column to predict: the "
                "students get the training rows and the test rows without their answers "
                "(student.zip); you keep the answers (key.csv).")
    create_form()
    st.divider()
    st.markdown("**2 · Leaderboard.** Score the students' submissions against your key.")
    leaderboard_view()
