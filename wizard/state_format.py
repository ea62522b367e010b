"""The state file's format constants, in a module that imports nothing.

`status` reads the state file through wizard.status_view without loading the dataclasses of
wizard.state (their import is a large part of a cold start); both read these.
"""

SCHEMA = 1
STATUSES = ("pending", "running", "passed", "failed", "blocked", "skipped")
STATE_FILE = "state.json"
