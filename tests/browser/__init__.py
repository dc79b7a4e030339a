"""Real-browser tests: headless Debian Chromium against a fresh `streamlit run app.py`."""
