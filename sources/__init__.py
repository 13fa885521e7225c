"""Reading and checking Pillars' data: contracts, the parser, file readers and settings (no streamlit here)."""
