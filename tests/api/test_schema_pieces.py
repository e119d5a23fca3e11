"""The schema's hand-written pieces say exactly what the serializers enforce."""

import re

from core.api import PYTHON_SPACE, non_blank_pattern


def test_the_whitespace_class_is_exactly_what_python_strips():
    space = re.compile(f"[{PYTHON_SPACE}]")
    for code in range(0x110000):
        assert bool(space.fullmatch(chr(code))) == chr(code).isspace(), hex(code)


def test_a_non_blank_value_needs_something_drf_would_not_trim():
    pattern = re.compile(non_blank_pattern())
    assert pattern.fullmatch(" a ") and pattern.fullmatch("é")
    assert not pattern.fullmatch("\u2028\t ") and not pattern.fullmatch("a\x00")
