"""Figure builders: statistics in, `plotly.graph_objects.Figure` out. No Streamlit here."""
