"""Follow the wizard's own Next, headless, as a newcomer would.

From a repo and a cluster, read `status --json`'s `next`, run that item with `--yes --json`, and
answer each question it asks (`needs-answers` on stdout, exit 3) with what the owner knows (the
git URL, which environment the cluster runs) or else the first offered choice, or the question's
default. Stop at Phase 5 (Integration), or at a dead end: an item that Next names which then
fails, refuses, or asks a question nobody can answer from its choices, more than the allowed
number of times. Every step is kept, so a failing test names the item, its message and the
answers given so far.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import VENV_BIN

STOP_AT = ("integrate.",)


@dataclass
class Step:
    item: str
    rc: int
    status: str
    message: str
    sets: dict[str, str]
    seconds: float


@dataclass
class Journey:
    steps: list[Step] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    dead_end: str | None = None
    reached: str | None = None  # the item Next named when the journey stopped (None: nothing left)
    seconds: float = 0.0

    def describe(self, last: int = 12) -> str:
        lines = [f"dead end: {self.dead_end}" if self.dead_end else f"reached: {self.reached}"]
        for s in self.steps[-last:]:
            sets = " ".join(f"{k}={v}" for k, v in s.sets.items())
            lines.append(f"  {s.item} -> rc {s.rc} {s.status}: {s.message[:400]}" + (f"  [{sets}]" if sets else ""))
        return "\n".join(lines)


def cli(repo: Path, env: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), *args], capture_output=True,
                          text=True, env=env, input="", timeout=timeout)


def status(repo: Path, env: dict) -> dict:
    res = cli(repo, env, "status", "--json")
    if res.returncode != 0:
        raise AssertionError(f"status --json failed ({res.returncode}): {res.stderr[-2000:]}")
    return json.loads(res.stdout)


def _json_out(res: subprocess.CompletedProcess) -> dict:
    text = res.stdout.strip()
    if not text:
        return {}
    start = text.find("{")  # one JSON document; anything before it is a bug worth seeing in the message
    try:
        return json.loads(text[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        return {}


def answer_for(question: dict, known: dict[str, str]) -> str | None:
    """What a newcomer answers: a fact they know (exact key, or a pattern such as `environment.*`),
    else the first offered choice, else the default; None when nothing can be answered."""
    key = question["key"]
    if key in known:
        return known[key]
    for pattern, value in known.items():
        if "*" in pattern and re.fullmatch(pattern.replace(".", r"\.").replace("*", ".*"), key):
            return value
    if question.get("choices"):
        return question["choices"][0]["value"]
    if question.get("default") not in (None, ""):
        return question["default"]
    if question.get("optional"):
        return ""
    return None


def follow_next(repo: Path, env: dict, known: dict[str, str] | None = None, *, max_steps: int = 80,
                max_tries: int = 3, pending_timeout: float = 300, log=None) -> Journey:
    known = dict(known or {})
    journey = Journey()
    tries: dict[str, int] = {}
    started = time.monotonic()
    for _ in range(max_steps):
        data = status(repo, env)
        nxt = data.get("next")
        if nxt is None or nxt["id"].startswith(STOP_AT):
            journey.reached = nxt["id"] if nxt else None
            break
        item = nxt["id"]
        tries[item] = tries.get(item, 0) + 1
        if tries[item] > max_tries:
            last = journey.steps[-1] if journey.steps else None
            journey.dead_end = (f"Next names {item} again after {max_tries} runs"
                                + (f"; last: {last.item} {last.status}: {last.message[:600]}" if last else ""))
            break
        sets: dict[str, str] = {}
        for _round in range(4):  # questions may bring follow-up questions (adopt -> why)
            t0 = time.monotonic()
            args = ["run", item, "--yes", "--json"]
            for k, v in sets.items():
                args += ["--set", f"{k}={v}"]
            res = cli(repo, env, *args)
            out = _json_out(res)
            st = out.get("status") or ("error" if res.returncode else "?")
            msg = out.get("message") or (res.stderr.strip().splitlines() or [""])[-1]
            step = Step(item, res.returncode, st, msg, dict(sets), time.monotonic() - t0)
            journey.steps.append(step)
            if log:
                log(f"{item}: rc {res.returncode} {st} ({step.seconds:.0f}s): {msg[:200]}")
            if st != "needs-answers":
                break
            new = {}
            questions = out.get("questions", [])
            # A form shows a conditional question (the reason after "leave") only once its trigger is
            # answered: answer the others first, as a newcomer in the form would.
            if any(not q.get("conditional") for q in questions):
                questions = [q for q in questions if not q.get("conditional") or answer_for(q, known) is not None]
            for q in questions:
                value = answer_for(q, known)
                if value is None:
                    journey.dead_end = f"{item} asks {q['key']} ({q['prompt']}) with no choice or default"
                    break
                if q["key"] not in sets:
                    new[q["key"]] = value
            if journey.dead_end:
                break
            if not new:
                journey.dead_end = f"{item} asks again what was answered: {sorted(sets)}: {msg[:400]}"
                break
            sets.update(new)
            journey.answers.update(new)
        if journey.dead_end:
            break
        # Pending and Next still on it: it waits on Flux (4.1 while apps waits on infra-controllers).
        # Pending while Next moves on: it waits on a later item (S.4 before bootstrap), nothing to wait for.
        if step.status == "pending" and (status(repo, env).get("next") or {}).get("id") == item:
            _wait_not_pending(repo, env, item, pending_timeout, journey)
    else:
        journey.dead_end = f"no end after {max_steps} steps"
    journey.seconds = time.monotonic() - started
    return journey


def _wait_not_pending(repo: Path, env: dict, item: str, timeout: float, journey: Journey) -> None:
    """An item waiting on Flux (pending, with what it waits on) is verified again until it is not."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        res = cli(repo, env, "verify", item, "--json")
        out = _json_out(res)
        row = next((r for r in out.get("results", []) if r.get("id") == item), {})
        last = f"{row.get('status')}: {row.get('message', '')[:300]}"
        if row.get("status") != "pending":
            return
        time.sleep(2)
    journey.steps.append(Step(item, 1, "pending", f"still pending after {timeout:.0f}s: {last}", {}, timeout))


def not_green(data: dict, prefixes=("prep.", "repo.", "secrets.", "bootstrap.", "validate.")) -> dict[str, str]:
    return {it["id"]: f"{it['status']}: {it.get('message', '')[:300]}" for ph in data["phases"] for it in ph["items"]
            if it["id"].startswith(prefixes) and it["status"] not in ("passed", "skipped")}
