"""What a deuteranope sees of a colour, and how far apart two colours look.

Deuteranopia (no working green cones; with the milder deuteranomaly about 5 % of men) is
simulated with Machado, Oliveira and Fernandes (2009)'s matrix at full severity, taken
from colour-science and applied to linear sRGB, as the paper does. Distances are CIEDE2000
in CIELAB (D65), also from colour-science.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

import numpy as np

with warnings.catch_warnings():           # it warns that SciPy and Matplotlib are absent
    warnings.simplefilter("ignore")
    import colour

DEUTERANOPIA = colour.blindness.matrix_cvd_Machado2009("Deuteranomaly", 1.0)
D65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
_RGBA = re.compile(r"rgba?\(([^)]*)\)")


def srgb(color: str) -> np.ndarray:
    """'#rrggbb', 'rgb(r, g, b)' or 'rgba(r, g, b, a)' as sRGB in [0, 1], a see-through
    colour laid over the white chart background."""
    color = color.strip()
    if color.startswith("#") and len(color) == 7:
        return np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    m = _RGBA.fullmatch(color.replace(" ", ""))
    if m is None:
        raise ValueError(f"colour not understood: {color!r}")
    parts = [float(p) for p in m.group(1).split(",")]
    rgb, alpha = np.array(parts[:3]) / 255, parts[3] if len(parts) == 4 else 1.0
    return alpha * rgb + (1 - alpha) * np.ones(3)


@cache
def lab(color: str, deuteranope: bool = True) -> tuple[float, float, float]:
    """CIELAB of `color` as seen with normal vision or with deuteranopia."""
    linear = colour.cctf_decoding(srgb(color), "sRGB")
    if deuteranope:
        linear = np.clip(DEUTERANOPIA @ linear, 0.0, 1.0)
    return tuple(colour.XYZ_to_Lab(colour.RGB_to_XYZ(linear, "sRGB"), D65))


def delta_e(a: str, b: str, deuteranope: bool = True) -> float:
    """CIEDE2000 between two colours as a deuteranope (or anyone) sees them."""
    return float(colour.delta_E(np.array(lab(a, deuteranope)), np.array(lab(b, deuteranope)),
                                method="CIE 2000"))


def luminance(color: str) -> float:
    """WCAG relative luminance."""
    linear = colour.cctf_decoding(srgb(color), "sRGB")
    return float(np.dot([0.2126, 0.7152, 0.0722], linear))


def contrast(a: str, b: str = "#ffffff") -> float:
    """WCAG contrast ratio, 1 to 21 (4.5 is the floor for normal text)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
