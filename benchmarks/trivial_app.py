"""The floor for benchmarks/dashboard.py: one sidebar slider, one plotly line chart of a few points.

Whatever a slider-to-chart round trip costs here is what Streamlit itself costs (websocket, script
rerun, plotly redraw in the browser); the dashboard cannot be faster than this.

    streamlit run benchmarks/trivial_app.py
"""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
with st.sidebar:
    N = st.slider("Sequence length N", 1, 1000, 30, step=1, key="N", bind="query-params")
n = np.arange(1, N + 1)  # (N,)
fig = go.Figure(go.Scatter(x=n, y=0.9 ** (N - n), mode="lines+markers"))
fig.update_layout(title=f"0.9^(N−n) for N = {N}", xaxis_title="time step n", yaxis_title="0.9^(N−n)")
st.plotly_chart(fig, width="stretch")
