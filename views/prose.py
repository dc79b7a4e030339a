"""The pages' words: every sentence a page writes (its paragraphs, captions and notes) is
in its own file, views/text/<url path>.toml, one template per key. A page fills a
template with the numbers of the network on screen: `{name}` and `{name:.3g}` are
str.format fields, as the page names them. Labels (of a control, a metric, a chart's
axis) stay beside the widget they label.

str.format is safe here: these files are the app's own, and their fields are numbers and
names the page computes. What a visitor writes (a link, a lesson file) is neither.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "text"


class Prose:
    """One page's words: `text(key, **fields)` is the template `key` filled in; a key
    "intro.off" names the entry `off` of the table `[intro]`."""

    def __init__(self, url_path: str):
        self.path = FOLDER / f"{url_path}.toml"
        self.templates = tomllib.loads(self.path.read_text(encoding="utf-8"))

    def __call__(self, key: str, **fields) -> str:
        return self._template(key).format(**fields)

    def __contains__(self, key: str) -> bool:
        try:
            return isinstance(self._template(key), str)
        except (KeyError, TypeError):
            return False

    def _template(self, key: str):
        found = self.templates
        for part in key.split("."):
            found = found[part]
        return found
