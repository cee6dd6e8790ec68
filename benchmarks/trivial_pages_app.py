"""Streamlit's floor for a page switch and a first open: two pages (st.navigation, page links in the
sidebar), each one slider and one plotly line chart of a few points (benchmarks/pages.py)."""
import plotly.graph_objects as go
import streamlit as st


def draw(title: str) -> None:
    st.title(title)
    n = st.slider("N", 1, 100, 10, key=f"n_{title}")
    st.plotly_chart(go.Figure(go.Scatter(x=list(range(n)), y=[i * i for i in range(n)])), width="stretch")


pages = [st.Page(lambda: draw("One"), title="One", url_path="one", default=True),  # the default page lives at /
         st.Page(lambda: draw("Two"), title="Two", url_path="two")]
page = st.navigation(pages, position="hidden")
with st.sidebar:
    for p in pages:
        st.page_link(p)
page.run()
