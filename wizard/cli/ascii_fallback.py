"""Output that any terminal takes: ASCII stand-ins for the wizard's arrows and marks.

Where stdout or stderr cannot encode a character (PYTHONIOENCODING=ascii, a Latin-1 locale, a pipe
opened with a narrow encoding), the stream writes a readable ASCII stand-in instead of raising
UnicodeEncodeError. Set once, in main(), for every command; a UTF-8 terminal is never affected,
because an error handler only runs for characters its encoding cannot take.
"""
from __future__ import annotations

import codecs
import sys

HANDLER = "homelab-wizard-ascii"
STAND_INS = {
    "→": "->", "←": "<-", "⇒": "=>", "✔": "+", "✓": "+", "✘": "x", "✗": "x", "■": "#", "↷": "~",
    "·": ".", "…": "...", "—": "--", "–": "-", "±": "+/-", "≤": "<=", "≥": ">=", "×": "x", "§": "S",
    "•": "*", "‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " ",
}


def _stand_in(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text = err.object[err.start:err.end]
    return "".join(STAND_INS.get(ch, "?") for ch in text), err.end


def install(*streams) -> None:
    """Make each stream (default: stdout and stderr) write ASCII stand-ins for what it cannot encode."""
    try:
        codecs.lookup_error(HANDLER)
    except LookupError:
        codecs.register_error(HANDLER, _stand_in)
    for stream in streams or (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=HANDLER)
            except (ValueError, OSError):  # a closed or detached stream: nothing will be written to it
                pass
