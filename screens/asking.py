"""The App's questions to the user: the answers form (declared questions, ones raised while planning, edits
of saved answers) and the no-echo token prompt. A mixin of `WizardApp` (screens/app.py); each answer saved
goes back to planning the item, so the preview and its confirmation follow the answers given.
"""
from __future__ import annotations

from wizard.state import StateError


class AskingActions:
    """Forms and prompts that come before a preview or a run."""

    def ask_token(self, item_id: str, var: str, confirm: bool) -> None:
        """The no-echo prompt for the git token `item_id` needs; once typed, prepare its plan again."""
        from .dialogs.token import TokenDialog

        item = self.engine.item(item_id)

        def typed(ok: bool | None) -> None:
            if ok:
                self.write_log(f"{var}: typed at the no-echo prompt (kept in memory for this session only)")
                # Chained: the worker that asked may still be returning; this one continues its run.
                self._start_plan(item_id, confirm, chained=True)
            else:
                self.write_log(f"{item_id}: no {var} typed; nothing was changed")
                self.notify(f"Cancelled: export {var} before starting the wizard, or type it when asked.",
                            title=item_id)

        self.push_screen(TokenDialog(self.session, var, f"{item.alias} {item.title}"), typed)

    def ask_answers(self, item_id: str, questions: list, confirm: bool) -> None:
        """The answers form for questions the core raised while planning; once answered, plan again."""
        from types import SimpleNamespace

        item = self.engine.item(item_id)
        shim = SimpleNamespace(alias=item.alias, title=f"{item.title}: what it needs to know", questions=questions)

        def answered(answers: dict | None) -> None:
            if answers is None:
                self.write_log(f"{item_id}: the questions were not answered; nothing was changed")
                return
            if self._save_answers(answers):
                self._start_plan(item_id, confirm, chained=True)

        from .dialogs.answers import AnswersDialog

        self.push_screen(AnswersDialog(shim, self.session.answers), answered)

    def show_questions(self, item_id: str, confirm: bool) -> None:
        from .dialogs.answers import AnswersDialog

        item = self.engine.item(item_id)
        self.push_screen(AnswersDialog(item, {**item.suggested(self.session), **self.session.answers}),
                         lambda answers: answers is not None and self._answered(item_id, answers, confirm))

    def edit_answers(self, item_id: str) -> None:
        """The item's questions with their saved answers, to change one: its declared questions, and the
        ones it raised while planning (2.0's adopt.<object>) that have an answer."""
        from types import SimpleNamespace

        from .dialogs.answers import AnswersDialog

        item = self.engine.item(item_id)
        declared = {q.key for q in item.questions}
        raised = [q for q in self.engine.saved_questions(item) if q.key not in declared]
        form = SimpleNamespace(alias=item.alias, title=item.title, questions=[*item.questions, *raised])

        def answered(answers: dict | None) -> None:
            if answers is not None:
                self.engine.answers_changed(item)
                self._save_answers(answers)

        self.push_screen(AnswersDialog(form, {**item.suggested(self.session), **self.session.answers}), answered)

    def _save_answers(self, answers: dict) -> bool:
        self.session.answers.update(answers)
        try:
            self.session.store.save()
        except StateError as e:
            from .dialogs.error import ErrorDialog

            self.push_screen(ErrorDialog("The answers were not saved", str(e)))
            return False
        self.plans.clear()  # previews were computed from the old answers
        self.revision += 1
        return True

    def _answered(self, item_id: str, answers: dict, confirm: bool) -> None:
        if self._save_answers(answers):
            self._start_plan(item_id, confirm)
