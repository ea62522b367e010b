"""The wizard's entries in the command palette (ctrl+p): verify, go to a phase, stop, help."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from wizard.catalog import PHASES

if TYPE_CHECKING:  # pragma: no cover
    from .app import WizardApp


def wizard_commands(app: "WizardApp", screen: Screen) -> Iterable[SystemCommand]:
    """System commands for the palette; what applies depends on the screen and on running work."""
    from .phase import PhaseScreen

    if not app.busy:
        yield SystemCommand("Verify all", "Run the live check of every checklist item now", app.action_verify_all)
    if isinstance(screen, PhaseScreen) and not app.busy:
        yield SystemCommand("Verify this phase", "Run the live checks of this phase's items", screen.action_verify_phase)
        yield SystemCommand("Zoom the focused pane", "Fill the screen with the focused pane (z; z or Esc again "
                            "to go back)", screen.action_zoom)
        if screen.selected_item is not None:
            yield SystemCommand(f"Skip {screen.selected_item.alias} {screen.selected_item.id}",
                                "Skip the highlighted item, with a reason that is recorded", screen.action_skip_item)
    for pid, num, title in PHASES:
        label = f"phase {num}" if num.isdigit() else "the secrets group"
        yield SystemCommand(f"Go to {label}: {title}", f"Open the checklist of {title}",
                            lambda pid=pid: app.action_open_phase(pid))
    yield SystemCommand("Go to Next", "Open the item the home screen's Next names", app.action_go_next)
    yield SystemCommand("Go home", "Back to the phase overview", app.action_go_home)
    if app.busy:
        yield SystemCommand("Stop the running step", "Cancel the running check or action", app.action_stop)
    yield SystemCommand("Help", "Keys and how the wizard works", app.action_help)
    yield SystemCommand("Rollback", "Undo part of the migration: restore, revert, suspend/resume, stop GitOps",
                        app.action_rollback)
    yield SystemCommand("Phase 2 plan", "The layout before and after, moves, generated files, folder classes, "
                        "validation", app.action_open_plan)
    yield SystemCommand("Secrets", "Plaintext secrets found (values masked), method, conversion, key backups",
                        app.action_open_secrets)
    yield SystemCommand("Flux status", "Kustomizations and sources: Ready, revision, last reconcile, reason, "
                        "suspended", app.action_open_flux_status)
