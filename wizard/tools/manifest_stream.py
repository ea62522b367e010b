"""Objects as the stream `kubectl … -f -` reads: one JSON document per object, `---` between them.

JSON is YAML, so kubectl reads each document as it read the YAML of before, one object per document
(never folded into a List), and json.dumps is C code where PyYAML's safe_dump is pure Python: a Phase 2
dry-run of a few hundred objects took a second of the wizard's own time to write out.
"""
from __future__ import annotations

import datetime
import json


def _plain(value):
    # What PyYAML may give besides JSON types: a timestamp or date it resolved (kubectl's own YAML reader
    # would have read them back as these strings), binary data (base64, as kubectl's YAML gives it).
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def as_stream(docs) -> str:
    """The objects as one `-f -` stream (empty string for none)."""
    return "\n---\n".join(json.dumps(d, default=_plain, ensure_ascii=False) for d in docs) + ("\n" if docs else "")
