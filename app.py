"""Layerscope: watch signals explode, vanish, saturate and die in a deep network.

Run with `make run` (or `streamlit run app.py`). Every page is declared in ui/pages.py
and drawn by a function in views/; the shared sidebar and the presets are in ui/.
"""

# Streamlit runs this file as __main__. A compute process (ui.compute) starts by running
# its parent's main file under the name __mp_main__: there it must load nothing of the
# app and run no page.
if __name__ == "__main__":
    # Plotly imports pandas lazily, inside the first figure a process builds. When a
    # class opens the link together on a fresh server, several sessions build their
    # first figure at once, and one of them can meet a half-imported pandas ("partially
    # initialized module 'pandas'", tests/deploy/test_load.py). Imported here, as the
    # first thing every session runs, a second session waits for the first one's import
    # to finish instead.
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401

    import views
    from ui import compute, shell

    with compute.giving_back():     # a run that held much memory gives it back
        shell.main(views.functions(), views.tabs())
