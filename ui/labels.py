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


# How the app words a core.spec.Fix (a shape field changed from what was asked), by reason.
FIX_NOTES = {
    "groups_divide_width": "GroupNorm needs the groups to divide the width with at least "
                           "two values each: using {used} groups instead of {asked}.",
    "instance_needs_positions": "InstanceNorm averages over spatial positions, and there is "
                                "only one: using {used} positions (Advanced › Spatial positions).",
    "instance_same_values": "InstanceNorm runs on batch {used} instead of {asked}, so that "
                            "its extra positions leave about as many values at the same cost.",
    "batch_needs_two": "BatchNorm needs more than one value per channel: using batch {used}.",
    "train_instance_norm": "InstanceNorm averages over positions, and this network sees one "
                           "(its embedding): every value would normalize to 0. Training uses "
                           "{used} instead.",
    "train_one_position": "Training runs on {used} position (the embedding of the three "
                          "characters) instead of {asked}: the sidebar's positions apply to "
                          "the other pages.",
}
_BUDGET_PARTS = {"width": "width {used} instead of {asked} (same fan_in × Var(W))",
                 "batch": "batch {used} instead of {asked}",
                 "train_batches": "{used} training batches instead of {asked}"}


def fix_notes(fixes, subject: str = "this comparison") -> list[str]:
    """One sentence per fix, the budget's shrinks joined into one that comes first.

    >>> from core.spec import Fix
    >>> fix_notes([Fix("width", 1024, 128, "budget"), Fix("batch", 512, 8, "budget")])
    ['To stay live, this comparison uses width 128 instead of 1024 (same fan_in × Var(W)) and batch 8 instead of 512.']
    """
    shrunk = [_BUDGET_PARTS[f.field].format(asked=f.asked, used=f.used)
              for f in fixes if f.why == "budget"]
    notes = [f"To stay live, {subject} uses " + " and ".join(shrunk) + "."] if shrunk else []
    busy = [_BUDGET_PARTS[f.field].format(asked=f.asked, used=f.used)
            for f in fixes if f.why == "busy"]
    if busy:
        notes.append(f"The server is busy with many visitors: for now {subject} runs with "
                     + " and ".join(busy) + ", and catches up by itself in a few seconds.")
    return notes + [FIX_NOTES[f.why].format(asked=fix_value(f, f.asked), used=fix_value(f, f.used))
                    for f in fixes if f.why not in ("budget", "busy")]


def fix_value(fix, value) -> str:
    """A Fix's asked or used value as the page names it (a normalization by its label)."""
    return NORM_LABELS[value] if fix.field == "norm" else str(value)


_TRAIN_BUDGET_PARTS = {"steps": "{used} steps instead of {asked}",
                       "valid_examples": "{used} validation examples instead of {asked}"}


def train_budget_notes(fixes) -> list[str]:
    """What core.train.fit_budget cut (why="train_budget"), as one sentence.

    >>> from core.spec import Fix
    >>> train_budget_notes([Fix("steps", 20000, 3900, "train_budget")])
    ['To keep the page live for everyone, this network trains with 3900 steps instead of 20000.']
    """
    parts = [_TRAIN_BUDGET_PARTS[f.field].format(asked=f.asked, used=f.used)
             for f in fixes if f.why == "train_budget"]
    return [f"To keep the page live for everyone, this network trains with "
            f"{' and '.join(parts)}."] if parts else []


def server_wait_note(reserved: float, total: float, needs: float) -> str:
    """The Training page's words while its request waits for the server's memory.

    >>> server_wait_note(300 * 2**20, 384 * 2**20, 90 * 2**20)[-73:]
    'holds 300 MB of the 384 MB; this one needs at least 90 MB, even narrowed.'
    """
    return (f"Other visitors' training is using the server's memory: this run starts when "
            f"enough of theirs finishes or stops. The training in progress holds "
            f"{reserved / 2**20:,.0f} MB of the {total / 2**20:,.0f} MB; this one needs at "
            f"least {needs / 2**20:,.0f} MB, even narrowed.")

# The Training page's optimizers, as its control and its charts' settings lines name them.
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD, momentum 0.9", "adam": "Adam"}
