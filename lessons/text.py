"""Text a page shows from a file or from a student: a lesson's template filled with its
facts, powers written with ^ set as superscripts, and untrusted text (a link's value, an
answer, a file's error) made inert before it reaches Markdown."""

from __future__ import annotations

import re
import string


def inert(raw: str, limit: int = 40) -> str:
    """Untrusted text (a link's value, an answer, a file's error) made safe to show in
    Markdown: cut short, on one line, and set as inline code, where Markdown, HTML,
    Streamlit's :directives: and bare-URL autolinks all stay plain text (the fence is
    longer than any run of backticks inside).

    >>> print(inert("[log in](https://evil.example)"))
    ` [log in](https://evil.example) `
    >>> print(inert("a`b"))
    `` a`b ``
    """
    text = " ".join(raw.split())
    text = text if len(text) <= limit else text[:limit] + "…"
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    return f"{fence} {text} {fence}"


def fill(template: str, fact_values: dict[str, str]) -> str:
    """The template with each {name} replaced by its fact, by hand: nothing in a lesson
    file is ever run through str.format."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(fact_values[name])
    return pretty("".join(parts))


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_CODE = re.compile(r"(`+).*?\1", re.DOTALL)


def pretty(text: str) -> str:
    """Powers written with ^ in a lesson file, set as superscripts for the screen (the
    way the charts write them); inline code (a typing hint, an answer quoted back) keeps
    its ^.

    >>> pretty("100^10 = 10^20, and 0.1^10 = 10^-10, typed `10^-10`")
    '100¹⁰ = 10²⁰, and 0.1¹⁰ = 10⁻¹⁰, typed `10^-10`'
    """
    parts, at = [], 0
    for code in _CODE.finditer(text):
        parts += [_superscripts(text[at:code.start()]), code.group()]
        at = code.end()
    return "".join(parts + [_superscripts(text[at:])])


def _superscripts(text: str) -> str:
    return re.sub(r"(?<=[\d)])\^(-?\d+)", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
