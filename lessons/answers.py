"""Numbers as people type them into a lesson's answer box, read without eval.

Read: 1e6, 1.05e6, 1,048,576 and 1 048 576 (groups of three), 5/3, 2^20, 2**20,
10^-10, 10⁻¹⁰, 3 × 10^2, 3x10^2, (5/3)^2, 35%, after a leading ≈, ~ or "about", with −
or – for minus, and followed by the step's unit. A comma that does not group three
digits (1,5) is refused rather than guessed at.

A number is held as its sign and the log10 of its size, with its float beside it when
float64 holds it: 10^450 and 1e-500 are numbers like any other, judged in log10, and no
integer is ever built from an exponent, so 10^99999999 costs what 10^2 does.

>>> [read(t).value for t in ("5/3", "2^20", "−1e-10", "≈ 1.05×10^6", "35%")]
[1.6666666666666667, 1048576.0, -1e-10, 1050000.0, 0.35]
>>> read("10^450").value is None, read("10^450").log10
(True, 450.0)
>>> print(read("1,5").message)
I could not read ` 1,5 ` as a number (a comma groups three digits, as in 1,048,576; a decimal point is a point): try `5/3`, `2^20` or `1e-10`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .text import inert

MAX_CHARS = 80               # an answer longer than this is refused, unread
FLOAT_DECADES = 300          # within 10^±300 a number also keeps its float
POWERS_OF_TEN = ("powers of ten", "powers of 10", "orders of magnitude", "decades")
UNPAIRED = "its numbers and signs do not pair up into one number"
HINT = "try `5/3`, `2^20` or `1e-10`"


@dataclass(frozen=True)
class Number:
    sign: int                 # -1, 0 or 1
    log10: float              # log10 of the size; -inf for zero
    value: float | None       # the float, None beyond float64's range

    def as_float(self) -> float:
        """The float, or ±inf / ±0 for a size float64 cannot hold."""
        if self.value is not None:
            return self.value
        return self.sign * (math.inf if self.log10 > 0 else 0.0)


@dataclass(frozen=True)
class Unreadable:
    message: str              # what could not be read (quoted inert) and why


ZERO = Number(0, -math.inf, 0.0)
ONE = Number(1, 0.0, 1.0)


class _Refused(Exception):
    pass


def of(value: float) -> Number:
    """A float as a Number."""
    if value == 0:
        return ZERO
    return _make(1 if value > 0 else -1, math.log10(abs(value)), value)


def power_of_ten(exponent: float) -> Number:
    return _make(1, exponent, None)


def read(text: str, unit: str = "", log: bool = False) -> Number | Unreadable:
    """The number typed. `unit`: the step's unit, which may follow the number; `log`:
    the step asks for a power of ten, so "20 powers of ten" reads as 10^20."""
    try:
        if len(text) > MAX_CHARS:
            raise _Refused(f"an answer is at most {MAX_CHARS} characters")
        plain, decades = _drop_unit(_normal(text), unit, log)
        number = _Parser(_tokens(plain)).number()
        return _pow(of(10.0), number) if decades else number
    except _Refused as e:
        return Unreadable(f"I could not read {inert(text)} as a number ({e}): {HINT}.")


# -- text to tokens ----------------------------------------------------------------------

_APPROX = re.compile(r"^(?:≈|~=|~|∼|≃|about|approx\.?|approximately|roughly|around)\s*",
                     re.IGNORECASE)
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SIGNS = str.maketrans({"−": "-", "–": "-", "‒": "-", "﹣": "-", "－": "-",
                        "×": "*", "⋅": "*", "·": "*", "∙": "*", "✕": "*", "∗": "*",
                        "÷": "/", "∕": "/", "⁄": "/"})
_TIMES_X = re.compile(r"(?<=[\d.)\s])[xX](?=\s*[\d(])")
# Digits grouped by threes with one separator throughout (comma, space, thin or no-break
# space), or plain; then a decimal part and an exponent.
_NUMBER = re.compile(r"(?:\d{1,3}(?P<sep>[, \u00a0\u2009\u202f])\d{3}(?:(?P=sep)\d{3})*(?!\d)"
                     r"|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?", re.ASCII)
_OPERATOR = re.compile(r"\*\*|[-+*/^()%]")
_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    text = _APPROX.sub("", text.strip())
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+", lambda m: f"^({m.group().translate(_SUPER)})", text)
    return _TIMES_X.sub("*", text.translate(_SIGNS))


def _drop_unit(text: str, unit: str, log: bool) -> tuple[str, bool]:
    """The text without a trailing unit; True when that unit was powers of ten on a
    step that asks for a power of ten (the number typed is then its exponent)."""
    plain = " ".join(text.split())
    units = POWERS_OF_TEN if (log or unit.lower() in POWERS_OF_TEN) else ()
    for word in (*units, unit.strip()):
        # a unit is words: one that starts with a digit or a sign would eat the number
        if word[:1].isalpha() and plain.lower().endswith(word.lower()) \
                and len(plain) > len(word):
            return plain[:-len(word)].rstrip(), word in POWERS_OF_TEN and log
    return text, False


def _stray(char: str) -> str:
    if char == ",":
        return "a comma groups three digits, as in 1,048,576; a decimal point is a point"
    return f"{inert(char)} is not part of a number"


def _tokens(text: str) -> list[str]:
    tokens, i = [], 0
    while i < len(text):
        for pattern in (_SPACE, _NUMBER, _OPERATOR):
            match = pattern.match(text, i)
            if match:
                if pattern is not _SPACE:
                    tokens.append(match.group())
                i = match.end()
                break
        else:
            raise _Refused(_stray(text[i]))
    if not tokens:
        raise _Refused("there is no number in it")
    return tokens


# -- tokens to a number --------------------------------------------------------------------

class _Parser:
    """number := product; product := signed (('*' | '/') signed)*;
    signed := ('-' | '+') signed | power; power := atom '%'? (('^' | '**') signed)?;
    atom := literal | '(' product ')'. A sign binds looser than a power: -2^2 = -4."""

    def __init__(self, tokens: list[str]):
        self.tokens, self.at = tokens, 0

    def number(self) -> Number:
        result = self.product()
        if self.at < len(self.tokens):
            raise _Refused(UNPAIRED)
        return result

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise _Refused("it ends where a number should follow")
        self.at += 1
        return token

    def product(self) -> Number:
        result = self.signed()
        while self.peek() in ("*", "/"):
            op = self.take()
            result = _mul(result, self.signed()) if op == "*" else _div(result, self.signed())
        return result

    def signed(self) -> Number:
        if self.peek() in ("-", "+"):
            negative = self.take() == "-"
            inner = self.signed()
            return Number(-inner.sign, inner.log10, None if inner.value is None
                          else -inner.value) if negative else inner
        return self.power()

    def power(self) -> Number:
        base = self.atom()
        if self.peek() == "%":
            self.take()
            base = _div(base, of(100.0))
        if self.peek() in ("^", "**"):
            self.take()
            return _pow(base, self.signed())
        return base

    def atom(self) -> Number:
        token = self.take()
        if token == "(":
            inner = self.product()
            if self.peek() != ")":
                raise _Refused("a bracket is not closed")
            self.take()
            return inner
        if token[0].isdigit() or token[0] == ".":
            return _literal(token)
        raise _Refused(UNPAIRED)


def _literal(token: str) -> Number:
    digits = re.sub(r"[, \u00a0\u2009\u202f]", "", token).lower()
    mantissa, _, exponent = digits.partition("e")
    m = float(mantissa)                   # at most MAX_CHARS digits: finite
    if m == 0:
        return ZERO
    return _make(1, math.log10(m) + int(exponent or 0), float(digits))


def _make(sign: int, log10: float, exact: float | None) -> Number:
    """A nonzero number from its sign and log10, keeping `exact` (its float computed
    directly) when float64 held it."""
    if math.isnan(log10) or math.isinf(log10):
        raise _Refused("it is too large or too small to judge")
    if exact is not None and math.isfinite(exact) and exact != 0:
        return Number(sign, math.log10(abs(exact)), exact)     # the float's own log10
    value = sign * 10.0 ** log10 if abs(log10) < FLOAT_DECADES else None
    return Number(sign, log10, value)


def _mul(a: Number, b: Number) -> Number:
    if a.sign == 0 or b.sign == 0:
        return ZERO
    exact = a.value * b.value if a.value is not None and b.value is not None else None
    return _make(a.sign * b.sign, a.log10 + b.log10, exact)


def _div(a: Number, b: Number) -> Number:
    if b.sign == 0:
        raise _Refused("it divides by zero")
    if a.sign == 0:
        return ZERO
    exact = a.value / b.value if a.value is not None and b.value is not None else None
    return _make(a.sign * b.sign, a.log10 - b.log10, exact)


def _pow(base: Number, exponent: Number) -> Number:
    e = exponent.value
    if e is None:
        raise _Refused("its exponent is too large to judge")
    if base.sign == 0:
        if e < 0:
            raise _Refused("it divides by zero")
        return ZERO if e > 0 else ONE
    if base.sign < 0 and not e.is_integer():
        raise _Refused("a negative number to a fractional power is not a real number")
    log10 = e * base.log10
    exact = None
    if base.value is not None and abs(log10) < FLOAT_DECADES:
        exact = base.value ** e
    return _make(-1 if base.sign < 0 and int(e) % 2 else 1, log10, exact)
