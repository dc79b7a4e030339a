"""A class's spread counts whole students: its count axis steps by whole numbers."""

from __future__ import annotations

import pytest

from figures.classroom import choices_figure, numbers_figure


@pytest.mark.parametrize("answers", [1, 2, 3, 7, 40, 200])
def test_the_numbers_count_axis_ticks_whole_students(answers):
    fig = numbers_figure([2.0] * answers)
    step = fig.layout.yaxis.dtick
    assert step >= 1 and step == int(step)
    assert answers / step <= 10                  # not a tick per student in a hall


@pytest.mark.parametrize("counts", [[1, 0], [2, 1, 0], [120, 60, 20]])
def test_the_choices_count_axis_ticks_whole_students(counts):
    step = choices_figure(["A", "B", "C"][:len(counts)], counts).layout.xaxis.dtick
    assert step >= 1 and step == int(step) and max(counts) / step <= 10
