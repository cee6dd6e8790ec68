"""Which lecture and which step the Lecture page shows, and the step's experiment in the sidebar's controls.

The address says it (`lecture?script=vanishing&step=4`); Next / Back, the keys and the list of steps change it.
app.py calls prepare() on the lecture page before the sidebar's controls are drawn: on a new address, on arriving
from another page and on a new step, every control takes the step's experiment (then a control the lecturer changes
keeps its value until the step changes). Scripts come from assets/lectures/, the command line (`--lecture my.yaml`)
and uploads (kept in the session that uploaded them).
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qsl

import streamlit as st

from dashboard import address, lecture, presets
from dashboard.config import FIELDS, VERSION_KEY, to_query

SCRIPT, STEP = "_lecture_script", "_lecture_step"  # the script's name and the step (1-based) on screen
APPLIED = "_lecture_applied"  # (script, step) whose experiment the controls were last given
UPLOADED = "_lecture_uploaded"  # {name: Lecture} uploaded in this session
NOTICES = "_lecture_notices"  # what was wrong with the address (shown on the page until the next address)
UPLOAD_PROBLEM = "_lecture_upload_problem"  # what is wrong with the file just uploaded
DEFAULT_SCRIPT = "vanishing"
URL_KEYS = ("script", "step")
_command_line: dict = {}  # "path": the --lecture file given to `streamlit run` (one per process)


def set_command_line(path: str | None) -> None:
    if path:
        _command_line["path"] = path


def command_line() -> lecture.Lecture | lecture.LectureError | None:
    """The --lecture script (read again when the file changed: the lecturer edits it between rehearsals)."""
    path = _command_line.get("path")
    if path is None:
        return None
    try:
        stamp = Path(path).stat().st_mtime_ns
    except OSError:
        stamp = None
    if _command_line.get("stamp") != stamp or "lecture" not in _command_line:
        try:
            _command_line["lecture"] = lecture.read(path)
        except lecture.LectureError as exc:
            _command_line["lecture"] = exc
        _command_line["stamp"] = stamp
    return _command_line["lecture"]


def scripts() -> dict[str, lecture.Lecture]:
    """Every script this session can show: the shipped ones, the command line's, the uploaded ones."""
    out = dict(lecture.shipped())
    cli = command_line()
    if isinstance(cli, lecture.Lecture):
        out[cli.name] = cli
    out.update(st.session_state.get(UPLOADED) or {})
    return out


def default_name() -> str:
    cli = command_line()
    return cli.name if isinstance(cli, lecture.Lecture) else DEFAULT_SCRIPT


def prepare(arrived: bool) -> None:
    """Before the sidebar's controls: settle the script and step, and give the controls the step's experiment when
    the address is new, the page was just opened (arrived) or the step changed."""
    fresh = address.fresh_query()
    notices = []
    cli = command_line()
    if isinstance(cli, lecture.LectureError):
        notices.append(f"The script given with --lecture cannot be shown: {cli}")
    known = scripts()
    if fresh is not None:
        name = address.last(fresh.get("script", [])) or default_name()
        raw_step = address.last(fresh.get("step", [])) or "1"
    else:
        name = st.session_state.get(SCRIPT) or default_name()
        raw_step = str(st.session_state.get(STEP, 1))
    if name not in known:
        notices.append(f"URL parameter script={name!r} ignored: no such lecture here (choose one of "
                       f"{', '.join(known)}; an uploaded script lives only in the session that uploaded it); "
                       f"opening {default_name()!r} at step 1.")
        name, raw_step = default_name(), "1"  # the step number was another script's
    lec = known[name]
    try:
        step = address.whole(1, len(lec.steps))(raw_step)
    except ValueError as exc:
        notices.append(f"URL parameter step={raw_step!r} ignored ({exc}: “{lec.title}” has {len(lec.steps)} steps); "
                       "opening step 1.")
        step = 1
    st.session_state[SCRIPT], st.session_state[STEP] = name, step
    if fresh is not None or notices:
        st.session_state[NOTICES] = notices
    if fresh is None and not arrived and st.session_state.get(APPLIED) == (name, step):
        return
    exp = lec.steps[step - 1].experiment
    if fresh is not None:  # sidebar.set_from_address sets every control from the address: make it the step's
        keep = {k: v for k, v in fresh.items() if k not in FIELDS and k != VERSION_KEY}
        st.session_state[address.FRESH] = {**keep, **{k: [v] for k, v in parse_qsl(to_query(exp))}}
    else:
        presets.load(exp)  # as a preset loads: every control, and fresh editors on the Weights page
    st.session_state[APPLIED] = (name, step)


def current() -> tuple[lecture.Lecture, int]:
    """The script and the step (1-based) on screen, as prepare() settled them."""
    return scripts()[st.session_state[SCRIPT]], st.session_state[STEP]


def go(step: int) -> None:
    """Button callback: show step `step` (kept within the script)."""
    lec, _ = current()
    st.session_state[STEP] = min(max(int(step), 1), len(lec.steps))


def restore() -> None:
    """Button callback: the step's own settings again, after the lecturer changed some in the sidebar."""
    st.session_state.pop(APPLIED, None)


def upload() -> None:
    """The uploader's callback: a valid script becomes the one on screen, at step 1; a bad one is named with every
    problem, and the script on screen stays."""
    f = st.session_state.get("lecture_upload")
    if f is None:
        return
    try:
        lec = lecture.from_bytes(f.getvalue(), f.name)
    except lecture.LectureError as exc:
        st.session_state[UPLOAD_PROBLEM] = (f.name, exc.problems)
        return
    st.session_state.pop(UPLOAD_PROBLEM, None)
    st.session_state.setdefault(UPLOADED, {})[lec.name] = lec
    st.session_state[SCRIPT], st.session_state[STEP] = lec.name, 1


def pick() -> None:
    """The script menu's callback."""
    st.session_state[SCRIPT], st.session_state[STEP] = st.session_state["lecture_pick"], 1


def link_settings() -> dict:
    """What the address and the sidebar's link carry on the lecture page: the script and the step."""
    return {"script": st.session_state[SCRIPT], "step": str(st.session_state[STEP])}


# --- The steps ahead, computed while the lecturer talks -----------------------------------------------------
_ahead: dict = {}  # step key (chart, experiment, versus) -> threading.Event set once computed (process-wide)
_ahead_lock = threading.Lock()
_now: dict = {}  # "key": the step the thread is computing now


def compute_ahead(work: list[tuple[tuple, object]]) -> None:
    """Compute the steps ahead, in order, in one background thread: each (key, fn) whose fn() fills the caches of
    dashboard/compute.py (a training run, say), so that the step is ready when Next is pressed. Each key once per
    process: every session shares the caches. A setting that cannot run fails quietly here; the step says why when
    it is shown."""
    with _ahead_lock:
        todo = [(key, fn) for key, fn in work if key not in _ahead]
        for key, _ in todo:
            _ahead[key] = threading.Event()
    if not todo:
        return

    def run():
        for key, fn in todo:
            _now["key"] = key
            try:
                fn()
            except Exception:  # noqa: BLE001 (said by the page when the step is shown)
                pass
            finally:
                _ahead[key].set()
                _now.pop("key", None)

    threading.Thread(target=run, name="lecture-ahead", daemon=True).start()


def wait_for_ahead(key: tuple) -> None:
    """Before computing a step: if it is being computed ahead right now, wait for that rather than computing it
    twice (a step still queued is computed here at once: a jump to the last step does not wait for the others)."""
    done = _ahead.get(key)
    if done is not None and _now.get("key") == key:
        done.wait()
