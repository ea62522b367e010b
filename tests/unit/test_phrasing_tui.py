"""Issue 24 (point 9): the TUI names the key to press or the field to fill, not item ids and CLI syntax
(wizard.phrasing.for_tui, used by the App for evidence, refusals and the home screen's Next line)."""
from __future__ import annotations

from wizard.engine import Engine
from wizard.phrasing import for_tui


def test_items_by_number_and_title_with_their_key_and_answers_as_the_field_to_fill(tmp_path):
    from tests.helpers import make_repo
    from wizard.session import Session

    s = Session.open(make_repo(tmp_path / "repo"))
    items = Engine(s).items
    prompts = {q.key: q.prompt for it in items for q in it.questions}
    adopt = next(it for it in items if it.id == "repo.adopt")
    said = for_tui("choose one: answer secrets=sops, then run 2.0 repo.adopt; next: run secrets.decryption (S.4) "
                   "again; or answer adopt.Secret/web/db=leave", items, prompts)
    assert "=" not in said and "repo.adopt" not in said and "secrets.decryption" not in said
    assert f"run 2.0 {adopt.title} (r on its row)" in said
    assert f"set “{prompts['secrets']}” to sops (a opens the item's answers)" in said
    assert "set the answer adopt.Secret/web/db to leave" in said  # a question raised while planning: its key
