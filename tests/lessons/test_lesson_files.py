"""Lesson files no author can break the page with: every replacement field is a bare
fact name, checked at load; whatever goes wrong reading one file (its TOML, its bytes,
what it is on disk) lists that file as broken, and the other lessons still open; any
structure or template is either a Lesson or a LessonError."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import lessons
from core.simulate import simulate
from core.spec import NetworkSpec
from ui.controls import BY_KEY

from .test_lessons import GOOD as BARE, VOCAB
SHIPPED = sorted(p.stem for p in lessons.FOLDER.glob("*.toml"))

GOOD = textwrap.dedent(BARE) + 'look_at = "The curve."\n'


def _step(**fields) -> dict:
    return {"title": "One", "page": "variance", "question": "Q?", "explain": "Layer {depth}.",
            "answer": 1, "tolerance": 0.5} | fields


# -- templates ------------------------------------------------------------------------

@pytest.mark.parametrize("template, message", [
    ("{width:{secret}}", "the field '{width:{secret}}' formats its fact"),
    ("{width:>99999999999999999999}", "formats its fact; facts are text already, so write "
                                      "the bare name, {width}"),
    ("{width:>400000000}", "the field '{width:>400000000}' formats its fact"),
    ("{width!r}", "the field '{width!r}' formats its fact"),
    ("{width!s:^9}", "formats its fact"),
    ("{width.__class__}", "the field '{width.__class__}' reaches into its fact"),
    ("{width[0]}", "the field '{width[0]}' reaches into its fact"),
    ("{}", "the field '{}' needs a fact's name"),
    ("{0}", "the field '{0}' needs a fact's name"),
    ("{secret}", "names an unknown fact, '{secret}'"),
    ("an open { brace", "braces must pair up"),
    ("a closing } brace", "braces must pair up"),
    ("{width!}", "braces must pair up"),
])
@pytest.mark.parametrize("field", ["explain", "look_at"])
def test_a_template_is_checked_whole_at_load(template, message, field):
    """Refused at load with the step and the field named, long before a Reveal."""
    data = {"title": "T", "summary": "S", "steps": [_step(), _step(**{field: template})]}
    with pytest.raises(lessons.LessonError) as e:
        lessons.parse("x", data, VOCAB)
    assert str(e.value).startswith(f"step 2: {field}") and message in str(e.value), e.value


def test_fill_replaces_names_and_never_formats():
    facts = {"width": "100", "depth": "10"}
    assert lessons.fill("{width} wide, {{literal}} braces, {depth}^2", facts) == \
        "100 wide, {literal} braces, 10²"


# -- files ------------------------------------------------------------------------------

def _folder(tmp_path: Path) -> Path:
    for name in SHIPPED:
        shutil.copy(lessons.FOLDER / f"{name}.toml", tmp_path)
    return tmp_path


def _broken(tmp_path: Path, name: str) -> str:
    lib = lessons.load_all(tmp_path, VOCAB)
    assert sorted(lib.lessons) == SHIPPED
    (error,) = lib.errors
    assert error.startswith(f"{name}.toml: "), error
    return error


def test_toml_nested_too_deep(tmp_path):
    (_folder(tmp_path) / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000)
    assert "nested too deep" in _broken(tmp_path, "deep")


def test_a_folder_named_like_a_lesson(tmp_path):
    (_folder(tmp_path) / "folder.toml").mkdir()
    assert "could not be read (Is a directory)" in _broken(tmp_path, "folder")


def test_a_dangling_link(tmp_path):
    (_folder(tmp_path) / "dangling.toml").symlink_to(tmp_path / "nowhere.toml")
    assert "could not be read (No such file or directory)" in _broken(tmp_path, "dangling")


def test_a_file_not_in_utf8(tmp_path):
    (_folder(tmp_path) / "latin.toml").write_bytes(GOOD.replace("T", "Caf\xe9").encode("latin-1"))
    assert "not UTF-8 text" in _broken(tmp_path, "latin")


def test_an_unreadable_file(tmp_path, monkeypatch):
    """(Tests may run as root, who reads any file: the refusal is the operating system's.)"""
    (_folder(tmp_path) / "locked.toml").write_text(GOOD)
    real_open = os.open

    def locked(path, *args, **kwargs):
        if str(path).endswith("locked.toml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", locked)
    assert "could not be read (Permission denied)" in _broken(tmp_path, "locked")


def test_a_huge_file_is_not_read_whole(tmp_path):
    (_folder(tmp_path) / "huge.toml").write_text(GOOD + "#" * (lessons.MAX_BYTES + 1))
    assert "larger than 200 kB" in _broken(tmp_path, "huge")


@pytest.mark.timeout(60)
def test_a_pipe_named_like_a_lesson_does_not_block(tmp_path):
    os.mkfifo(_folder(tmp_path) / "pipe.toml")
    result = []
    reader = threading.Thread(target=lambda: result.append(lessons.load_all(tmp_path, VOCAB)),
                              daemon=True)
    reader.start()
    reader.join(20)
    assert result, "reading the lessons waited on a pipe"
    assert sorted(result[0].lessons) == SHIPPED and "not a file" in result[0].errors[0]


@pytest.mark.parametrize("old, new, message", [
    ("answer = 1", "answer = " + "9" * 400, "step 1: answer must be a number"),
    ("answer = 1", "answer = nan", "step 1: answer must be a number"),
    ("answer = 1", "answer = -inf", "step 1: answer must be a number"),
    ("answer = 1", "answer = 1e301", "step 1: answer must be a number (at most 10^300 in size)"),
    ("depth = 10", "depth = " + "9" * 5000, "not valid TOML: Exceeds the limit"),
    ("depth = 10", "depth = nan", "depth = nan is not a value of that control"),
    ("depth = 10", "depth = [[[10]]]", "depth = a list is not a value of that control"),
    ("depth = 10", 'depth = "x"', "depth = 'x' is not a value of that control"),
])
def test_a_huge_integer_or_nan_is_refused(tmp_path, old, new, message):
    (_folder(tmp_path) / "number.toml").write_text(GOOD.replace(old, new))
    assert message in _broken(tmp_path, "number")


# -- any structure, any template, any file text: a Lesson or a LessonError ------------------

_FACTS = lessons.facts(simulate(NetworkSpec(depth=2, width=4, batch=2)))
_SCALARS = st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.booleans(),
                     st.sampled_from(["variance", "tanh", "Nope", "{depth}", *BY_KEY]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
_KEYS = st.sampled_from(sorted(lessons.STEP_KEYS) + ["values.depth", "values.nope", "nope"])
_TEMPLATE = st.lists(st.one_of(
    st.sampled_from(["{", "}", "{{", "}}", "!", "!r", ":", ">", "9" * 12, ".", "[0]", "{depth}",
                     "{width", "__class__", " "]),
    st.sampled_from(sorted(_FACTS)), st.text(max_size=4)), max_size=10).map("".join)


def _mutate(step: dict, key: str, value) -> dict:
    if key.startswith("values."):
        return step | {"values": {key.split(".")[1]: value}}
    return step | {key: value}


@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=4), st.one_of(st.none(), _VALUES))
def test_any_structure_is_a_lesson_or_a_lesson_error(changes, whole):
    step = _step()
    for key, value in changes:
        step = _mutate(step, key, value)
    data = {"title": "T", "summary": "S", "steps": [step]}
    for candidate in (data, whole, {"title": "T", "summary": "S", "steps": whole}):
        try:
            lessons.parse("x", candidate, VOCAB)
        except lessons.LessonError:
            pass


@given(_TEMPLATE, _TEMPLATE)
def test_any_template_is_refused_or_fills(explain, look_at):
    try:
        lesson = lessons.parse("x", {"title": "T", "summary": "S",
                                     "steps": [_step(explain=explain, look_at=look_at)]}, VOCAB)
    except lessons.LessonError as e:
        assert str(e).startswith("step 1: ")
        return
    for text in (lesson.steps[0].explain, lesson.steps[0].look_at):
        assert len(lessons.fill(text, _FACTS)) <= len(text) + 40 * text.count("{")


@given(st.text(alphabet='[]{}="\'\n abc19.,#\\-:', max_size=200))
def test_any_file_text_is_a_lesson_or_a_lesson_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(GOOD + text)
        try:
            lessons.load(path, VOCAB)
        except lessons.LessonError as e:
            assert str(e).startswith("fuzz.toml: ")


def test_a_check_that_fails_lists_the_file_and_not_the_page(tmp_path, monkeypatch):
    """The last line of defence: an unexpected error in checking one file is that
    file's error too."""
    def broken(*args):
        raise ZeroDivisionError

    (_folder(tmp_path) / "odd.toml").write_text(GOOD)
    real_parse = lessons.parse
    monkeypatch.setattr(lessons.loader, "parse",
                        lambda lid, *a: broken() if lid == "odd" else real_parse(lid, *a))
    assert "could not be checked (ZeroDivisionError)" in _broken(tmp_path, "odd")
