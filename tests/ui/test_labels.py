"""Every adjustment the core can make to a network reaches the student as a sentence."""

from core import train
from core.experiments import budget, norm_lineup
from core.spec import NetworkSpec, fit_norm
from ui.capacity import VIEW
from ui.labels import FIX_NOTES, fix_notes, fix_value


def _all_fixes():
    spec = NetworkSpec(width=100, batch=256, spatial=1)
    fixes = []
    for norm in ("group", "instance"):
        fixes += norm_lineup.variant(spec, norm, groups=8).fixes
    fixes += fit_norm(vars(spec.replace(batch=1)) | {"norm": "batch"})[1]
    fixes += budget.fit(NetworkSpec(depth=200, width=1024, batch=256), 6, VIEW)[1]
    fixes += train.fit_request(spec.replace(norm="instance", spatial=4), 32)[2]
    fixes += train.fit_request(spec.replace(spatial=4), 32)[2]
    return fixes


def test_every_reason_the_core_gives_is_worded():
    fixes = _all_fixes()
    assert {f.why for f in fixes} == set(FIX_NOTES) | {"budget"}
    for fix in fixes:
        (note,) = fix_notes([fix])
        assert fix_value(fix, fix.used) in note and "{" not in note, note


def test_budget_shrinks_make_one_sentence_first():
    fixes = _all_fixes()
    notes = fix_notes(fixes, "this page")
    assert notes[0].startswith("To stay live, this page uses width 128 instead of 1024")
    assert "batch" in notes[0] and sum("To stay live" in n for n in notes) == 1
    assert len(notes) == len(fixes) - 1
