"""Numbers as the app writes them, in a chart's labels and in a page's or a lesson's
text alike: powers of ten with superscript digits, and numbers past float64's range
written from their log10. Plain Python (no Plotly), so text built without a chart (the
lessons package) writes numbers the same way."""

from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_label(k: float) -> str:
    """10^k as text with superscript digits ("10²⁰"): searchable, and as large as Plotly's
    <sup>.

    >>> power_label(-3), power_label(0), power_label(1)
    ('10⁻³', '1', '10¹')
    """
    return "1" if k == 0 else "10" + str(int(k)).translate(_SUPERSCRIPT)


def format_power(log10_value: float, digits: int = 3) -> str:
    """A number given by its log10, as plain text that stays readable at 1e450.

    >>> format_power(2.0), format_power(450.0), format_power(-math.inf)
    ('100', '1.00 × 10⁴⁵⁰', '0')
    """
    if log10_value == -math.inf:
        return "0"
    if not math.isfinite(log10_value):
        return "overflow"
    if -3 <= log10_value < 4:
        return f"{10 ** log10_value:.{digits}g}"
    k = math.floor(log10_value)
    mant = 10 ** (log10_value - k)
    if round(mant, 2) >= 10:
        mant, k = mant / 10, k + 1
    return f"{mant:.2f} × 10{str(k).translate(_SUPERSCRIPT)}"


def format_layers(count: float) -> str:
    """A number of layers (a depth scale such as xi_c): three digits, thousands grouped,
    "∞" where it diverges, and never "inf" or "nan".

    >>> format_layers(3.6269), format_layers(281.2), format_layers(6383.2), format_layers(math.inf)
    ('3.63', '281', '6,383', '∞')
    """
    if math.isnan(count):
        return "undefined"
    if math.isinf(count):
        return "∞" if count > 0 else "−∞"
    return f"{count:.3g}" if abs(count) < 1000 else f"{count:,.0f}"
