"""Streamlit helpers shared by the pages: data loading and caching, the global filters, KPI cards and Plotly figures."""
