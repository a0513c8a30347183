"""The typed session: every value the pages keep between reruns, declared once.

``session()`` returns a typed view over ``st.session_state``: each attribute is a declared
:class:`Key` with a default, a one-line meaning and what it depends on. Reading an undeclared
name or assigning one raises ``AttributeError``, so a typo cannot create a second copy of a
value. The values stay flat in ``st.session_state`` under the attribute's name (tests inject them
there with ``AppTest.session_state``).

What depends on the data is reset in one place: :meth:`Session.new_data` (a new file or sample)
and :meth:`Session.new_target` (another target column). Keys that no widget owns survive page
changes; Streamlit deletes a page's *widget* keys when another page runs, so state that must
survive lives here and widgets read it with ``value=``/``index=``.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Generic, TypeVar

import streamlit as st

T = TypeVar("T")

DATA, TARGET = "data", "target"  # what a key depends on: reset when that changes


class Key(Generic[T]):
    """One declared session value: its default, its meaning and what it depends on
    (``DATA``: reset when new data is loaded; ``TARGET``: also when the target changes).
    ``resets``: assigning a *different* value resets what depends on that (the data, the
    target), whichever page or widget assigns it."""

    def __init__(self, default: T | Callable[[], T], doc: str, depends_on: str | None = None,
                 resets: str | None = None):
        self.default, self.doc, self.depends_on, self.resets = default, doc, depends_on, resets
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def initial(self) -> T:
        return self.default() if callable(self.default) else copy.deepcopy(self.default)

    def __get__(self, obj, owner=None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        ss = st.session_state
        if self.name not in ss:
            ss[self.name] = self.initial()
        return ss[self.name]

    def __set__(self, obj, value: T) -> None:
        st.session_state[self.name] = value


def _default_spec() -> dict:
    from kwk.spec import default_spec
    return default_spec()


def _history():
    from kwk.spec.history import History
    return History()


class Session:
    """Every value the pages keep, with its meaning. See the module docstring."""

    # --- the data and what the user said about it
    data: Key[Any] = Key(None, "the loaded data (kwk.data.LoadedData) or None", resets=DATA)
    kinds: Key[dict] = Key(dict, "column -> kind chosen by the user (overrides)", DATA)
    roles: Key[dict] = Key(dict, "column -> feature | target | ignore chosen by the user", DATA)
    target: Key[str | None] = Key(None, "the column to predict", DATA, resets=TARGET)
    task: Key[str] = Key("auto", "auto | binary | multiclass | regression", DATA)
    modality: Key[str] = Key("table", "the kind of data: table | images | series | text", DATA)
    image_shape: Key[list | None] = Key(None, "[height, width, channels] of pixel columns", DATA)
    sequence: Key[dict | None] = Key(None, "data.sequence settings of a time series", DATA)
    text: Key[dict | None] = Key(None, "data.text settings (+ 'column') of a text model", DATA)
    validation_column: Key[str | None] = Key(None, "the column that assigns rows to splits", DATA)
    transforms: Key[dict] = Key(dict, "Data page: {'columns': {column: transform}, 'target': "
                                "'log' | None, 'missing': None (KwK's defaults) | {column: "
                                "bool}, 'undo': [earlier states]}", DATA)
    # --- the model (kept across data when it suits the new modality)
    spec: Key[dict] = Key(_default_spec, "layers, output and training (data assembled on demand)")
    spec_version: Key[int] = Key(0, "bumped when the spec is replaced: forms take new keys")
    selected_layer: Key[int] = Key(0, "the layer selected on the Build page")
    pending_template: Key[str | None] = Key(None, "a template waiting for 'replace my layers?'")
    history: Key[Any] = Key(_history, "undo/redo of the model and its kind of data "
                            "(kwk.spec.history.History)", DATA)
    history_label: Key[str | None] = Key(None, "what the next recorded edit is called, if not "
                                         "described from the change (a template, an import)")
    base: Key[Any] = Key(None, "a trained model read for reuse on Build "
                         "(kwk.model.transfer.Base)")
    pending_base: Key[list | None] = Key(None, "reused layers waiting for 'replace mine?'")
    pending_import: Key[dict | None] = Key(None, "an uploaded spec waiting for 'replace mine?'")
    build_part: Key[str] = Key("head", "the part of a mixed-input model edited on Build "
                               "(a branch, or 'head': the layers after the merge)")
    build_ok: Key[bool] = Key(False, "the stack fits the data (sidebar ✓)", TARGET)
    stack_from: Key[dict | None] = Key(None, "{'data': name, 'layers', 'branches'}: the stack "
                                       "as it was when other data was replaced (Build says "
                                       "it was kept from that data while it is unchanged)")
    training_from: Key[dict | None] = Key(None, "{'data': name, 'training'}: training options "
                                          "changed from the defaults, as they were when other "
                                          "data replaced that data (Train says they are kept)")
    template_box: Key[str | None] = Key(None, "the stack (JSON) the Build page's template box "
                                        "last showed: when the stack changes, the box shows "
                                        "what it now is (a template, or none)")
    # --- training and results of the current data
    job: Key[Any] = Key(None, "the training Job shown on the Train page", TARGET)
    tune_job: Key[Any] = Key(None, "the search (kwk.tune.job.TuneJob) shown on the Tune page",
                             TARGET)
    tune_done_seen: Key[Any] = Key(None, "the search whose end was already handled")
    tune_space: Key[Any] = Key(None, "(spec key, rows) of the Tune page's search-space table",
                               TARGET)
    tune_options: Key[dict] = Key(dict, "the Tune page's choices (metric, pruner) kept when "
                                   "another page deletes its widgets", TARGET)
    run_id: Key[str | None] = Key(None, "the run being looked at (Evaluate, Predict, Runs)", TARGET)
    evaluated: Key[bool] = Key(False, "the Evaluate page was seen (sidebar ✓)", TARGET)
    predicted: Key[bool] = Key(False, "predictions were made (sidebar ✓)", TARGET)
    predictions: Key[Any] = Key(None, "the last predictions (DataFrame)", TARGET)
    pred_source: Key[tuple | None] = Key(None, "(run id, upload id) the predictions came from",
                                         TARGET)
    pred_rows: Key[Any] = Key(None, "the raw rows last given to Predict (DataFrame)", TARGET)
    pred_made: Key[tuple | None] = Key(None, "(run id, upload id, threshold) of the predictions",
                                       TARGET)
    stale_ok: Key[list] = Key(list, "run ids shown although trained on other data, which the "
                              "user chose to keep looking at (their warning shrinks to a line)",
                              DATA)
    pred_grid: Key[Any] = Key(None, "(run id, DataFrame, version): the rows Predict's grid "
                              "starts from (the last rows predicted from it)")
    pred_upload_seen: Key[tuple | None] = Key(None, "(run id, upload id) last read on Predict: "
                                              "an upload still in its box is not read again "
                                              "after typed rows or the current data", TARGET)
    importance: Key[dict] = Key(dict, "run id -> permutation importance computed on demand")
    comparisons: Key[dict] = Key(dict, "run id -> paired bootstraps of the network vs references")
    profiler: Key[dict] = Key(dict, "run id -> the profiler's starting values and grids")
    reports: Key[dict] = Key(dict, "run id -> HTML report bytes built on demand")
    later: Key[dict] = Key(dict, "(kind, what it is computed from...) -> background work that "
                           "fills in a page (kwk.ui.later: screening, comparisons)")
    explanations: Key[dict] = Key(dict, "(run id, what) -> a background explanation "
                                  "(kwk.ui.explain: Predict's row, Evaluate's global view)")
    exports_built: Key[dict] = Key(dict, "run id -> the downloads picked on Predict (once "
                                   "built, a download stays offered)")
    # --- what an upload widget last delivered (so a rerun does not load it twice)
    image_opts: Key[tuple | None] = Key(None, "(upload id, (height, width, colour)) for pictures")
    upload_seen: Key[tuple | None] = Key(None, "(upload id, sheet, picture options) last loaded")
    upload_file: Key[str | None] = Key(None, "the upload id last loaded")
    spec_loaded: Key[str | None] = Key(None, "the spec upload id last applied on Build")
    job_done_seen: Key[Any] = Key(None, "the job whose end was already handled")
    run_again: Key[bool] = Key(False, "this script run was asked for because the one before "
                               "failed beside a preload (kwk_app.py): it is not asked again")
    # --- the kept session (kwk/ui/persist.py: ?s=<key> in the address)
    kept_key: Key[str | None] = Key(None, "the key of this session's kept work (?s= in the "
                                    "address); None until there is data worth keeping")
    kept_checked: Key[bool] = Key(False, "the address's key was looked up once (restored, "
                                  "refused or not found)")
    kept_saved: Key[Any] = Key(None, "(digest of the kept values, data fingerprint, data "
                               "description) last written: an unchanged rerun writes nothing")
    kept_note: Key[tuple | None] = Key(None, "(level, text) to say once about the kept work "
                                       "(restored, refused, expired, data left out)")
    kept_waiting: Key[dict | None] = Key(None, "what depended on data too large to keep: put "
                                         "back when the same data is loaded again")
    kept_jobs: Key[dict] = Key(dict, "address parameter (job, tune) -> the registry id of "
                               "this session's running training or search, kept in the address "
                               "and with the session")
    upload_source: Key[list] = Key(list, "[(LoadedData, parse arguments with the bytes)] of "
                                   "the last uploads parsed, so the upload itself is kept")
    # --- the Playground (its controls' widget keys pg_<setting> are restored from pg_cfg)
    pg_cfg: Key[Any] = Key(None, "the Playground's settings (kwk.playground.engine.Config)")
    pg: Key[Any] = Key(None, "the live Playground model")
    pg_data_key: Key[Any] = Key(None, "what data the live Playground model was built on")
    pg_url_problems: Key[list] = Key(list, "settings in the link that could not be used")
    pg_was_playing: Key[bool] = Key(False, "the Playground was training before a rerun")
    pg_data: Key[dict] = Key(dict, "the Playground's own data (JSON): source, upload, columns")

    def __setattr__(self, name: str, value) -> None:
        key = getattr(type(self), name, None)
        if not isinstance(key, Key):
            raise AttributeError(f"'{name}' is not a declared session key (kwk/ui/session.py)")
        if key.resets and _differs(value, key.__get__(self)):
            (self.new_data if key.resets == DATA else self.new_target)()
        super().__setattr__(name, value)

    @classmethod
    def keys(cls) -> dict[str, Key]:
        return {k: v for k, v in vars(cls).items() if isinstance(v, Key)}

    def init(self) -> None:
        """Give every declared key its default (once)."""
        for k in self.keys().values():
            k.__get__(self)

    def _reset(self, scopes: tuple[str, ...]) -> None:
        ss = st.session_state
        for name, k in self.keys().items():
            if k.depends_on in scopes:
                ss[name] = k.initial()

    def new_data(self) -> None:
        """New data: everything that depends on the data or its target starts over. A job that
        is still training keeps going in the background; its run is saved to the Runs page.
        The stack and the training options are kept: remember which data they came from."""
        old, spec, kept = st.session_state.get("data"), self.spec, self.stack_from
        unchanged = kept is not None and kept["layers"] == spec.get("layers", []) \
            and kept["branches"] == spec.get("branches")  # still the stack kept before
        if old is not None and not unchanged:
            st.session_state["stack_from"] = {
                "data": getattr(old, "name", None) or "the previous data",
                "layers": copy.deepcopy(spec.get("layers", [])),
                "branches": copy.deepcopy(spec.get("branches"))}
        from kwk.spec import changed_training
        trained = self.training_from
        if old is not None and changed_training(spec.get("training") or {}) and not (
                trained is not None and trained["training"] == spec.get("training")):
            st.session_state["training_from"] = {
                "data": getattr(old, "name", None) or "the previous data",
                "training": copy.deepcopy(spec.get("training"))}
        self._reset((DATA, TARGET))
        st.query_params.pop("job", None)
        st.query_params.pop("tune", None)  # Tune re-attaches from it, as Train from ?job=

    def new_target(self) -> None:
        """Another target: the model check, the job shown and the results start over."""
        self._reset((TARGET,))
        st.query_params.pop("job", None)
        st.query_params.pop("tune", None)


def playground_widgets(settings: list[str], max_layers: int) -> list[str]:
    """The Playground's own widget keys: one per setting of its Config (``pg_<setting>``), the
    depth and the width of each layer, the data source and the columns of "my data". Streamlit
    owns and deletes them when another page runs; the page restores them from ``pg_cfg``."""
    return ([f"pg_{k}" for k in settings] + ["pg_n_layers", "pg_source", "pg_u_x1", "pg_u_x2",
                                               "pg_u_target", "pg_hide_pick"]
            + [f"pg_layer_{i}" for i in range(max_layers)])


def _differs(new, old) -> bool:
    """Text and None by value; anything else (a LoadedData) by identity."""
    if isinstance(new, (str, type(None))) and isinstance(old, (str, type(None))):
        return new != old
    return new is not old


def session() -> Session:
    """The typed view over this browser session's state."""
    return Session()
