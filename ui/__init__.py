"""The Streamlit side: shared controls, cached core calls, the page shell."""
