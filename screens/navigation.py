"""The App's navigation actions: open a phase, a detail screen or rollback, or go back home.

A mixin of `WizardApp` (screens/app.py), kept apart so the App module holds the work and its
routing. Bindings, screens and the command palette call these as `app.action_*`.
"""
from __future__ import annotations

from .home import HomeScreen


class NavigationActions:
    """Screen changes; every one is a no-op when its screen is already showing."""

    def action_open_phase(self, phase_id: str, item_id: str | None = None) -> None:
        from .phase import PhaseScreen  # not on the start-up path: the home screen comes first

        if isinstance(self.screen, PhaseScreen):
            if self.screen.phase_id != phase_id:
                self.switch_screen(PhaseScreen(phase_id, item_id))
            elif item_id:
                self.screen.highlight(item_id)
        elif isinstance(self.screen, HomeScreen):
            self.push_screen(PhaseScreen(phase_id, item_id))

    def action_go_next(self) -> None:
        """Opens the phase of the item Next names, on that item (r then runs it)."""
        nxt, _first_for = self.engine.next_step()
        if nxt is not None:
            self.action_go_home()
            self.action_open_phase(nxt.phase, nxt.id)

    def action_rollback(self) -> None:
        from .rollback import RollbackScreen

        if not isinstance(self.screen, RollbackScreen):
            self.push_screen(RollbackScreen())

    def action_open_plan(self) -> None:
        from .plan import PlanScreen

        if not isinstance(self.screen, PlanScreen):
            self.push_screen(PlanScreen())

    def action_open_secrets(self) -> None:
        from .secrets import SecretsScreen

        if not isinstance(self.screen, SecretsScreen):
            self.push_screen(SecretsScreen())

    def action_open_flux_status(self) -> None:
        from .flux_status import FluxStatusScreen

        if not isinstance(self.screen, FluxStatusScreen):
            self.push_screen(FluxStatusScreen())

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()
