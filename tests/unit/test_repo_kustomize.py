"""The owner's kustomize trees read offline: roots, overlays per environment, aggregators, what cannot build."""
from __future__ import annotations

from tests.helpers import write_files as write
from wizard.repo.layout import build_layout, graph_of
from wizard.repo.scan import scan
from wizard.repo.yamledit import apply_transform

KS = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_overlays_are_alternatives_and_the_environment_picks_one(tmp_path):
    write(tmp_path, {
        "web/base/kustomization.yaml": KS + "resources: [cm.yaml]\n", "web/base/cm.yaml": CM.format(name="web"),
        "web/overlays/dev/kustomization.yaml": KS + "resources: [../../base]\nnamePrefix: dev-\n",
        "web/overlays/prod/kustomization.yaml": KS + "resources: [../../base]\n",
        "db/overlays/dev/kustomization.yaml": KS + "resources: [cm.yaml]\n", "db/overlays/dev/cm.yaml": CM.format(name="db"),
    })
    g = graph_of(scan(tmp_path))
    envs = {r.dir: (r.component, r.env) for r in g.roots}
    assert envs == {"web/overlays/dev": ("web", "dev"), "web/overlays/prod": ("web", "prod"),
                    "db/overlays/dev": ("db", "dev")}
    lay = build_layout(scan(tmp_path), "a", "homelab")
    assert [q.key for q in lay.needs] == ["environment"] and "environment=<dev|prod>" in lay.blocks[0]
    lay = build_layout(scan(tmp_path), "a", "homelab", {"environment": "prod"})
    assert [(u.path, u.entry) for u in lay.units] == [("web", "overlays/prod")]
    assert any(x.startswith("db/: no overlay for the environment 'prod'") for x in lay.left_out)


def test_a_list_only_root_is_split_into_its_folders(tmp_path):
    write(tmp_path, {
        "apps/kustomization.yaml": KS + "resources:\n  - a\n  - b\n",
        "apps/a/kustomization.yaml": KS + "resources: [cm.yaml]\n", "apps/a/cm.yaml": CM.format(name="a"),
        "apps/b/kustomization.yaml": KS + "resources: [cm.yaml]\nconfigMapGenerator:\n  - name: x\n    files: [gone.ini]\n",
        "apps/b/cm.yaml": CM.format(name="b"),
    })
    g = graph_of(scan(tmp_path))
    assert sorted(r.dir for r in g.roots) == ["apps/a", "apps/b"] and g.aggregators == {"apps"}
    lay = build_layout(scan(tmp_path), "b", "homelab")
    # Nothing can build apps/b from git, so it is left out without a question, and the preview says why.
    assert lay.needs == [] and lay.blocks == []
    gone = [x for x in lay.left_out if x.startswith("apps/b/: cannot be built here")]
    assert gone and "apps/b/kustomization.yaml:6: refers to gone.ini, which is not in the repository" in gone[0]
    assert [u.path for u in lay.units] == ["apps/a"] and lay.units[0].target == "apps/a"  # listed by apps/: stays


def test_remote_resources_and_helm_charts_are_named_with_file_and_line(tmp_path):
    write(tmp_path, {"x/kustomization.yaml": KS + "resources:\n  - github.com/org/repo/deploy?ref=v1\n"
                                              "helmCharts:\n  - name: c\n"})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    assert lay.blocks == [] and lay.units == []
    text = next(x for x in lay.left_out if x.startswith("x/: cannot be built here"))
    assert "x/kustomization.yaml:4: pulls the remote resource github.com/org/repo/deploy?ref=v1" in text
    assert "x/kustomization.yaml:5: inflates Helm charts (helmCharts:)" in text


def test_unreadable_non_manifests_are_left_out_and_a_broken_manifest_blocks(tmp_path):
    write(tmp_path, {"helmfile.d/a.yaml": "releases:\n  - name: {{ .Values.x }}\n",
                     "web/cm.yaml": CM.format(name="web"),
                     "web/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  name: c\n"})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    assert any(x.startswith("helmfile.d/a.yaml: not a Kubernetes manifest") for x in lay.left_out)
    assert len(lay.blocks) == 1 and lay.blocks[0].startswith("web/broken.yaml:5:")
    assert [q.key for q in lay.needs] == ["class.web"]


def test_identical_copies_are_settled_and_different_ones_asked(tmp_path):
    write(tmp_path, {"a/cm.yaml": CM.format(name="same"), "b/cm.yaml": CM.format(name="same"),
                     "a/x.yaml": CM.format(name="x") + "data: {k: '1'}\n",
                     "b/x.yaml": "# keep this comment\n" + CM.format(name="y") + "---\n" + CM.format(name="x") + "data: {k: '2'}\n"})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    auto = [d for d in lay.duplicates if d.auto]
    assert [d.chosen for d in auto] == ["a/cm.yaml:1"] and "b/cm.yaml" in lay.excluded_files
    assert [q.key for q in lay.needs] == ["duplicate.ConfigMap//x"]
    lay = build_layout(scan(tmp_path), "a", "homelab", {"duplicate.ConfigMap//x": "a/x.yaml:1"})
    assert lay.dropped_docs == {"b/x.yaml": [1]} and not lay.needs
    text = (tmp_path / "b/x.yaml").read_text()
    new = apply_transform(text, "remove-documents", {"indexes": [1]}, "b/x.yaml")
    assert new.startswith("# keep this comment\n") and "name: y" in new and "name: x" not in new


def test_a_list_is_read_item_by_item(tmp_path):
    write(tmp_path, {"l/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - " + CM.format(name="one").replace("\n", "\n    ")
                     + "\n  - " + CM.format(name="two").replace("\n", "\n    ") + "\n"})
    assert sorted(m.name for m in scan(tmp_path).manifests) == ["one", "two"]


def _bomb(name: str) -> str:
    """The CVE-2019-11253 payload as a ConfigMap: 9 levels of 9 aliases (387 million nodes expanded)."""
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    prev = "a"
    for i in "bcdefghi":
        text += f"  {i}: &{i} [{', '.join(['*' + prev] * 9)}]\n"
        prev = i
    return text


def test_an_alias_bomb_is_refused_in_the_scan_and_never_reaches_kustomize(tmp_path):
    """Fault (issue 14 item 3): the alias bomb was accepted, secrets.scan walked it for minutes and
    kubectl kustomize grew to 10 GB. Now the scan refuses it from the composed graph (shared nodes)."""
    write(tmp_path, {"plain/bomb.yaml": _bomb("plain"), "plain/ok.yaml": CM.format(name="ok"),
                     "tree/kustomization.yaml": KS + "resources: [bomb.yaml]\n", "tree/bomb.yaml": _bomb("tree")})
    res = scan(tmp_path)
    assert {e.path for e in res.errors} == {"plain/bomb.yaml", "tree/bomb.yaml"}
    assert all("alias bomb" in e.message for e in res.errors)
    lay = build_layout(res, "a", "homelab")
    text = "; ".join(lay.blocks)
    assert "plain/bomb.yaml:1:" in text  # looks like a manifest: blocks, naming the file
    tree = next(x for x in lay.left_out if x.startswith("tree/: cannot be built here"))
    assert "tree/kustomization.yaml:1: refers to tree/bomb.yaml, which cannot be read safely" in tree
    assert all(u.path != "tree" for u in lay.units)  # never handed to kustomize
    plain = next(u for u in lay.units if u.path == "plain")
    assert plain.files == ["plain/ok.yaml"]  # the bomb is in no kustomization the wizard writes


def test_copies_in_one_folder_are_settled_by_kubectl_apply_order(tmp_path):
    """`kubectl apply -f <folder>` applies its files in name order: the last copy is what the cluster got."""
    write(tmp_path, {"dash/dashboard.svc.yml": CM.format(name="svc") + "data: {type: LoadBalancer}\n",
                     "dash/dashboard.yml": CM.format(name="svc") + "data: {type: ClusterIP}\n---\n" + CM.format(name="other")})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    (d,) = lay.duplicates
    assert d.chosen == "dash/dashboard.yml:1" and "applied last" in d.auto and not lay.needs
    assert "dash/dashboard.svc.yml" in lay.excluded_files  # it held nothing else


def test_cycles_are_found_with_the_line_of_each_entry_that_closes_them(tmp_path):
    from wizard.repo.kustomize_cycles import cycles

    write(tmp_path, {
        "s/kustomization.yaml": KS + "resources:\n  - cm.yaml\n  - ./\n", "s/cm.yaml": CM.format(name="s"),
        "a/kustomization.yaml": KS + "resources: [../b]\n", "b/kustomization.yaml": KS + "resources: [../c]\n",
        "c/kustomization.yaml": KS + "resources:\n  - ../a\n", "d/kustomization.yaml": KS + "resources: [../a]\n",
    })
    g = graph_of(scan(tmp_path))
    assert cycles(g) == [["a", "b", "c"], ["s"]]
    assert g.kfiles["s"].dir_lines == {"s": 5} and g.kfiles["c"].dir_lines == {"a": 4}
    lay = build_layout(scan(tmp_path), "a", "homelab")
    assert any(b.startswith("s/kustomization.yaml:5 lists its own folder") for b in lay.blocks)
    lay = build_layout(scan(tmp_path), "a", "homelab", {f"class.{f}": "exclude" for f in "abcs"})
    assert not lay.blocks and sum("left out of Flux" in x for x in lay.left_out) == 4
