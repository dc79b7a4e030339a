"""Layerscope: watch signals explode, vanish, saturate and die in a deep network.

Run with `make run` (or `streamlit run app.py`). Pages live in pages/; the shared
controls, presets and page registry in ui/shell.py.
"""

from ui import shell

shell.main()
