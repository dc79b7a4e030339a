"""Display text for the core's names: one table per kind of name, used by every page.

The core keys its results by names ("kaiming_normal", "batch"); what a student reads
is here. A control's label for a value is also that value's form in the URL.
"""

from __future__ import annotations

INIT_LABELS = {
    "custom": "custom Var(W)",
    "xavier_normal": "Xavier normal",
    "xavier_uniform": "Xavier uniform",
    "kaiming_normal": "Kaiming normal (fan_in)",
    "kaiming_uniform": "Kaiming uniform (fan_in)",
    "kaiming_normal_fan_out": "Kaiming normal (fan_out)",
    "kaiming_uniform_fan_out": "Kaiming uniform (fan_out)",
    "lecun_normal": "LeCun normal",
    "orthogonal": "orthogonal",
    "torch_default": "PyTorch nn.Linear default",
}
NORM_LABELS = {"none": "none", "batch": "BatchNorm", "layer": "LayerNorm",
               "group": "GroupNorm", "instance": "InstanceNorm", "rms": "RMSNorm"}
# In a legend beside the normalizations, "none" alone would read as a missing label.
LINEUP_LABELS = NORM_LABELS | {"none": "no norm"}
NORM_POSITION_LABELS = {"before": "before the activation", "after": "after the activation"}
INPUT_LABELS = {"normal": "N(0, 1)", "uniform": "pixel-like U[0, 1]"}

# PyTorch's torch.nn.init.calculate_gain table, as PyTorch writes it.
GAIN_FORMULAS = {
    "linear": "1",
    "sigmoid": "1",
    "tanh": "5/3",
    "relu": "√2",
    "leaky_relu": "√(2 / (1 + 0.01²))",
    "selu": "3/4",
}
NO_TORCH_GAIN = "not in PyTorch's table: 1"

SCHEME_FORMULAS = {
    "custom": "Var(W) slider",
    "xavier_normal": "gain² · 2 / (fan_in + fan_out)",
    "xavier_uniform": "gain² · 2 / (fan_in + fan_out), uniform",
    "kaiming_normal": "gain² / fan_in",
    "kaiming_uniform": "gain² / fan_in, uniform",
    "kaiming_normal_fan_out": "gain² / fan_out",
    "kaiming_uniform_fan_out": "gain² / fan_out, uniform",
    "lecun_normal": "1 / fan_in (no gain)",
    "orthogonal": "gain² · min(fan_in, fan_out) / (fan_in · fan_out)",
    "torch_default": "1 / (3 · fan_in): U(±1/√fan_in)",
}


def affine_label(role: str, norm: str, gamma: float, beta: float) -> str:
    """The legend of one of the three gamma/beta networks (core.experiments.norm_lineup)."""
    if role == "none":
        return "no normalization"
    if role == "unit":
        return f"{NORM_LABELS[norm]}, γ = 1, β = 0"
    return f"{NORM_LABELS[norm]}, γ = {gamma:g}, β = {beta:g}"


def batch_run_label(norm: str, batch: int) -> str:
    return f"{NORM_LABELS[norm]}, batch {batch}"
