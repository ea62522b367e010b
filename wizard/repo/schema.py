"""Flux schemas: check a manifest against the openAPI schema of its Flux CRD (Phase 2).

`validate_schema()` uses the schemas shipped in assets/flux-schemas (extracted from
kustomize-controller and source-controller v1.9.4): types, required fields, enums, patterns, and
unknown fields (the API server would drop them silently). `current_api_version()` names the
current apiVersion of an outdated Flux object. Both stay importable from wizard.repo.validate.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from .scan import group_of

SCHEMA_FILES = {
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): "kustomize.toolkit.fluxcd.io_v1_kustomization.json",
    ("source.toolkit.fluxcd.io/v1", "GitRepository"): "source.toolkit.fluxcd.io_v1_gitrepository.json",
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"): "source.toolkit.fluxcd.io_v1_helmrepository.json",
    ("source.toolkit.fluxcd.io/v1", "OCIRepository"): "source.toolkit.fluxcd.io_v1_ocirepository.json",
}
# Current API versions (flux2 cmd/flux/migrate.go, Flux 2.7-2.9).
CURRENT_API = {
    "source.toolkit.fluxcd.io": "v1", "kustomize.toolkit.fluxcd.io": "v1", "helm.toolkit.fluxcd.io": "v2",
    "image.toolkit.fluxcd.io": "v1",
}
NOTIFICATION_API = {"Receiver": "v1", "Alert": "v1beta3", "Provider": "v1beta3"}


def current_api_version(api_version: str, kind: str) -> str | None:
    """The current apiVersion for an outdated Flux one, or None when it is current (or not Flux)."""
    group = group_of(api_version)
    want = NOTIFICATION_API.get(kind) if group == "notification.toolkit.fluxcd.io" else CURRENT_API.get(group)
    if want is None:
        return None
    new = f"{group}/{want}"
    return None if new == api_version else new


@lru_cache(maxsize=None)
def load_schema(api_version: str, kind: str) -> dict | None:
    name = SCHEMA_FILES.get((api_version, kind))
    if name is None:
        return None
    text = (resources.files("assets") / "flux-schemas" / name).read_text()
    return json.loads(text)["openAPIV3Schema"]


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}
# Article and Python types of the numeric schema types (a bool is an int to Python, never to a schema).
_NUMERIC = {"integer": ("an integer", int), "number": ("a number", (int, float))}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_error(value, t, path: str) -> str | None:
    if t in _NUMERIC:
        what, types = _NUMERIC[t]
        if not isinstance(value, types) or isinstance(value, bool):
            return f"{path}: must be {what}, not {value!r}"
    elif t in _TYPES and not isinstance(value, _TYPES[t]):
        return f"{path}: must be {'an' if t[0] in 'aeiou' else 'a'} {t}, not {type(value).__name__}"
    return None


def _string_errors(value: str, schema: dict, path: str) -> list[str]:
    errors = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{path}: longer than {schema['maxLength']} characters")
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{path}: shorter than {schema['minLength']} characters")
    return errors


def _number_errors(value, schema: dict, path: str) -> list[str]:
    errors = []
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: above the maximum {schema['maximum']}")
    return errors


def _check_object(value: dict, schema: dict, path: str, errors: list[str]) -> None:
    props = schema.get("properties")
    for req in schema.get("required", []):
        if req not in value:
            errors.append(f"{path}.{req}: required")
    for k, v in value.items():
        if props is not None and k in props:
            _check(v, props[k], f"{path}.{k}", errors)
        elif isinstance(schema.get("additionalProperties"), dict):
            _check(v, schema["additionalProperties"], f"{path}.{k}", errors)
        elif props is not None and not schema.get("x-kubernetes-preserve-unknown-fields") \
                and schema.get("additionalProperties") is not True:
            errors.append(f"{path}.{k}: unknown field (the API server would drop it)")


def _check_array(value: list, schema: dict, path: str, errors: list[str]) -> None:
    for i, v in enumerate(value):
        _check(v, schema["items"], f"{path}[{i}]", errors)
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: more than {schema['maxItems']} items")


def _check(value, schema: dict, path: str, errors: list[str]) -> None:
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            errors.append(f"{path}: must be an integer or a string")
        return
    type_error = _type_error(value, schema.get("type"), path)
    if type_error:
        errors.append(type_error)
        return  # the other keywords describe a value of the right type
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        errors.extend(_string_errors(value, schema, path))
    if _is_number(value):
        errors.extend(_number_errors(value, schema, path))
    if isinstance(value, dict):
        _check_object(value, schema, path, errors)
    if isinstance(value, list) and "items" in schema:
        _check_array(value, schema, path, errors)


def validate_schema(doc: dict) -> list[str] | None:
    """Schema errors of a Flux object (empty: valid), or None when no schema ships for it."""
    schema = load_schema(doc.get("apiVersion"), doc.get("kind"))
    if schema is None:
        return None
    errors: list[str] = []
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
    schema = {**schema, "properties": {k: v for k, v in schema.get("properties", {}).items()
                                       if k not in ("apiVersion", "kind", "metadata")}}
    _check(body, schema, doc.get("kind", "?"), errors)
    md = doc.get("metadata") or {}
    if not md.get("name"):
        errors.append(f"{doc.get('kind')}.metadata.name: required")
    return errors
