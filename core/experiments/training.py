"""The networks the Training page sets beside the one in the sidebar.

The hockey stick (Karpathy, makemore part 3): a full-size readout makes the untrained
network confidently wrong, and the first hundreds of steps only shrink the logits.
Scaling the last layer by 0.01 starts the loss at -ln(1/27); initializing the hidden
layers with Kaiming's rule and the activation's gain (5/3 for tanh) keeps them out of
saturation as well.

>>> from core.spec import NetworkSpec
>>> list(comparisons(NetworkSpec(activation="tanh")))
['as set', 'readout × 0.01', 'readout × 0.01, Kaiming init, gain 5/3']
>>> list(comparisons(NetworkSpec(readout_scale=0.01, init="kaiming_normal")))
['as set']
"""

from __future__ import annotations

from .. import activations
from ..spec import NetworkSpec

FIXED_READOUT = 0.01
GAIN_WORDS = {"tanh": "5/3", "relu": "√2", "selu": "3/4", "sigmoid": "1", "linear": "1"}


def comparisons(spec: NetworkSpec) -> dict[str, NetworkSpec]:
    """{label: spec}: the network as set, then with the readout fixed, then with the
    readout fixed and the recommended init; a step that changes nothing is left out."""
    out = {"as set": spec}
    readout = spec.replace(readout_scale=min(spec.readout_scale, FIXED_READOUT))
    if readout != spec:
        out[f"readout × {FIXED_READOUT:g}"] = readout
    gained = readout.replace(init="kaiming_normal", gain=None)
    if gained not in out.values():
        gain = GAIN_WORDS.get(spec.activation, f"{activations.calculate_gain(spec.activation):.3g}")
        out[f"readout × {FIXED_READOUT:g}, Kaiming init, gain {gain}"] = gained
    return out


def norm_comparison(spec: NetworkSpec) -> tuple[str, NetworkSpec]:
    """The same network with BatchNorm before the activation, or, if it has a norm,
    without one: (label, spec).

    >>> norm_comparison(NetworkSpec())[0], norm_comparison(NetworkSpec(norm="layer"))[0]
    ('with BatchNorm', 'without normalization')
    """
    if spec.norm == "none":
        return "with BatchNorm", spec.replace(norm="batch", norm_position="before", groups=1)
    return "without normalization", spec.replace(norm="none", norm_position="before",
                                                 norm_gamma=1.0, norm_beta=0.0, groups=1)
