"""Cached calls into the core, keyed on a spec's scalar fields, bounded in size.

A class of students trying hundreds of settings fills at most MAX_ENTRIES results per
function; the oldest are dropped first, so the server's memory stays flat.
"""

from __future__ import annotations

from dataclasses import asdict

import streamlit as st

from core import NetworkSpec, Result, simulate, theory
from core.theory import Prediction

MAX_ENTRIES = 32


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _simulate(**fields) -> Result:
    return simulate(NetworkSpec(**fields))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _predict(anchor: float, **fields) -> Prediction:
    return theory.predict(NetworkSpec(**fields), anchor)


def result(spec: NetworkSpec) -> Result:
    return _simulate(**asdict(spec))


def prediction(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    return _predict(float(anchor_log10_grad_var), **asdict(spec))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def variants(field: str, values: tuple, **fields) -> dict:
    """The same network with one field changed: one cached call for a comparison view."""
    base = NetworkSpec(**fields)
    return {v: simulate(base.replace(**{field: v})) for v in values}


def compare(spec: NetworkSpec, field: str, values) -> dict:
    return variants(field, tuple(values), **asdict(spec))
