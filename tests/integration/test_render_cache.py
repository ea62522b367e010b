"""kubectl kustomize renders remembered by the content of what they read (wizard/repo/render_cache.py).

Real `kubectl kustomize` (from .venv/bin) on real git repos in tmp; the runner is only watched (a spy on
Runner.run counts the kustomize processes), never replaced.
"""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from tests.helpers import make_repo
from wizard.repo import render_cache
from wizard.repo.validate import BuildFailed, build, build_with_origin
from wizard.session import Session

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: web\ndata:\n  color: {color}\n"
KUST = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{res}"
SECRET = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: web\n"
          "stringData:\n  password: render-cache-plain-value\n")


def kust(*res: str) -> str:
    return KUST.format(res="".join(f"  - {r}\n" for r in res))


REPO = {
    "base/config.yaml": CM.format(name="shared", color="blue"),
    "base/kustomization.yaml": kust("config.yaml"),
    "apps/web/config.yaml": CM.format(name="web", color="green"),
    "apps/web/kustomization.yaml": kust("config.yaml", "../../base"),
}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def watched(s: Session, monkeypatch) -> list[list[str]]:
    """The kustomize commands `s` runs from now on."""
    seen: list[list[str]] = []
    real = s.runner.run

    def spy(argv, *a, **kw):
        if "kustomize" in argv:
            seen.append(list(argv))
        return real(argv, *a, **kw)

    monkeypatch.setattr(s.runner, "run", spy)
    return seen


def colors(docs) -> dict[str, str]:
    return {d["metadata"]["name"]: d["data"]["color"] for d in docs}


def test_an_unchanged_folder_renders_once_and_a_copy_elsewhere_reads_the_same_render(tmp_path, monkeypatch):
    s = Session.open(make_repo(tmp_path / "repo", REPO))
    runs = watched(s, monkeypatch)
    first = build(s, "apps/web")
    assert colors(first) == {"web": "green", "shared": "blue"} and len(runs) == 1
    assert build(s, "apps/web") == first and len(runs) == 1

    # A scratch copy of the repo (as a proof makes) at another path: same content, same render, no kubectl.
    shutil.copytree(s.repo, tmp_path / "copy", symlinks=True)
    c = Session.open(tmp_path / "copy")
    copy_runs = watched(c, monkeypatch)
    assert build(c, "apps/web") == first and copy_runs == []


def test_a_change_in_a_file_the_build_reaches_through_a_parent_folder_renders_again(tmp_path, monkeypatch):
    s = Session.open(make_repo(tmp_path / "repo", REPO))
    runs = watched(s, monkeypatch)
    assert colors(build(s, "apps/web"))["shared"] == "blue"
    (s.repo / "base/config.yaml").write_text(CM.format(name="shared", color="red"))
    assert colors(build(s, "apps/web"))["shared"] == "red" and len(runs) == 2
    # A file nothing references changes nothing.
    (s.repo / "README.md").write_text("notes\n")
    build(s, "apps/web")
    assert len(runs) == 2


def test_a_broken_build_is_never_remembered(tmp_path, monkeypatch):
    s = Session.open(make_repo(tmp_path / "repo", REPO))
    (s.repo / "apps/web/kustomization.yaml").write_text(kust("config.yaml", "missing.yaml"))
    runs = watched(s, monkeypatch)
    for _ in range(2):
        with pytest.raises(BuildFailed, match="missing.yaml"):
            build(s, "apps/web")
    assert len(runs) == 2


def test_a_render_with_a_plaintext_secret_is_never_written_and_what_is_written_only_the_user_reads(
        tmp_path, monkeypatch, data_dir):
    s = Session.open(make_repo(tmp_path / "repo", {**REPO, "apps/web/secret.yaml": SECRET,
                                                   "apps/web/kustomization.yaml": kust("config.yaml", "secret.yaml")}))
    runs = watched(s, monkeypatch)
    build(s, "apps/web")
    build(s, "apps/web")
    assert len(runs) == 2
    folder = render_cache.cache_dir()
    for f in folder.iterdir() if folder.exists() else []:
        assert "render-cache-plain-value" not in f.read_text()

    build(s, "base")
    files = list(folder.iterdir())
    assert files and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_origins_from_a_remembered_render_name_the_files_of_the_repo_asking(tmp_path, monkeypatch):
    s = Session.open(make_repo(tmp_path / "repo", REPO))
    first = build_with_origin(s, "apps/web")
    assert sorted(o for _, o in first) == ["apps/web/config.yaml", "base/config.yaml"]
    shutil.copytree(s.repo, tmp_path / "elsewhere" / "deeper" / "copy", symlinks=True)
    c = Session.open(tmp_path / "elsewhere" / "deeper" / "copy")
    runs = watched(c, monkeypatch)
    assert build_with_origin(c, "apps/web") == first and runs == []


def test_too_many_entries_drop_the_oldest(tmp_path, monkeypatch):
    monkeypatch.setattr(render_cache, "MAX_ENTRIES", 2)
    s = Session.open(make_repo(tmp_path / "repo", REPO))
    for path in ("base", "apps/web"):
        build(s, path)
    build_with_origin(s, "base")
    names = os.listdir(render_cache.cache_dir())
    assert len(names) == 2
