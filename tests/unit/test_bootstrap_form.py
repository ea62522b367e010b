"""The 3.2 form (issue 24, point 6): on a cluster without Flux it asks nothing irrelevant (whether to adopt an
existing bootstrap is 3.2's plan's business, asked only once it found one), and its words are the user's,
not the wizard's sources' (no 'seed', no flag syntax)."""
from __future__ import annotations

from wizard.catalog import item_by_ref


def shown(answers: dict) -> list[str]:
    return [q.key for q in item_by_ref("3.2").impl().questions if q.applies(answers)]


def test_a_fresh_cluster_is_not_asked_about_an_existing_bootstrap():
    assert "existing-bootstrap" not in shown({"provider": "git"})
    assert "existing-bootstrap" not in shown({"provider": "github"})
    # once answered (3.2 found one, or the user set it), the form shows it so it can be changed
    assert "existing-bootstrap" in shown({"provider": "git", "existing-bootstrap": "rerun"})


def test_the_questions_speak_the_users_words():
    for q in item_by_ref("3.2").impl().questions:
        text = f"{q.prompt} {q.help} " + " ".join(label for _, label in q.choices or [])
        assert "seed" not in text and "--" not in text, (q.key, text)
