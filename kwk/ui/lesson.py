"""The lesson widgets: the open lesson's goal, hints and Check, on the Learn page and in the
sidebar of every other page (``lesson_box``, called once by ``kwk_app.py``), and Start, which
sets KwK up for a lesson and opens its page.

The engine (``kwk.learn``) reads and checks lessons against a plain dict of state; this module
gathers that state from the session (the Playground's live network, the current run) and keeps
the learner's progress: in this browser session (the keys below, which no widget owns) and in
the workspace (``kwk.learn.progress``), under the signed-in user or a random id kept in the
address (``?learner=``), so a reload or the same address later finds it again.
"""
from __future__ import annotations

import streamlit as st

from kwk.errors import KwkError
from kwk.learn import progress as store_progress
from kwk.learn.checks import Verdict, playground_state, run_check, run_state
from kwk.learn.lessons import Lesson, LessonError, folders, load_all, playground_config
from kwk.ui.session import playground_widgets, session
from kwk.ui.state import owner, sample, set_data, show_error, store, template_stacks

PARAM = "learner"
PAGE_FILES = {"playground": "pages/8_playground.py", "data": "pages/1_data.py",
              "target": "pages/2_target.py", "build": "pages/3_build.py",
              "train": "pages/4_train.py", "evaluate": "pages/5_evaluate.py",
              "predict": "pages/6_predict.py", "runs": "pages/7_runs.py",
              "tune": "pages/9_tune.py"}
LEARN_PAGE = "pages/10_learn.py"
# This module's session keys (no widget owns them, so they survive page changes):
OPEN = "learn_open"          # the id of the lesson open now, or None
PROGRESS = "learn_progress"  # kwk.learn.progress.Progress of this learner
LEARNER = "learn_learner"    # the anonymous learner's id (None until there is progress)
ANSWERS = "learn_answers"    # lesson id -> (done, the Check's answer in words)


# ----------------------------------------------------------------------------- lessons
def _stamp() -> tuple:
    out = []
    for d in folders():
        if d.is_dir():
            out += [(str(f), f.stat().st_mtime) for f in sorted(d.glob("*.toml"))]
        else:
            out.append((str(d), None))
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=4)
def _load(stamp: tuple) -> tuple[list[Lesson], list[LessonError]]:
    return load_all()


def lessons() -> tuple[list[Lesson], list[LessonError]]:
    """The lessons in order and the files refused (read again when a file changes)."""
    return _load(_stamp())


def number(lesson: Lesson) -> int:
    return next(i for i, x in enumerate(lessons()[0], 1) if x.id == lesson.id)


def heading(lesson: Lesson) -> str:
    return f"Lesson {number(lesson)} — {lesson.title}"


# ----------------------------------------------------------------------------- progress
def _learner() -> str | None:
    """Whose progress this is: the signed-in user, else the address's learner id (None for
    someone not signed in who has no progress yet)."""
    who = owner()
    if who:
        return f"user:{who}"
    ss = st.session_state
    if LEARNER not in ss:
        q = st.query_params.get(PARAM)
        ss[LEARNER] = q if store_progress.valid_learner_id(q) else None
    return ss[LEARNER]


def progress() -> store_progress.Progress:
    """This learner's progress, read from the workspace once per browser session."""
    ss = st.session_state
    if PROGRESS not in ss:
        who = _learner()
        ss[PROGRESS] = store_progress.load(who) if who else store_progress.Progress()
        if ss[PROGRESS].current and OPEN not in ss:
            ss[OPEN] = ss[PROGRESS].current
    return ss[PROGRESS]


def _keep() -> None:
    """Write the progress to the workspace (giving an anonymous learner an id first)."""
    ss = st.session_state
    if _learner() is None:
        ss[LEARNER] = store_progress.new_learner_id()
    store_progress.save(_learner(), progress())
    keep_learner_in_address()


def keep_learner_in_address() -> None:
    """Put the anonymous learner's id back in the address when a page switch dropped it."""
    lid = st.session_state.get(LEARNER)
    if lid and not owner() and st.query_params.get(PARAM) != lid:
        st.query_params[PARAM] = lid


def open_lesson() -> Lesson | None:
    progress()
    lid = st.session_state.get(OPEN)
    if lid is None:  # no lesson open: the lesson files are not read (nor the Playground's
        return None  # settings they are checked against, which need pandas) on a cold start
    return next((x for x in lessons()[0] if x.id == lid), None)


def close_lesson() -> None:
    st.session_state[OPEN] = None
    progress().current = None
    _keep()


# ----------------------------------------------------------------------------- Start
def start(lesson: Lesson) -> None:
    """Set KwK up for ``lesson`` (the Playground's settings, or a sample, its target, a
    template and training options), open it, and go to its page."""
    ss = session()
    if lesson.page == "playground":
        _setup_playground(lesson)
    elif lesson.setup.get("sample"):
        _setup_flow(lesson)
    st.session_state[OPEN] = lesson.id
    st.session_state.setdefault(ANSWERS, {}).pop(lesson.id, None)
    progress().current = lesson.id
    _keep()
    lid = st.session_state.get(LEARNER)
    query = {PARAM: lid} if lid and not owner() else None
    ss.history_label = None
    st.switch_page(PAGE_FILES[lesson.page], query_params=query)


def _setup_playground(lesson: Lesson) -> None:
    """The Playground opens with the lesson's settings and a fresh network: its controls are
    set again from ``pg_cfg`` (the page restores every missing control from it)."""
    from kwk.playground.engine import MAX_LAYERS
    ss = session()
    cfg = playground_config(lesson.setup)
    if ss.pg is not None:
        ss.pg.close()
    ss.pg, ss.pg_data_key, ss.pg_cfg = None, None, cfg
    ss.pg_url_problems, ss.pg_was_playing = [], False
    for k in playground_widgets(list(cfg.as_dict()), MAX_LAYERS):
        st.session_state.pop(k, None)


def _setup_flow(lesson: Lesson) -> None:
    """The main flow opens with the lesson's sample, target, template and training options."""
    from kwk.data.samples import SAMPLES
    ss = session()
    key = lesson.setup["sample"]
    set_data(sample(key), lesson.setup.get("target") or SAMPLES[key].target, sample_key=key)
    if lesson.setup.get("template"):
        ss.spec.update(template_stacks(lesson.setup["template"]))
        ss.spec_version = ss.spec_version + 1
        ss.selected_layer = 0
    if lesson.setup.get("training"):
        ss.spec["training"].update(lesson.setup["training"])
        ss.spec_version = ss.spec_version + 1


# ----------------------------------------------------------------------------- Check
def gather_state() -> dict:
    """The live state a check reads: the Playground's network and the current run."""
    ss = session()
    state: dict = {"playground": None, "run": None}
    pg = ss.pg
    if pg is not None:
        state["playground"] = playground_state(pg.config.as_dict(), pg.snapshot())
    job = ss.job
    training = job is not None and not job.done
    run_id = ss.run_id
    if job is not None and job.done and job.finish_value and ss.job_done_seen is not job:
        run_id = job.finish_value  # ended, not yet recorded by the Train page
    run = store().get(run_id, owner()) if run_id else None
    state["run"] = run_state(run, bool(ss.evaluated), training)
    return state


def check(lesson: Lesson) -> Verdict:
    """Check the lesson on the live state; a done lesson is marked and kept."""
    v = run_check(lesson.check, lesson.params, gather_state())
    if v.done:
        v = Verdict(True, f"Done! {v.message}\n\n{lesson.why}")
        if progress().mark_done(lesson.id):
            _keep()
    st.session_state.setdefault(ANSWERS, {})[lesson.id] = (v.done, v.message)
    return v


# ----------------------------------------------------------------------------- widgets
def lesson_panel(lesson: Lesson, where: str) -> None:
    """The goal, the Check button and its answer, then the hints one at a time. ``where``
    keeps the widget keys of the Learn page ("learn") and the sidebar ("box") apart; the
    sidebar also shows what the lesson is about until the learner has started on it."""
    p = progress()
    shown = p.hints.get(lesson.id, 0)
    answer = st.session_state.get(ANSWERS, {}).get(lesson.id)
    if where == "box" and lesson.intro:
        with st.expander("What is this lesson about?", expanded=answer is None and not shown):
            st.markdown(lesson.intro)
    st.markdown("**Goal**")
    st.markdown(lesson.goal)
    narrow = where == "box"  # the sidebar: one button per row, full width
    c1, c2 = (st.container(), st.container()) if narrow else st.columns(2)
    if c1.button("✅ Check", key=f"{where}_check_{lesson.id}", type="primary",
                 width="stretch",
                 help="Looks at what you have now and says whether the goal is reached."):
        try:
            check(lesson)
        except KwkError as e:  # e.g. the workspace cannot be read
            show_error(e)
        answer = st.session_state.get(ANSWERS, {}).get(lesson.id)
    if answer is not None:
        done, text = answer
        (c1.success if done else c1.info)(text, icon="🎉" if done else "🔍")
    for i, h in enumerate(lesson.hints[:shown], 1):
        c2.markdown(f"💡 **Hint {i} of {len(lesson.hints)}.** {h}")
    if shown < len(lesson.hints):
        label = "💡 A hint" if shown == 0 else "💡 Next hint"
        if c2.button(label, key=f"{where}_hint_{lesson.id}", width="stretch",
                     help=f"{len(lesson.hints) - shown} more, one at a time."):
            p.show_hint(lesson.id, len(lesson.hints))
            _keep()
            st.rerun()


def lesson_box(page) -> None:
    """In the sidebar of every page but Learn: the open lesson's goal, hints and Check, so a
    learner never has to go back to see what to do."""
    keep_learner_in_address()
    lesson = open_lesson()
    if lesson is None or getattr(page, "url_path", None) == "learn":
        return
    with st.sidebar.container(border=True):
        done = lesson.id in progress().done
        st.markdown(f"**🎓 {heading(lesson)}**" + (" ✓" if done else ""))
        lesson_panel(lesson, "box")
        st.page_link(LEARN_PAGE, label="All lessons", icon="🎓")
