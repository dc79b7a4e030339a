"""Classes that answer a lesson together: codes, storage and the rules of who may do what.

No Streamlit here: `classes` is the model (open, join, answer, lead, tally, sweep), `db`
the storage (SQLite by default, PostgreSQL when `LAYERSCOPE_DATABASE_URL` names one),
`codes` the join codes and the presenter's secret.
"""
