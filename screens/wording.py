"""How the App words the core's messages: a mixin of `WizardApp` (screens/app.py)."""
from __future__ import annotations


class Wording:
    def say(self, text: str) -> str:
        """The core's words as the TUI says them: items by number and title with their key, answers as the
        form field to fill (wizard.phrasing.for_tui), not CLI syntax."""
        from wizard.phrasing import for_tui

        if not text:
            return text
        prompts = getattr(self, "_prompts", None)
        if prompts is None:
            prompts = self._prompts = {q.key: q.prompt for it in self.engine.items for q in it.questions}
        return for_tui(text, self.engine.items, prompts)
