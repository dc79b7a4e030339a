"""Layerscope: watch signals explode, vanish, saturate and die in a deep network.

Run with `make run` (or `streamlit run app.py`). The pages are functions in views/;
the page list, the shared sidebar and the presets are in ui/.
"""

from ui import shell

shell.main()
