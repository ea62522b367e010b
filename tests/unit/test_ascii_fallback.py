"""The stand-ins a stream writes for the marks its encoding cannot take (wizard/cli/ascii_fallback.py)."""
from __future__ import annotations

import io

from wizard.cli import ascii_fallback


def stream(encoding: str) -> tuple[io.BytesIO, io.TextIOWrapper]:
    raw = io.BytesIO()
    return raw, io.TextIOWrapper(raw, encoding=encoding)


def test_an_ascii_stream_gets_readable_stand_ins_and_a_question_mark_for_the_unknown():
    raw, s = stream("ascii")
    ascii_fallback.install(s)
    s.write("✔ 1.0 passed · next → 2.1 … ✘ ■ ↷ 日本")
    s.flush()
    assert raw.getvalue() == b"+ 1.0 passed . next -> 2.1 ... x # ~ ??"


def test_a_utf8_stream_is_left_as_it_is():
    raw, s = stream("utf-8")
    ascii_fallback.install(s)
    s.write("✔ → …")
    s.flush()
    assert raw.getvalue().decode("utf-8") == "✔ → …"


def test_installing_twice_and_on_a_stream_without_reconfigure_is_harmless():
    raw, s = stream("ascii")
    ascii_fallback.install(s, io.StringIO())
    ascii_fallback.install(s)
    s.write("→")
    s.flush()
    assert raw.getvalue() == b"->"
