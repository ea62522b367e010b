"""The manifest scanner: documents, lines, malformed files, skipped folders."""
import pytest

from wizard.repo.scan import scan


def write(root, rel, text):
    f = root / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)


def test_multi_document_file_yields_each_object_with_its_line(tmp_path):
    write(tmp_path, "apps/web.yaml", "# comment\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: a\n"
                                     "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: a\n")
    res = scan(tmp_path)
    assert [(m.kind, m.line) for m in res.manifests] == [("Service", 2), ("Deployment", 8)]
    assert str(res.manifests[1].key) == "Deployment.apps a/web"


def test_malformed_file_is_reported_with_file_and_line_and_the_scan_continues(tmp_path):
    write(tmp_path, "a/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n\tdata: 1\n")
    write(tmp_path, "a/good.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
    res = scan(tmp_path)
    assert [m.name for m in res.manifests] == ["ok"]
    assert len(res.errors) == 1 and str(res.errors[0]).startswith("a/bad.yaml:5: is not valid YAML")


def test_non_manifest_yaml_and_kustomizations_are_not_objects(tmp_path):
    write(tmp_path, "m/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n")
    write(tmp_path, "chart/values.yaml", "replicaCount: 1\n")
    write(tmp_path, "docker-compose.yml", "services:\n  web:\n    image: nginx\n")
    res = scan(tmp_path)
    assert res.manifests == [] and res.kustomizations == ["m/kustomization.yaml"]
    assert sorted(res.other_yaml) == ["chart/values.yaml", "docker-compose.yml"]


def test_git_and_node_modules_are_skipped(tmp_path):
    obj = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    write(tmp_path, ".git/x.yaml", obj)
    write(tmp_path, "node_modules/p/x.yaml", obj)
    write(tmp_path, "k8s/x.yaml", obj)
    assert [m.path for m in scan(tmp_path).manifests] == ["k8s/x.yaml"]


def test_alias_bomb_does_not_explode(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    write(tmp_path, "bomb.yaml", bomb)
    res = scan(tmp_path)  # counted over the composed graph (shared nodes): refused, never walked
    assert res.manifests == [] and res.files["bomb.yaml"].cls == "invalid"
    assert [(e.path, "alias bomb" in e.message) for e in res.errors] == [("bomb.yaml", True)]


def test_an_alias_bomb_in_block_style_is_refused_too(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(8):
        prev, cur = chr(97 + i), chr(98 + i)
        lines.append(f"{cur}: &{cur}")
        lines += [f"  - *{prev}"] * 9
    write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    res = scan(tmp_path)
    assert res.files["bomb.yaml"].cls == "invalid"
    assert [(e.path, "alias bomb" in e.message) for e in res.errors] == [("bomb.yaml", True)]


@pytest.mark.parametrize("text,may_alias", [
    ("a: *x\n", True), ("- *x\n", True), ("<<: *base\n", True), ("[*a, *b]\n", True), ("{k: *v}\n", True),
    ("*top\n", True), ("a: [x,*y]\n", True),
    ('verbs: ["*"]\n', False), ("verbs: ['*']\n", False), ("host: '*.example.com'\n", False),
    ("glob: a*b\n", False), ("note: |\n  * a bullet\n", False),
])
def test_only_text_that_may_hold_an_alias_gets_the_expansion_walk(text, may_alias):
    from wizard.repo.scan import _ALIAS

    assert (_ALIAS.search(text) is not None) is may_alias
