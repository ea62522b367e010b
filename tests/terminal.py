"""The real `homelab-wizard` binary in a pseudo-terminal, read through pyte (a VT100 emulator).

The tests read the screen's text as a person would and press keys as bytes on the terminal. Waits are
for what the screen shows (or a state the test can read), with a timeout that reports the last screen.
"""
from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

import pyte

KEYS = {"down": "\x1b[B", "up": "\x1b[A", "right": "\x1b[C", "left": "\x1b[D", "enter": "\r", "tab": "\t",
        "escape": "\x1b", "ctrl+s": "\x13", "ctrl+q": "\x11", "backspace": "\x7f",
        "ctrl+u": "\x15"}


class Terminal:
    def __init__(self, argv: list[str], env: dict, cols: int = 100, rows: int = 30) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = pty.openpty()
        os.set_blocking(master, False)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.master = master

    def pump(self, seconds: float = 0.1) -> None:
        """Feeds what the program wrote during `seconds` to the emulated screen."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    self.stream.feed(os.read(self.master, 1 << 16))
                except OSError:
                    return

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        self.wait_until(lambda text: needle in text, f"{needle!r}", timeout)

    def wait_until(self, cond, what: str, timeout: float = 60) -> str:
        """Pumps until cond(screen text) holds; returns that text. Fails naming what it waited for."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if cond(text):
                return text
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{what} never showed (exit {self.proc.poll()}); the screen was:\n{text}")
            self.pump()

    def press(self, *keys: str) -> None:
        for k in keys:
            os.write(self.master, KEYS.get(k, k).encode())
            self.pump(0.2)

    def click(self, row: int, col: int) -> None:
        """A left click at the 0-based screen cell (SGR mouse reports, which Textual turns on)."""
        for end in ("M", "m"):
            os.write(self.master, f"\x1b[<0;{col + 1};{row + 1}{end}".encode())
        self.pump(0.2)

    def type(self, text: str) -> None:
        """Types a line of text (one write: the program reads it as keys, like a paste without brackets)."""
        for ch in text:
            os.write(self.master, ch.encode())
        self.pump(0.2)

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            os.close(self.master)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
