"""The lessons package stands on its own: it loads, checks and grades a lesson and states
a run's facts in an interpreter where Streamlit and Plotly cannot be imported, and it
loads nothing of the app (ui, views)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A notebook's use of the package, with its own two-page, two-control vocabulary.
NOTEBOOK = '''
import sys
sys.modules["streamlit"] = None          # any import of them raises ImportError
sys.modules["plotly"] = None

import lessons
from core import NetworkSpec, simulate

def depth(value):
    if not isinstance(value, int) or not 1 <= value <= 200:
        raise ValueError(value)
    return value

vocabulary = lessons.Vocabulary(pages={"variance": (), "training": ("Loss",)},
                                controls={"depth": depth, "width": depth})
lesson = lessons.parse("law", {"title": "T", "summary": "S", "steps": [{
    "title": "One", "page": "variance", "values": {"depth": 10}, "question": "Q?",
    "explain": "Layer {depth}: {last_act_var}.", "answer": 20, "tolerance": 1, "log": True}]},
    vocabulary)
step = lesson.steps[0]
assert lessons.check(step, "1e20").correct and not lessons.check(step, "1e10").correct
facts = lessons.facts(simulate(NetworkSpec(depth=10, width=100, activation="linear",
                                           weight_var=1.0)))
print(lessons.fill(step.explain, facts))
try:
    lessons.parse("bad", {"title": "T", "summary": "S", "steps": [{"page": "nowhere"}]},
                  vocabulary)
except lessons.LessonError as e:
    print(e)
print(sorted({m.split(".")[0] for m in sys.modules} & {"ui", "views"}))
'''


def test_lessons_load_grade_and_state_facts_without_streamlit_or_plotly():
    out = subprocess.run([sys.executable, "-c", NOTEBOOK], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    filled, error, app = out.stdout.splitlines()
    # ten linear layers of fan_in x Var(W) = 100: 100^10 = 10^20, up to finite-width wander
    assert filled.startswith("Layer 10: ") and filled.endswith(("× 10¹⁹.", "× 10²⁰.")), filled
    assert error == "step 1: page 'nowhere' is not a page (one of variance, training)"
    assert app == "[]"
