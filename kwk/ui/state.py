"""Session state: defaults set once, cached parsing, the spec assembled from the user's choices."""
from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

import streamlit as st

from kwk.errors import KwkError
from kwk.ui.session import session

if TYPE_CHECKING:  # the readers (pandas) come with the first file: a cold start draws the
    from kwk.data.loader import LoadedData  # landing page without them

ROLES = ("feature", "target", "ignore")


def init() -> None:
    """Every declared session value gets its default once (kwk/ui/session.py)."""
    session().init()


def parse(data: bytes, name: str, sheet: str | None = None, images: tuple | None = None,
          min_columns: int = 2) -> LoadedData:
    """Parse an upload once per (content, sheet, picture size and colour); reruns reuse the
    result. ``images`` is ``(height, width, "grayscale" | "rgb")`` for a zip of pictures;
    ``min_columns=1`` accepts a one-column table (new rows for a text model). The last two
    uploads parsed are remembered with their bytes, so the kept session (kwk/ui/persist.py)
    stores the file as uploaded and reads it again the same way."""
    ld = _parse(data, name, sheet, images, min_columns)
    ss = session()
    ss.upload_source = [(ld, {"bytes": data, "name": name, "sheet": sheet,
                              "images": list(images) if images else None,
                              "min_columns": min_columns})] + ss.upload_source[:1]
    return ld


@st.cache_data(show_spinner="Reading the file…", max_entries=8, ttl=3600)
def _parse(data: bytes, name: str, sheet: str | None, images: tuple | None,
           min_columns: int) -> LoadedData:
    from kwk.data.loader import load
    if images:
        return load(data, name=name, sheet=sheet, image_size=images[:2], image_color=images[2],
                    min_columns=min_columns)
    return load(data, name=name, sheet=sheet, min_columns=min_columns)


@st.cache_data(show_spinner="Reading the file…", max_entries=8, ttl=3600)
def server_file(path: str, mtime: float, sheet: str | None = None) -> LoadedData:
    """A file from the allowed server folders, parsed once per (path, modification time)."""
    from kwk.data.sources import load_server_file
    return load_server_file(path, sheet=sheet)


@st.cache_data(show_spinner=False, ttl=30)
def server_files() -> list[str]:
    """The data files in the allowed server folders, listed at most every 30 s (not on every
    rerun of the Data page)."""
    from kwk.data.sources import list_server_files
    return list_server_files()


@st.cache_data(show_spinner="Loading the sample…", max_entries=16)
def sample(key: str) -> LoadedData:
    from kwk.data.loader import LoadedData, fingerprint_bytes
    from kwk.data.samples import SAMPLES
    df = SAMPLES[key].load()
    csv = df.to_csv(index=False).encode()
    return LoadedData(df=df, name=f"{key}.csv", fmt="csv", read_options={"sep": ",", "encoding": "utf-8"},
                      fingerprint=fingerprint_bytes(csv), n_bytes=len(csv),
                      image_shape=SAMPLES[key].image_shape)


@st.cache_data(show_spinner="Profiling…", max_entries=16)
def cached_profile(fingerprint: str, kinds_json: str, target: str | None, _df,
                   image_shape: tuple | None = None, notes: tuple = ()) -> dict:
    """The data's profile, once per (data, kinds, target). A table is profiled once per (data,
    kinds): choosing another target adds only what the target changes
    (:func:`kwk.data.profile.with_target`), not a second pass over every column."""
    from kwk.data.profile import profile, with_target
    if target is not None:
        base = cached_profile(fingerprint, kinds_json, None, _df, image_shape, notes)
        if "images" not in base:  # a table: the target adds its warnings and missingness
            return with_target(base, _df, target)
    return profile(_df, kinds=json.loads(kinds_json), target=target, image_shape=image_shape,
                   notes=notes)


def set_data(ld: LoadedData, target: str | None = None, sample_key: str | None = None) -> None:
    """Start over with new data: everything that depends on the data resets (target, roles,
    kinds, the job shown, the current run, the sidebar's ✓ marks); layers and training are kept
    unless they do not suit the new modality (pictures, time series, text, table)."""
    ss = session()
    ss.new_data()  # also when the same file is read again: the user asked to start over
    ss.data = ld
    ss.target = target if target in ld.df.columns else None
    ss.image_shape = list(ld.image_shape) if ld.image_shape is not None else None
    chosen = "images" if ld.image_shape is not None else "table"
    if sample_key is not None:
        from kwk.data.samples import SAMPLES
        smp = SAMPLES[sample_key]
        if smp.sequence:
            chosen, ss.sequence = "series", dict(smp.sequence)
        elif smp.text:
            chosen, ss.text = "text", dict(smp.text)
    set_modality(chosen)
    waiting = ss.kept_waiting
    if waiting is not None:  # a restored session whose data was too large to keep
        ss.kept_waiting = None
        if waiting.get("fingerprint") == ld.fingerprint:  # the same data again: its choices too
            for name, value in waiting["values"].items():
                st.session_state[name] = value


def restore_modality(data: dict, branches: dict | None = None) -> str:
    """Take the modality and its settings from a spec's ``data`` section (a loaded spec or a
    saved run; ``branches``: the spec's, when it has some). Returns the modality."""
    from kwk.catalog.presets import modality
    ss = session()
    chosen = modality(data)
    if branches or data.get("inputs"):  # a table with a text column or pictures
        chosen = "table_text" if "text" in (branches or data["inputs"]) else "table_images"
        if data.get("text"):
            ss.text = dict(data["text"])
        if data.get("image_shape"):
            ss.image_shape = list(data["image_shape"])
    elif chosen == "series":
        ss.sequence = dict(data["sequence"])
    elif chosen == "text":
        ss.text = {**data["text"], "column": (data.get("features") or [None])[0]}
    elif chosen == "images":
        ss.image_shape = list(data["image_shape"])
    ss.modality = chosen
    return chosen


def use_model(spec: dict, label: str, restore_kind: bool = True) -> None:
    """Make ``spec``'s model (layers, branches, output, training, search settings) the
    session's, recorded in the Build page's history as ``label``; its kind of data (and its
    settings) too when ``restore_kind`` and its target is in the data. Every form takes fresh
    keys."""
    from kwk.spec.history import MODEL_KEYS
    ss = session()
    ss.spec = {"kwk_spec": spec.get("kwk_spec", 1),
               **{k: copy.deepcopy(spec[k]) for k in MODEL_KEYS if spec.get(k) is not None}}
    ss.spec_version = ss.spec_version + 1
    ss.selected_layer, ss.build_part = 0, "head"
    ss.pending_template = ss.pending_import = ss.pending_base = None
    ss.history_label = label
    if restore_kind and ss.data is not None and spec["data"].get("target") in ss.data.df.columns:
        restore_modality(spec["data"], spec.get("branches"))
    elif ss.modality in MIXED_KINDS and not spec.get("branches"):
        ss.modality = "table"  # one stack now: the kind of data follows the model


def apply_spec(spec: dict, label: str) -> None:
    """Make a spec the session's, the one way every page does it (a spec.json loaded on
    Build, a run's spec from Runs, a search's best network, the Playground's network): its
    model, recorded in Build's history as ``label``, and the data choices it records where
    they fit the data now loaded (:func:`kwk.spec.to_choices`): the target and task, the
    kinds, the features (as roles), the validation column, the transforms and missing flags,
    and the kind of data. A spec whose target is not in the data brings its model only, and
    the kinds, validation column and transforms of the columns that are."""
    from kwk.spec import to_choices
    ss = session()
    d = spec.get("data") or {}
    fits = ss.data is not None and d.get("target") in set(map(str, ss.data.df.columns))
    use_model(spec, label, restore_kind=False)
    if ss.data is None:
        return
    ch = to_choices(spec, ss.data.df.columns)
    if fits:
        ss.target, ss.task = ch["target"], ch["task"]
    ss.kinds = ch["kinds"] if fits else {**ss.kinds, **ch["kinds"]}
    if ch["validation_column"] is not None or fits:
        ss.validation_column = ch["validation_column"]
    set_transforms(**ch["transforms"])  # the Data page can undo it
    if fits:
        kind = restore_modality(d, spec.get("branches"))
        if ch["roles"] is not None and kind in ("table", "series"):
            ss.roles = ch["roles"]
    elif ss.modality in MIXED_KINDS and not spec.get("branches"):
        ss.modality = "table"  # one stack now: the kind of data follows the model


MIXED_KINDS = ("table_text", "table_images")


def set_transforms(**change) -> None:
    """Change the Data page's transform choices (``columns``, ``target``, ``missing``),
    keeping the state before for its Undo; nothing is recorded when nothing changes."""
    ss = session()
    tf = dict(ss.transforms)
    before = {k: tf.get(k) for k in ("columns", "target", "missing")}
    if all(tf.get(k) == v for k, v in change.items()):
        return
    ss.transforms = {**tf, **change, "undo": [*tf.get("undo", [])[-9:], before],
                     "n": tf.get("n", 0) + 1}


def template_stacks(name: str) -> dict:
    """A template's layers (and branches), every setting filled with its default, as the Build
    page's forms show them (so opening Build records no edit)."""
    from kwk.catalog.presets import TEMPLATES
    from kwk.spec import normalize
    t = TEMPLATES[name]
    out = {"layers": normalize({"layers": copy.deepcopy(t["layers"])})["layers"]}
    if "branches" in t:
        out["branches"] = {b: normalize({"layers": copy.deepcopy(stack)})["layers"]
                           for b, stack in t["branches"].items()}
    return out


def set_modality(chosen: str) -> bool:
    """Declare the modality; the layer stack is replaced by the modality's template when the
    current one does not suit it. Returns True when the stack was replaced."""
    from kwk.catalog.presets import DEFAULT_FOR_MODALITY, fits_modality
    from kwk.catalog.presets import MIXED
    ss = session()
    ss.modality = chosen
    if chosen in MIXED:  # one stack per input, and the layers after the merge
        if set(ss.spec.get("branches") or {}) == set(MIXED[chosen]):
            return False
        ss.spec.update(template_stacks(DEFAULT_FOR_MODALITY[chosen]))
        ss.spec_version = ss.spec_version + 1
        ss.selected_layer = 0
        return True
    ss.spec.pop("branches", None)  # one input: one stack
    if fits_modality(ss.spec["layers"], chosen) or (chosen == "table" and not ss.spec["layers"]):
        return False
    ss.spec["layers"] = template_stacks(DEFAULT_FOR_MODALITY[chosen])["layers"]
    ss.spec_version = ss.spec_version + 1
    ss.selected_layer = 0
    return True


def current_profile() -> dict | None:
    ld = session().data
    if ld is None:
        return None
    return cached_profile(ld.fingerprint, json.dumps(session().kinds, sort_keys=True),
                          session().target, ld.df, ld.image_shape, tuple(ld.notes))


def profile_kinds() -> dict[str, str]:
    """Every column's kind from the cached profile (user overrides included), so resolving a
    spec on each rerun does not infer kinds again over the whole table."""
    prof = current_profile()
    return {c["name"]: c["kind"] for c in prof["columns_info"]} if prof else {}


@st.cache_data(show_spinner=False, max_entries=64)
def _resolved(fingerprint: str, spec_json: str, kinds_json: str, _df):
    """``resolve`` of one spec on one data, once (its problems too: a spec that does not
    resolve is not checked again on every rerun)."""
    from kwk.spec import resolve
    try:
        return resolve(json.loads(spec_json), _df, json.loads(kinds_json)), None
    except KwkError as e:
        return None, e


def resolve_session(spec: dict) -> tuple[dict, list[str]]:
    """``kwk.spec.resolve(spec)`` on the session's data with the profile's kinds, cached by
    the data's fingerprint, the spec and the kinds: a rerun that changed nothing does not
    check the spec against the whole table again (at 100,000 rows the missing-value tests of
    ``missing_indicators: auto`` took about 0.1 s of each rerun). Raises the KwkError resolve
    raises."""
    ld = session().data
    kinds = profile_kinds()
    if not ld.fingerprint:  # data without a fingerprint is never cached by content
        from kwk.spec import resolve
        return resolve(spec, ld.df, kinds)
    out, err = _resolved(ld.fingerprint, json.dumps(spec, sort_keys=True, default=str),
                         json.dumps(kinds, sort_keys=True), ld.df)
    if err is not None:
        raise err
    return out


def session_spec() -> dict:
    """The spec from everything the user chose (the rules live in ``kwk.spec.from_choices``)."""
    ss = session()
    from kwk.spec import from_choices
    return from_choices(ss.spec, ss.data.df if ss.data is not None else None, target=ss.target,
                        task=ss.task, kinds=ss.kinds, roles=ss.roles,
                        column_kinds=profile_kinds(), validation_column=ss.validation_column,
                        modality=ss.modality, image_shape=ss.image_shape, sequence=ss.sequence,
                        text=ss.text, transforms=ss.transforms)


def owner() -> str:
    """The signed-in user's e-mail when Streamlit authentication is configured, else ''."""
    try:
        if getattr(st.user, "is_logged_in", False):
            return str(st.user.get("email") or st.user.get("sub") or "")
    except Exception:  # st.user unavailable (no auth configured / AppTest)
        pass
    return ""


@st.cache_resource
def store():
    from kwk.runs.store import Store
    return Store()


def show_error(e: KwkError) -> None:
    st.error(e.message + (f"\n\n**What to do:** {e.hint}" if e.hint else ""), icon="⚠️")


def need_data() -> bool:
    """Show an empty state and return False when no data is loaded."""
    if session().data is None:
        st.info("No data yet. Upload a file or pick a sample on the **Data** page to begin.",
                icon="📂")
        st.page_link("pages/1_data.py", label="Go to Data", icon="➡️")
        return False
    return True


def need_target() -> bool:
    if not need_data():
        return False
    if not session().target:
        st.info("Choose what to predict on the **Target** page first.", icon="🎯")
        st.page_link("pages/2_target.py", label="Go to Target", icon="➡️")
        return False
    return True


def run_picker(key: str, label: str = "Run") -> str | None:
    """A select box over this user's saved runs (newest first, the session's current run
    preselected). Shows an empty state and returns None when there are none."""
    runs = store().list(owner())
    if not runs:
        st.info("No trained model yet. Train one on the **Train** page, then come back.",
                icon="📊")
        st.page_link("pages/4_train.py", label="Go to Train", icon="➡️")
        return None
    by_id = {r["id"]: r for r in runs}
    ids = list(by_id)

    def fmt(i):
        r = by_id[i]
        score = f" · {r['metric']} {r['value']:.3f}" if r["value"] is not None else ""
        return f"{r['created'][:19].replace('T', ' ')} · {r['data_name']} · {r['task']}{score}"

    ss = session()
    if ss.run_id in ids:
        first = ids.index(ss.run_id)
    else:  # no run chosen yet: the newest run on the data and target now loaded, else the newest
        fp = ss.data.fingerprint if ss.data is not None else None
        first = next((i for i, r in enumerate(runs)
                      if fp and r.get("fingerprint") == fp and _run_target(r) == ss.target), 0)
    run_id = st.selectbox(label, ids, index=first, key=key, format_func=fmt)
    ss.run_id = run_id
    return run_id


def _run_target(row: dict) -> str | None:
    """The target a run row (``Store.list``) was trained to predict."""
    import json
    try:
        return json.loads(row.get("spec") or "{}").get("data", {}).get("target")
    except (json.JSONDecodeError, AttributeError):
        return None


def cached_bundle(run_dir: str):
    """A run's model bundle, loaded once per process (:func:`kwk.runs.bundle.cached_bundle`:
    shared with a preload started by the page), with a spinner while it loads."""
    from kwk.runs.bundle import bundle_is_loaded
    from kwk.runs.bundle import cached_bundle as shared
    if bundle_is_loaded(run_dir):
        return shared(run_dir)
    with st.spinner("Loading the model…"):
        return shared(run_dir)


def run_data(run: dict):
    """The session's DataFrame when it is the data the run was trained on, else None."""
    ld = session().data
    return ld.df if ld is not None and ld.fingerprint == run["fingerprint"] else None


@st.cache_resource
def job_services():
    """The server-wide training gate (``$KWK_MAX_JOBS`` at once) and job registry."""
    from kwk.runs.jobs import Gate, Registry, default_limit
    return Gate(default_limit()), Registry()
