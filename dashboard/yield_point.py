"""Where long work in a script run gives way: to a rerun (the user changed a setting) or a stop (the tab closed).

When a browser tab closes, Streamlit's session manager requests that session's script run to stop, but the
script runner looks at its requests only when the script calls Streamlit (every st.* call and session-state
access is such a yield point). numpy work between two such calls, such as a training run in one piece, went on
for its whole length after the tab had gone (30-57 CPU-seconds in the issue). check() is that yield point, made
explicit, between two iterations; it also stops when the session is no longer among the runtime's active ones.

Outside a script run (tests of the engine, the command-line export) it does nothing.
"""
from __future__ import annotations


def check() -> None:
    """Raise Streamlit's StopException (the session is gone) or RerunException (a newer run is waiting) if the
    current script run should not go on; return at once otherwise."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return
    import streamlit as st
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    "_yield_point" in st.session_state  # noqa: B015  (the script runner handles a pending stop or rerun here)
    if Runtime.exists() and not Runtime.instance().is_active_session(ctx.session_id):
        raise StopException()


def between_iterations(t: int, info: dict) -> bool:
    """rnn_engine.train's callback: check(), then go on."""
    check()
    return True
