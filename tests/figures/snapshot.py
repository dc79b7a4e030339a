"""Every figure the pages draw on a fixed set of links, as normalised JSON: the reference
tests/figures/test_every_figure.py compares the app's figures with.

    python -m tests.figures.snapshot --compare tests/figures/snapshots   # what changed
    python -m tests.figures.snapshot --write tests/figures/snapshots     # accept it

Each link is opened in AppTest the way a browser opens it (its page, its URL parameters,
one run); a lesson step's link also presses Reveal, so that its chart shows. Every
`st.plotly_chart` the run leaves on the page is kept as Streamlit sends it, normalised so
that two runs give the same text: keys sorted, Plotly's typed arrays decoded (their
dtype kept), floats to `DIGITS` significant digits (the spec holds no ids: Streamlit
keeps the chart's own beside it). Comparing allows a relative difference of `REL_TOL`
(and `ABS_TOL` near zero): another BLAS may sum in another order.

One file per link, `<name>.json`: {"link": ..., "figures": [...]}.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from tests.app import helpers

STORED = Path(__file__).resolve().parent / "snapshots"
DIGITS = 10
REL_TOL = 1e-6
ABS_TOL = 1e-12
REGENERATE = f"python -m tests.figures.snapshot --write {STORED.relative_to(STORED.parents[2])}"


@dataclass(frozen=True)
class Link:
    """A link as a student would paste it ("page?key=value&..."; "?..." the landing page),
    and whether its lesson step's chart is revealed."""
    name: str
    url: str
    reveal: bool = False

    @property
    def page(self) -> str | None:
        return urlsplit(self.url).path or None

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query))


_SMALL = "depth=8&width=32&batch=64"
_TRAIN = "depth=4&width=32&train_steps=100&activation=tanh&weight_var=0.01"

# Every page and tab; every activation, normalization (before and after the activation),
# precision and input distribution; residual streams; the overflow and underflow marks;
# presenter mode's larger type; a revealed step of each lesson
# (tests/figures/test_every_figure.py checks that they cover all that, and every figure
# builder). Small networks: the test suite draws every link too.
LINKS = (
    Link("landing", "?"),
    Link("variance_tanh_band", f"variance?{_SMALL}&activation=tanh&init=xavier_normal&gain=1.667"
                               "&var_band=true"),
    Link("variance_relu_float16_overflow", f"variance?{_SMALL}&activation=relu&weight_var=1"
                                           "&dtype=float16"),
    Link("variance_selu_uniform_input", f"variance?{_SMALL}&activation=selu&init=lecun_normal"
                                        "&input_dist=uniform&dtype=float32"),
    Link("saturation_tanh", f"saturation?{_SMALL}&activation=tanh&weight_var=0.1&sat_count=3"),
    Link("saturation_sigmoid_presenting", f"saturation?{_SMALL}&activation=sigmoid"
                                          "&weight_var=0.3162&sat_threshold=0.9&present=1"),
    Link("dead_neurons_relu", "dead_neurons?depth=6&width=16&batch=32&activation=relu"
                              "&bias_var=1&weight_var=0.01&dead_layer=4"),
    Link("dead_neurons_leaky_relu", "dead_neurons?depth=6&width=16&batch=32"
                                    "&activation=leaky_relu&init=kaiming_uniform"),
    Link("gradients_gelu_residual_layernorm", f"gradients?{_SMALL}&activation=gelu"
                                              "&init=kaiming_normal&residual=true"
                                              "&residual_scale=0.5&norm=layer&grad_layers=3"),
    Link("gradients_tanh_float16_underflow", f"gradients?{_SMALL}&activation=tanh"
                                             "&weight_var=0.0001&dtype=float16"),
    Link("initialization_silu_gradients", f"initialization?{_SMALL}&activation=silu"
                                          "&init_quantity=grad"),
    Link("initialization_confidently_wrong", f"initialization?{_SMALL}&activation=tanh"
                                             "&readout_scale=3&init_view=Confidently%20wrong%20at%20init"
                                             "&init_example=2"),
    Link("normalization_side_by_side_elu", f"normalization?{_SMALL}&activation=elu&norm=rms"),
    Link("normalization_what_is_averaged", f"normalization?{_SMALL}&activation=tanh&norm=group"
                                           "&groups=8&spatial=4&norm_view=What%20is%20averaged"),
    Link("normalization_batch_size", f"normalization?{_SMALL}&activation=tanh&norm=instance"
                                     "&spatial=4&norm_view=Batch%20size"),
    Link("normalization_train_vs_eval", f"normalization?{_SMALL}&activation=relu&norm=batch"
                                        "&norm_position=after&norm_eval_batches=5"
                                        "&norm_view=Train%20vs%20eval"),
    Link("normalization_gamma_beta", f"normalization?{_SMALL}&activation=tanh&norm=batch"
                                     "&norm_gamma=2&norm_beta=0.5&norm_view=%CE%B3%20and%20%CE%B2"),
    Link("training_activations_compare", f"training?{_TRAIN}&train_compare=true"),
    Link("training_update_ratio_adam", f"training?{_TRAIN}&train_opt=adam&train_lr=0.01"
                                       "&train_view=Update:data%20ratio"),
    Link("training_covariate_shift", f"training?{_TRAIN}&train_opt=momentum&train_layer=3"
                                     "&train_view=Covariate%20shift"),
    Link("training_batchnorm", f"training?{_TRAIN}&train_norm=true&train_batch=16"
                               "&train_view=BatchNorm"),
    Link("depth_scales_order_tanh", f"depth_scales?{_SMALL}&activation=tanh&weight_var=0.03162"
                                    "&bias_var=0.05&depth_c0=0.9"),
    # GELU whose signal runs away: the correlation map at large q (asymptotes + remainder)
    Link("depth_scales_order_gelu_runaway", "depth_scales?depth=40&width=100&activation=gelu"
                                            "&weight_var=0.03981"),
    Link("depth_scales_trainability", "depth_scales?depth=30&width=100&activation=tanh"
                                      "&weight_var=0.01778&bias_var=0.05"
                                      "&depth_view=Trainability"),
    Link("depth_scales_isometry_relu", f"depth_scales?{_SMALL}&activation=relu"
                                       "&init=kaiming_normal&depth_view=Dynamical%20isometry"),
    Link("depth_scales_finite_width_relu", f"depth_scales?{_SMALL}&activation=relu"
                                           "&init=kaiming_normal&depth_view=Finite%20width"),
    Link("lesson_variance_law_relu", "lessons?lesson=variance_law&step=6", reveal=True),
    Link("lesson_normalization_layernorm", "lessons?lesson=normalization&step=2", reveal=True),
    Link("lesson_makemore_knowing_nothing", "lessons?lesson=makemore&step=1", reveal=True),
    Link("lesson_edge_of_chaos_ordered", "lessons?lesson=edge_of_chaos&step=2", reveal=True),
)
BY_NAME = {link.name: link for link in LINKS}


# -- rendering ---------------------------------------------------------------------------

def render(link: Link) -> list[dict]:
    """The figures the link's page draws, as Streamlit sends them (not normalised)."""
    at = helpers.open_page(link.page, timeout=120, **link.params)
    if link.reveal:
        at.button(key="lesson_next_Right").click().run()
    helpers.no_exceptions(at)
    return helpers.figures(at)


def normalised(figures: list[dict]) -> list[dict]:
    """The figures with typed arrays decoded, floats rounded, and Streamlit's own
    template (the same placeholder for every chart, not the app's) left out."""
    return [_plain({**fig, "layout": {k: v for k, v in fig.get("layout", {}).items()
                                      if k != "template"}}) for fig in figures]


def _plain(node):
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            return _typed_array(node)
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, float):
        return float(f"{node:.{DIGITS}g}") if math.isfinite(node) else node
    return node


def _typed_array(node: dict) -> dict:
    """Plotly's base64 array as its dtype and its values (nested as its shape says)."""
    values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
    if "shape" in node:
        values = values.reshape([int(s) for s in str(node["shape"]).split(",")])
    return {"dtype": node["dtype"], "values": _plain(values.tolist())}


def dumps(link: Link, figures: list[dict]) -> str:
    doc = {"link": link.url, "reveal": link.reveal, "figures": normalised(figures)}
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def load(directory: Path, link: Link) -> list[dict] | None:
    path = Path(directory) / f"{link.name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["figures"]


# -- comparing ---------------------------------------------------------------------------

def differences(stored, shown, path: str = "") -> list[str]:
    """Where two normalised JSON values differ: one line per differing leaf, or per list
    whose length changed (a trace is named by its name as well as its index)."""
    if isinstance(stored, dict) and isinstance(shown, dict):
        out = [f"{path}.{k}: only in the snapshot" for k in sorted(stored.keys() - shown.keys())]
        out += [f"{path}.{k}: new" for k in sorted(shown.keys() - stored.keys())]
        for k in sorted(stored.keys() & shown.keys()):
            out += differences(stored[k], shown[k], f"{path}.{k}")
        return out
    if isinstance(stored, list) and isinstance(shown, list):
        if len(stored) != len(shown):
            return [f"{path}: {len(stored)} items in the snapshot{_names(stored)}, "
                    f"{len(shown)} now{_names(shown)}"]
        return [d for i, (a, b) in enumerate(zip(stored, shown))
                for d in differences(a, b, f"{path}[{i}{_name(b)}]")]
    if _same_number(stored, shown) or stored == shown:
        return []
    return [f"{path}: {_short(stored)} -> {_short(shown)}"]


def _name(item) -> str:
    return f" {item['name']!r}" if isinstance(item, dict) and item.get("name") else ""


def _names(items: list) -> str:
    names = [item["name"] for item in items if isinstance(item, dict) and item.get("name")]
    return f" {_short(names)}" if names else ""


def _same_number(a, b) -> bool:
    numbers = (int, float)
    if not (isinstance(a, numbers) and isinstance(b, numbers)) or isinstance(a, bool):
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _short(value, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[:width - 1] + "…"


def title(fig: dict) -> str:
    t = (fig.get("layout") or {}).get("title") or {}
    return t.get("text", "") if isinstance(t, dict) else str(t)


def report(link: Link, stored: list[dict] | None, shown: list[dict], shown_lines: int = 5) -> list[str]:
    """A per-figure summary of how `shown` differs from `stored` (empty: the same).
    Figures pair up by their place on the page, or by title when a figure came or went."""
    if stored is None:
        return [f"{link.name}: no snapshot ({len(shown)} figures now)"]
    out, pairs = [], list(zip(stored, shown, range(len(shown))))
    if len(stored) != len(shown):
        out.append(f"{link.name}: {len(stored)} figures in the snapshot, {len(shown)} now: "
                   f"{[title(f) for f in stored]} -> {[title(f) for f in shown]}")
        by_title = {title(f): f for f in stored}
        pairs = [(by_title[title(f)], f, i) for i, f in enumerate(shown) if title(f) in by_title]
    for a, b, i in pairs:
        diff = differences(a, b)
        if diff:
            out.append(f"{link.name} figure {i} ({title(b)!r}): {len(diff)} differences")
            out += [f"    {d}" for d in diff[:shown_lines]]
            if len(diff) > shown_lines:
                out.append(f"    … and {len(diff) - shown_lines} more")
    return out


# -- the command -------------------------------------------------------------------------

def write(directory: Path, links) -> None:
    """Store each link's figures in `directory`; a full write also removes the files of
    links no longer in LINKS."""
    directory.mkdir(parents=True, exist_ok=True)
    for link in links:
        start = time.perf_counter()
        shown = render(link)
        (directory / f"{link.name}.json").write_text(dumps(link, shown), encoding="utf-8")
        print(f"{link.name}: {len(shown)} figures written ({time.perf_counter() - start:.1f} s)")
    if len(links) == len(LINKS):
        for stale in sorted(set(directory.glob("*.json")) - {directory / f"{n}.json" for n in BY_NAME}):
            stale.unlink()
            print(f"{stale.name}: removed, no such link")


def compare(directory: Path, links) -> int:
    """Print how each link's figures differ from those stored; the number that differ."""
    changed = 0
    for link in links:
        shown = normalised(render(link))
        lines = report(link, load(directory, link), shown)
        changed += bool(lines)
        print("\n".join(lines) if lines else f"{link.name}: {len(shown)} figures, the same")
    print(f"{changed} of {len(links)} links differ" if changed else "every figure the same")
    return changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", type=Path, metavar="DIR", help="store every link's figures")
    what.add_argument("--compare", type=Path, metavar="DIR",
                      help="compare every link's figures with those stored in DIR")
    ap.add_argument("--only", nargs="+", choices=sorted(BY_NAME), metavar="NAME",
                    help="these links only (default: all)")
    args = ap.parse_args(argv)
    links = [BY_NAME[n] for n in args.only] if args.only else list(LINKS)
    if args.write:
        write(args.write, links)
        return 0
    return 1 if compare(args.compare, links) else 0


if __name__ == "__main__":
    sys.exit(main())
