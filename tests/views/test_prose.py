"""Every page's words are in its own text file (views/text/<page>.toml, views/prose.py):
the page modules write no sentence of their own, every key a page asks for is in its
file, and every entry of a file is asked for."""

from __future__ import annotations

import ast
import string

import pytest

from views.prose import FOLDER, Prose

VIEWS = FOLDER.parent
PAGES = sorted(p for p in VIEWS.glob("*.py")
               if p.stem not in ("__init__", "prose") and not p.stem.endswith("_text"))
TEXT_CALLS = {"markdown", "caption", "info", "warning", "error", "success", "write", "toast"}
SENTENCE_WORDS = 8            # a label has fewer


def sentences_written(source: str) -> list[str]:
    """Text a module writes itself: a string or f-string handed to st.markdown, caption,
    info, ..., and module-level strings of a sentence's length."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) in TEXT_CALLS
                and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
            found.append(ast.unparse(node.args[0])[:60])
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and len(node.value.value.split()) >= SENTENCE_WORDS):
            found.append(node.value.value[:60])
    return found


def test_the_scan_finds_written_sentences():
    assert sentences_written('st.markdown("""\n### Why\n""")')
    assert sentences_written('cols[3].caption(f"Layer {k} is off")')
    assert sentences_written('NOTE = ("A linear unit never dies: its output is its input, '
                             'with slope 1.")')
    assert not sentences_written('st.caption(TEXT("intro"))\nSHOWN = "shown above"')


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_a_page_writes_no_sentence_of_its_own(path):
    assert sentences_written(path.read_text(encoding="utf-8")) == []


def _entries(table: dict, prefix: str = ""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _entries(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


FILES = sorted(FOLDER.glob("*.toml"))


def _sources(page: str) -> str:
    """The modules that read views/text/<page>.toml: the page's, and its _text helper's."""
    return "".join(p.read_text(encoding="utf-8") for p in VIEWS.glob(f"{page}*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_entry_is_a_template_a_page_asks_for(path):
    source = _sources(path.stem)
    assert f'Prose("{path.stem}")' in source or f'BY_PATH["{path.stem}"]' in source
    for key, template in _entries(Prose(path.stem).templates):
        assert isinstance(template, str), key
        list(string.Formatter().parse(template))            # braces balanced
        table = key.rsplit(".", 1)[0] + "." if "." in key else None
        # asked for by name, or through its table: TEXT(f"intro.{kind}")
        assert f'"{key}"' in source or (table and f'"{table}{{' in source), key


def keys_asked_for(source: str) -> list[str]:
    """The keys a module hands to TEXT(...) by name (or as either branch of an if)."""
    keys = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "TEXT":
            arg = node.args[0]
            for choice in (arg.body, arg.orelse) if isinstance(arg, ast.IfExp) else (arg,):
                keys += [choice.value] if isinstance(choice, ast.Constant) else []
    return keys


def page_of(module: str) -> str:
    """The page whose words a module writes: its own name, or the page it is a part of
    (views/lessons_class.py draws part of the Lessons page)."""
    return max((f.stem for f in FILES if module == f.stem or module.startswith(f.stem + "_")),
               key=len)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_every_key_a_page_asks_for_is_in_its_file(path):
    keys = keys_asked_for(path.read_text(encoding="utf-8"))
    assert keys
    text = Prose(page_of(path.stem))
    for key in keys:
        assert key in text, key
