"""Every number Pillars shows: pure Polars functions, no streamlit import."""
