"""What every page does the same way: read the Experiment, place a chart, offer a CSV, show errors plainly."""
from __future__ import annotations

import io
import csv
from contextlib import contextmanager

import plotly.graph_objects as go
import streamlit as st

from dashboard import theme as th
from dashboard.config import Experiment


def experiment() -> Experiment:
    return st.session_state.get("experiment") or Experiment()


def theme() -> str:
    return "projector" if st.session_state.get("projector") else "screen"


def header(title: str, seeing: str, equation: str) -> None:
    """Page title, the two-line 'what you are seeing' caption and the equation behind it."""
    st.title(title)
    st.caption(seeing)
    st.latex(equation)


def chart(fig: go.Figure, name: str, key: str | None = None) -> None:
    """Place a figure; the camera button downloads it at slide size."""
    st.plotly_chart(fig, width="stretch", config=th.plotly_config(name), key=key or f"chart_{name}")


def csv_bytes(columns: dict) -> bytes:
    """CSV of equal-length columns (name -> sequence)."""
    names = list(columns)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(names)
    for row in zip(*(columns[n] for n in names)):
        w.writerow(row)
    return buf.getvalue().encode()


def csv_download(label: str, columns: dict, filename: str) -> None:
    st.download_button(label, csv_bytes(columns), file_name=filename, mime="text/csv", key=f"csv_{filename}")


@contextmanager
def plain_errors():
    """Turn a ValueError from the engine into a clear message on the page instead of a traceback."""
    try:
        yield
    except ValueError as exc:
        st.error(f"This setting cannot run: {exc}", icon=":material/block:")
        st.stop()
