"""The core names a question ("answer KEY=VALUE"); the CLI shows it as --set (issue 12)."""
from wizard.phrasing import for_cli


def test_the_cli_words_an_answer_as_set_and_leaves_other_text_alone():
    assert for_cli("choose a method: answer secrets=sops|sealed-secrets") == "choose a method: --set secrets=sops|sealed-secrets"
    assert for_cli("keep it with the answer keep.deploy.sh:3=<reason>") == "keep it with --set keep.deploy.sh:3=<reason>"
    assert for_cli("helm.apps/x needs the chart repository: answer helm-repo.apps/x=https://…") == \
        "helm.apps/x needs the chart repository: --set helm-repo.apps/x=https://…"
    assert for_cli("answer duplicate.ConfigMap/web/settings=<a.yaml:1 | b.yaml:2>") == \
        "--set duplicate.ConfigMap/web/settings=<a.yaml:1 | b.yaml:2>"
    text = "the answer is in the README; nobody can answer here"
    assert for_cli(text) == text
