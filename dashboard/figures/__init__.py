"""Pure figure builders: arrays in, plotly Figure out. No streamlit here."""
