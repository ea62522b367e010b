"""Dialogs that fit the terminal: the scrolling body gets what is left after the title, prompts and
buttons, so Cancel and the go-ahead button stay on screen at 80x24 as at 200x60."""
from __future__ import annotations

from textual import events
from textual.screen import ModalScreen

SHARE = 0.9  # of the screen's height, as .dialog's max-height in dialogs.tcss


class FittedDialog(ModalScreen):
    """A modal whose `.dialog` box holds one `.dialog-body` (a scroll container) besides fixed parts."""

    _answered = False

    def dismiss(self, result=None):
        """Once only: a second click on "Run it" (or Enter in the field, then the button) before the dialog
        is gone would pop the screen under it too, and the App then stops with a ScreenStackError."""
        if self._answered or not self.is_current:
            return None
        self._answered = True
        return super().dismiss(result)

    def _on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_body)

    def _on_screen_resume(self) -> None:
        self.call_after_refresh(self.fit_body)

    def fit_body(self) -> None:
        boxes, bodies = self.query(".dialog"), self.query(".dialog-body")
        if not boxes or not bodies:
            return
        box, body = boxes.first(), bodies.first()
        chrome = box.styles.gutter.height + body.styles.margin.height
        for child in box.children:
            if child is not body and child.display:
                chrome += child.outer_size.height + child.styles.margin.height
        limit = max(3, int(self.size.height * SHARE) - chrome)
        if body.styles.max_height is None or body.styles.max_height.value != limit:
            body.styles.max_height = limit
