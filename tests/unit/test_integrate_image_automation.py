"""5.3 integrate.image-automation: answers, generated objects and the setter marker (golden)."""
from __future__ import annotations

import pytest
import yaml

from wizard.integrate import image_automation as ia
from wizard.session import UsageError

MANIFEST = """\
# Podinfo, hand-written; keep this comment
---
apiVersion: v1
kind: Service
metadata: {name: podinfo, namespace: apps}
spec:
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo   # the app
  namespace: apps
spec:
  template:
    spec:
      containers:
          # main container
        - name: podinfo
          image: 'ghcr.io/stefanprodan/podinfo:6.5.0'
          ports:
            - containerPort: 9898 # http
        - name: sidecar
          image: busybox:1.36
"""

GOLDEN = MANIFEST.replace(
    "image: 'ghcr.io/stefanprodan/podinfo:6.5.0'\n",
    "image: 'ghcr.io/stefanprodan/podinfo:6.5.0' # {\"$imagepolicy\": \"flux-system:apps-podinfo\"}\n")


def test_marker_golden_keeps_every_comment_quote_and_indent():
    new = ia.add_marker(MANIFEST, 1, "apps-podinfo", "apps/podinfo.yaml:9", "podinfo")
    assert new == GOLDEN
    assert ia.read_marker(new, 1, "podinfo") == '{"$imagepolicy": "flux-system:apps-podinfo"}'
    assert list(yaml.safe_load_all(new)) == list(yaml.safe_load_all(MANIFEST))
    # idempotent, and a marker for another policy is replaced
    assert ia.add_marker(new, 1, "apps-podinfo", "x", "podinfo") == new
    other = ia.add_marker(new, 1, "other", "x", "podinfo")
    assert '"flux-system:other"}\n' in other and "apps-podinfo" not in other


def test_marker_plain_scalar_with_trailing_spaces_and_crlf():
    text = ("apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\nspec:\r\n  template:\r\n    spec:\r\n"
            "      containers:\r\n      - name: web\r\n        image: nginx:1.27   \r\n")
    new = ia.add_marker(text, 0, "default-web", "x", "web")
    assert '        image: nginx:1.27 # {"$imagepolicy": "flux-system:default-web"}\r\n' in new
    assert new.count("\r\n") == text.count("\r\n")


def test_marker_refuses_a_foreign_comment_naming_the_line():
    text = MANIFEST.replace("podinfo:6.5.0'\n", "podinfo:6.5.0' # pinned for now\n")
    with pytest.raises(ia.MarkerError) as e:
        ia.add_marker(text, 1, "apps-podinfo", "apps/podinfo.yaml:20", "podinfo")
    assert "apps/podinfo.yaml:20" in str(e.value) and "pinned for now" in str(e.value)


def test_locate_image_line(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(MANIFEST)
    assert MANIFEST.splitlines()[ia.locate_image_line(f, 1, "p.yaml", "podinfo") - 1].strip().startswith("image:")


def test_answers():
    assert ia.chosen("apps/podinfo, default/web,apps/podinfo") == [("apps", "podinfo"), ("default", "web")]
    for v in (None, "", "true", "false", "skip"):  # bootstrap.run's true/false share the key
        assert ia.chosen(v) == []
    with pytest.raises(UsageError, match="<namespace>/<deployment>"):
        ia.chosen("podinfo")
    assert ia.policy_spec("semver:>=1.0.0") == {"policy": {"semver": {"range": ">=1.0.0"}}}
    assert ia.policy_spec("regex:^v?[0-9.]+$") == {"filterTags": {"pattern": "^v?[0-9.]+$"},
                                                    "policy": {"alphabetical": {"order": "asc"}}}
    for bad in ("semver:", "latest", "regex:(["):
        with pytest.raises(UsageError):
            ia.policy_spec(bad)


def test_names_and_image_repositories():
    assert ia.image_repository("ghcr.io/a/b:1.2") == "ghcr.io/a/b"
    assert ia.image_repository("localhost:5000/a/b:1.2@sha256:abc") == "localhost:5000/a/b"
    assert ia.image_repository("nginx") == "nginx"
    assert ia.object_name("Apps", "my_app") == "apps-my-app"
    assert len(ia.object_name("a" * 40, "b" * 40)) <= 63


def test_generated_files_are_v1_and_push_to_the_branch():
    t = ia.Target("apps", "podinfo", "apps/podinfo.yaml", 20, "ghcr.io/s/podinfo:6.5.0", "podinfo", "apps-podinfo", 1)
    files = ia.repo_files([t], ia.policy_spec("semver:>=1.0.0"), "main", "homelab")
    assert set(files) == {f"{ia.FOLDER}/{n}.yaml" for n in ("repositories", "policies", "automation", "kustomization")} \
        | {"clusters/homelab/image-automation.yaml"}
    docs = [d for f in files.values() for d in yaml.safe_load_all(f) if d]
    image = [d for d in docs if d["apiVersion"].startswith("image.")]
    assert {d["apiVersion"] for d in image} == {"image.toolkit.fluxcd.io/v1"}
    assert {d["kind"] for d in image} == {"ImageRepository", "ImagePolicy", "ImageUpdateAutomation"}
    auto = next(d for d in image if d["kind"] == "ImageUpdateAutomation")["spec"]
    assert auto["git"]["push"]["branch"] == "main" and auto["update"]["strategy"] == "Setters"
    repo = next(d for d in image if d["kind"] == "ImageRepository")
    assert repo["spec"]["image"] == "ghcr.io/s/podinfo" and repo["metadata"]["namespace"] == "flux-system"
    ks = yaml.safe_load(files["clusters/homelab/image-automation.yaml"])
    assert ks["spec"]["path"] == "./infrastructure/image-automation"
    assert yaml.safe_load(files[f"{ia.FOLDER}/kustomization.yaml"])["resources"] == [
        "repositories.yaml", "policies.yaml", "automation.yaml"]


def test_bootstrap_hint_names_the_exact_flag(tmp_path):
    class S:
        answers = {"cluster": "lab"}
        repo = tmp_path
    hint = ia.bootstrap_hint(S())
    assert "--components-extra=image-reflector-controller,image-automation-controller" in hint
    assert "clusters/lab" in hint and "image-automation=true" in hint
