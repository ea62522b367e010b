"""The `-f -` stream the wizard sends kubectl (wizard/tools/manifest_stream.py): one JSON document per object,
read by the real kubectl as the objects they were (kubectl from .venv/bin, client-side only)."""
from __future__ import annotations

import datetime
import json
import subprocess

import yaml

from tests.helpers import VENV_BIN
from wizard.tools.manifest_stream import as_stream


def test_each_object_is_one_document_and_yaml_timestamps_come_back_as_the_strings_they_were(tmp_path):
    docs = yaml.safe_load_all("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n"
                              "data:\n  day: 2024-01-02\n  note: é\n---\n"
                              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: x\n")
    docs = list(docs)
    assert isinstance(docs[0]["data"]["day"], datetime.date)
    text = as_stream(docs)
    parts = text.split("\n---\n")
    assert len(parts) == 2 and json.loads(parts[0])["data"] == {"day": "2024-01-02", "note": "é"}
    # kubectl's own YAML reader (offline: kustomize) reads the stream back as the same two objects.
    (tmp_path / "objects.yaml").write_text(text)
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - objects.yaml\n")
    res = subprocess.run([str(VENV_BIN / "kubectl"), "kustomize", str(tmp_path)], capture_output=True, text=True,
                         check=True)
    back = list(yaml.safe_load_all(res.stdout))
    assert [d["metadata"]["name"] for d in back] == ["a", "b"] and back[0]["data"]["note"] == "é"


def test_no_objects_is_an_empty_stream():
    assert as_stream([]) == ""
