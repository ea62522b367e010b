"""The secrets screen: plaintext-secret findings (values never shown), the method, conversion, key backups.

Pushed from the secrets phase screen (`S`) or the command palette. The findings come from the
headless core (wizard.views.secret_findings), computed in an App worker and delivered as
a `FindingsScanned` message; a Finding holds a file, a line, an object and key names, never a
value, so nothing here can show one. The method choice is stored as the `secrets` answer.
Converting runs secrets.convert through the App (preview, confirmation, worker) and its output
streams into the command log; the key backups are shown from the secrets items' evidence.
"""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, RadioButton, RadioSet, Static

import assets

from .widgets.command_log import CommandLog
from .widgets.fit_columns import elide_left, elide_right, fit_columns
from .widgets.title_bar import TitleBar

METHODS = (("sops", "SOPS + age (files stay in git, Flux decrypts)"),
           ("sealed-secrets", "Sealed Secrets (the controller decrypts)"))
SECRETS_ITEMS = ("secrets.scan", "secrets.keys", "secrets.convert")


def method_label(value: str, chosen: str | None) -> str:
    label = dict(METHODS)[value]
    return f"{label}  ← chosen" if value == chosen else label


class FindingsScanned(Message):
    """The worker finished scanning the repository for plaintext secrets."""

    def __init__(self, findings: list, error: str = "") -> None:
        super().__init__()
        self.findings = findings
        self.error = error


def key_backup_text(state) -> Text:
    """The state of the keys (age key or Sealed Secrets certificate and sealing-key backup) from S.2's evidence."""
    st = state.item("secrets.keys")
    ev = st.evidence or {}
    style = {"passed": "green", "failed": "red", "blocked": "yellow"}.get(st.status, "dim")
    text = Text()
    text.append(f"secrets.keys: {st.status}\n", style=f"bold {style}")
    if st.message:
        text.append(f"  {st.message}\n")
    if ev.get("method") == "sops":
        text.append(f"  age key: {ev.get('key_file', '—')} ({ev.get('key_source', '?')})\n")
        if ev.get("recipient"):
            text.append(f"  recipient: {ev['recipient']}\n")
    elif ev.get("method") == "sealed-secrets":
        text.append(f"  certificate: {ev.get('cert', '—')} (scope {ev.get('scope', '?')})\n")
        text.append(f"  sealing-key backup: {ev.get('backup') or 'none yet'}\n",
                    style="" if ev.get("backup") else "yellow")
        if ev.get("live_keys"):
            text.append(f"  keys in the cluster: {', '.join(ev['live_keys'])}\n")
        if ev.get("cluster"):
            text.append(f"  cluster: {ev['cluster']}\n", style="dim")
    elif st.status in ("pending", ""):
        text.append("  not checked yet: press v to check the keys\n", style="dim")
    rotate = (state.item("secrets.convert").evidence or {}).get("rotate") or []
    if rotate:
        text.append(f"  rotate (plaintext in git history): {', '.join(rotate)}\n", style="yellow")
    return text


class SecretsScreen(Screen):
    """Findings on the left; the method, conversion progress, key backups and the command log on the right."""

    CSS_PATH = Path(assets.__file__).parent / "styles" / "secrets.tcss"
    HELP = """\
Plaintext secrets found in the repository: file:line, object and key names. Values are never
read into the screen. Choose SOPS or Sealed Secrets (stored as the answer `secrets`; the chosen
one is marked "chosen"), then e sets up the encryption keys (secrets.keys) and c converts the
Secrets (secrets.convert), each after a preview and a confirmation; the output streams into the
command log. v checks the secrets items again; g scans again.
"""
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", show=False, id="secrets.back"),  # in the help: no room at 80 columns
        Binding("e", "keys", "Keys", id="secrets.keys"),
        Binding("c", "convert", "Convert", id="secrets.convert"),
        Binding("v", "verify", "Verify", id="secrets.verify"),
        Binding("g", "refresh", "Scan again", id="secrets.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.findings: list = []

    def compose(self) -> ComposeResult:
        yield TitleBar("Secrets")
        yield Label("Secret management", classes="dialog-title", id="secrets-title")
        with Horizontal(id="secrets-body"):
            with Vertical(id="secrets-left"):
                yield DataTable(id="secrets-findings", cursor_type="row", zebra_stripes=True)
                # the highlighted finding whole: the table's cells are shortened to fit its width
                yield Static(id="secrets-finding", markup=False)
            with Vertical(id="secrets-side"):
                current = self.app.session.answers.get("secrets")
                with RadioSet(id="secrets-method"):
                    for value, label in METHODS:
                        yield RadioButton(method_label(value, current), value=value == current, id=f"method-{value}")
                with VerticalScroll(id="secrets-status"):
                    yield Static(id="secrets-progress", classes="secrets-section")
                    yield Static(id="secrets-keys", classes="secrets-section")
                yield CommandLog(id="secrets-log")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#secrets-findings", DataTable)
        table.border_title = "Findings (values masked)"
        self._columns(table)
        self.query_one("#secrets-finding", Static).display = False  # until a finding is highlighted
        self.query_one("#secrets-method", RadioSet).border_title = "Method"
        self.query_one("#secrets-progress", Static).border_title = "Conversion"
        self.query_one("#secrets-keys", Static).border_title = "Keys and backups"
        self.watch(self.app, "revision", self.show_state)
        self.action_refresh()

    def _columns(self, table: DataTable) -> list[int]:
        """Columns that fit the table (they were cut at 120x40): the file:line shortened from the left."""
        return fit_columns(table, [("Where", None, 4), ("Object", None, 3), ("Keys", None, 2), ("Value", 6, 0),
                                   ("Rule", None, 2)])

    @on(DataTable.RowHighlighted, "#secrets-findings")
    def show_finding(self) -> None:
        detail = self.query_one("#secrets-finding", Static)
        row = self.query_one("#secrets-findings", DataTable).cursor_row
        if not self.findings or not 0 <= row < len(self.findings):
            detail.display = False
            return
        f = self.findings[row]
        detail.display = True
        detail.update(f"{f.where}\n{f.object or '—'}: {', '.join(f.keys) or '—'} = •••••• (masked)\n{f.rule}")

    def on_resize(self) -> None:
        if self.findings:  # before the scan there is nothing to fit (and its title must stay)
            self.show_findings(FindingsScanned(self.findings))

    # -- the findings ----------------------------------------------------------------------------
    def action_refresh(self) -> None:
        app, screen = self.app, self

        def work() -> None:
            from wizard.views import secret_findings

            try:
                found = secret_findings(app.session)
            except Exception as e:  # noqa: BLE001 - shown on the screen
                screen.post_message(FindingsScanned([], f"{type(e).__name__}: {e}"))
                return
            screen.post_message(FindingsScanned(found))

        self.query_one("#secrets-title", Label).update("Secret management: scanning the repository…")
        app._start(work, "secrets-scan", "Scanning for plaintext secrets")

    @on(FindingsScanned)
    def show_findings(self, message: FindingsScanned) -> None:
        self.findings = message.findings
        table = self.query_one("#secrets-findings", DataTable)
        where_w, object_w, keys_w, _, rule_w = self._columns(table)
        for f in self.findings:
            # The Finding carries no value; the mask says one exists without hinting at its length.
            table.add_row(elide_left(f.where, where_w), elide_right(f.object or "—", object_w),
                          elide_right(", ".join(f.keys) or "—", keys_w), "••••••", elide_right(f.rule, rule_w))
        self.show_finding()
        title = self.query_one("#secrets-title", Label)
        if message.error:
            title.update(f"Secret management: the scan failed: {message.error}")
        else:
            convertible = sum(1 for f in self.findings if f.convertible)
            title.update(f"Secret management: {len(self.findings)} finding(s), {convertible} plaintext Secret(s) "
                         "to convert")
        self.show_state()

    # -- the method ------------------------------------------------------------------------------
    @on(RadioSet.Changed, "#secrets-method")
    def method_chosen(self, event: RadioSet.Changed) -> None:
        value = (event.pressed.id or "").removeprefix("method-")
        for v, _ in METHODS:  # the choice in words too: without colour the two radios look alike
            self.query_one(f"#method-{v}", RadioButton).label = method_label(v, value)
        if value and self.app.session.answers.get("secrets") != value:
            if self.app._save_answers({"secrets": value}):
                self.app.write_log(f"secrets={value}")
                self.app.notify(f"Secrets will be encrypted with {value}.", title="secrets")

    # -- progress and keys -------------------------------------------------------------------------
    def show_state(self, _revision: int = 0) -> None:
        app = self.app
        st = app.session.state.item("secrets.convert")
        status = "running" if "secrets.convert" in app.active_items else st.status
        text = Text()
        text.append(f"secrets.convert: {status}\n", style="bold")
        if st.message:
            text.append(f"  {st.message}\n")
        refusal = app.plan_refusals.get("secrets.convert")
        if refusal:
            text.append(f"  cannot run it yet: {refusal}\n", style="yellow")
        method = app.session.answers.get("secrets")
        text.append(f"  method: {method or 'not chosen yet'}\n", style="" if method else "yellow")
        text.append("c converts (preview and confirmation first); the output streams into the command log.",
                    style="dim")
        self.query_one("#secrets-progress", Static).update(text)
        self.query_one("#secrets-keys", Static).update(key_backup_text(app.session.state))
        self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("convert", "keys", "verify", "refresh") and self.app.busy:
            return None
        if action in ("convert", "keys") and self.app.session.answers.get("secrets") not in ("sops", "sealed-secrets"):
            return None
        return True

    def unavailable_reason(self, action: str) -> str | None:
        """Why a key is off now, for the help (instead of a bare "not available")."""
        if action in ("convert", "keys", "verify", "refresh") and self.app.busy:
            return "wait for the running step"
        if action in ("convert", "keys"):
            return "choose SOPS or Sealed Secrets first"
        return None

    def action_keys(self) -> None:
        if self.check_action("keys", ()):
            self.app.request_run("secrets.keys")

    def action_convert(self) -> None:
        if self.check_action("convert", ()):
            self.app.request_run("secrets.convert")

    def action_verify(self) -> None:
        self.app.start_verify(list(SECRETS_ITEMS), "the secrets items")
