"""A test hook: stop at a named point so a test can signal or kill the wizard there."""
from __future__ import annotations

import os
import sys
import time


def pause_point(name: str) -> None:
    """With HOMELAB_WIZARD_PAUSE_AT=<name>, say so on stderr and sleep, so a test interrupts the wizard
    at a known point (Ctrl-C, SIGTERM, kill -9) instead of guessing with sleeps."""
    if os.environ.get("HOMELAB_WIZARD_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(120)
