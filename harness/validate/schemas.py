"""Structure checked against the upstream CRD schemas: OpenAPI v3 plus their CEL rules.

The schemas are the CRDs' `openAPIV3Schema`, kept unchanged as data files (written by
`scripts/refresh_schemas.py`, sources in the folder's SOURCE.md). The folder is HARNESS_SCHEMAS,
else `harness/validate/schemas/`. Each is read once and turned into what the API server
enforces:

- a structural schema prunes unknown fields, and `kubectl apply` (strict field validation, the
  default since 1.27) refuses them: every object with `properties` gets
  `additionalProperties: false` unless it says `x-kubernetes-preserve-unknown-fields`;
- `nullable` admits null; `x-kubernetes-int-or-string` admits both;
- `x-kubernetes-validations` rules are CEL (library `common-expression-language`), evaluated
  with `self` bound to the value; rules on `oldSelf` (transition rules) need the previous object
  and are skipped, as is a rule whose functions the library lacks (counted in `skipped`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from harness.manifests import Document
from harness.mesh.findings import Finding, Severity
from harness.mesh.istio_model import HINTS  # the fixes for the seed's misspelt Istio fields

PACKAGE_SCHEMAS = Path(__file__).parent / "schemas"
_META = {"type": "object"}  # checked by the API server itself, not by the CRD
_UNEXPECTED = re.compile(r"\('?(.+?)'? (?:was|were) unexpected\)")


def schema_dir() -> Path:
    return Path(os.environ.get("HARNESS_SCHEMAS") or PACKAGE_SCHEMAS)


def _structural(node: Any) -> Any:
    """The OpenAPI v3 schema as a JSON Schema with the API server's pruning and nullability."""
    if isinstance(node, list):
        return [_structural(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _structural(v) for k, v in node.items() if k != "x-kubernetes-validations"}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    out.pop("format", None)  # the API server checks few formats; int32 etc. are not rules
    return out


@dataclass(frozen=True)
class Rule:
    rule: str
    message: str
    field_path: str


@dataclass
class Kind:
    validator: Draft202012Validator
    schema: dict[str, Any]


@dataclass
class SchemaSet:
    """The schemas of one folder, loaded on first use of each kind."""

    root: Path
    index: dict[str, str]
    _kinds: dict[str, Kind] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # CEL rules not evaluated

    @classmethod
    def load(cls, root: Path) -> SchemaSet:
        path = root / "index.json"
        index = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return cls(root, index)

    def covers(self, doc: Document) -> bool:
        return self._key(doc) in self.index

    @staticmethod
    def _key(doc: Document) -> str:
        return f"{doc.body.get('apiVersion', '')}/{doc.kind}"

    def _kind(self, key: str) -> Kind:
        if key not in self._kinds:
            schema = json.loads((self.root / self.index[key]).read_text(encoding="utf-8"))
            root = _structural(schema)
            # the API server adds these to every CRD's schema (Istio's list only spec, status)
            root.setdefault("properties", {}).update(
                {k: {"type": "string"} for k in ("apiVersion", "kind")} | {"metadata": _META}
            )
            self._kinds[key] = Kind(Draft202012Validator(root), schema)
        return self._kinds[key]

    def findings(self, doc: Document) -> list[Finding]:
        """Schema and CEL findings for one object (none when no schema covers its kind)."""
        key = self._key(doc)
        if key not in self.index:
            return []
        kind = self._kind(key)
        body = {k: v for k, v in doc.body.items() if k != "status"}
        out = [_finding(doc, e) for e in kind.validator.iter_errors(body)]
        if not out:  # CEL runs on values the structural schema admitted, as in the API server
            out.extend(self._cel(doc, kind.schema, body, ()))
        return sorted(out, key=lambda f: f.field)

    def _cel(
        self, doc: Document, schema: dict[str, Any], value: Any, path: tuple[str | int, ...]
    ) -> Iterator[Finding]:
        for raw in schema.get("x-kubernetes-validations") or []:
            rule = Rule(raw["rule"], raw.get("message", ""), raw.get("fieldPath", ""))
            if "oldSelf" in rule.rule:
                continue
            verdict = _evaluate(rule.rule, value)
            if verdict is None:
                self.skipped.add(rule.rule)
            elif verdict is not True:
                where = _field(path) + rule.field_path
                message = rule.message or f"failed rule: {rule.rule}"
                if isinstance(verdict, str):
                    message = f"{message} (evaluation error: {verdict})"
                yield Finding(
                    Severity.ERROR, doc.file, doc.ref, where or ".", message,
                    "change the value as the message says",
                )  # fmt: skip
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            extra = schema.get("additionalProperties")
            for k, v in value.items():
                sub = props.get(k) or (extra if isinstance(extra, dict) else None)
                if sub is not None:
                    yield from self._cel(doc, sub, v, (*path, k))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            yield from _duplicates(doc, schema, value, path)
            for i, v in enumerate(value):
                yield from self._cel(doc, schema["items"], v, (*path, i))


def _duplicates(
    doc: Document, schema: dict[str, Any], value: list[Any], path: tuple[str | int, ...]
) -> Iterator[Finding]:
    """`x-kubernetes-list-type` map (unique keys) and set (unique items): "Duplicate value"."""
    kind = schema.get("x-kubernetes-list-type")
    if kind not in ("map", "set"):
        return
    keys = schema.get("x-kubernetes-list-map-keys") or []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if kind == "map" and isinstance(item, dict):
            key = json.dumps([item.get(k) for k in keys])
        else:
            key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield Finding(
                Severity.ERROR, doc.file, doc.ref, _field((*path, i)), f"Duplicate value: {key}",
                "make each entry unique" + (f" by {', '.join(keys)}" if keys else ""),
            )  # fmt: skip
        seen.add(key)


def _field(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _finding(doc: Document, err: ValidationError) -> Finding:
    where = _field(err.absolute_path)
    if err.validator == "additionalProperties":
        m = _UNEXPECTED.search(err.message)
        names = m.group(1).replace("'", "").split(", ") if m else ["?"]
        at = f"{where}.{names[0]}" if where else names[0]
        return Finding(
            Severity.ERROR, doc.file, doc.ref, at, f"unknown field `{names[0]}`",
            HINTS.get(names[0], "remove it or correct its spelling (see the CRD schema)"),
        )  # fmt: skip
    if err.validator == "enum":
        allowed = ", ".join(str(x) for x in err.validator_value)
        message, fix = f"{err.instance!r} is not one of: {allowed}", f"use one of: {allowed}"
    elif err.validator == "required":
        message, fix = err.message, "add the field"
    else:
        message, fix = err.message, "correct the value"
    return Finding(Severity.ERROR, doc.file, doc.ref, where or ".", message, fix)


@cache
def _program(rule: str) -> Any:
    import cel  # common-expression-language; imported here, it is a compiled extension

    return cel.compile(rule)


def _context(value: Any) -> Any:
    import cel

    ctx = cel.Context()
    ctx.add_variable("self", value)
    # Kubernetes' CEL library extends the standard one; the strings extension is the one the
    # Istio CRDs use beyond it.
    ctx.add_function("substring", lambda s, start, end=None: s[start:end])
    ctx.add_function("lowerAscii", lambda s: s.lower())
    ctx.add_function("upperAscii", lambda s: s.upper())
    return ctx


def _evaluate(rule: str, value: Any) -> bool | str | None:
    """True or False, the error of a rule that fails to evaluate (the API server refuses the
    object then), or None when this library cannot evaluate the rule at all."""
    try:
        result = _program(rule).execute(_context(value))
    except Exception as exc:
        text = str(exc)
        if "Undefined variable or function" in text or "No such overload" in text:
            return None  # a function Kubernetes has and the library lacks (url(), ip(), ...)
        return text.split(". ")[0]  # e.g. int() of a non-number: "type conversion error"
    return result if isinstance(result, bool) else None


@cache
def schemas() -> SchemaSet:
    """The schema set of `schema_dir()`, loaded once per process."""
    return SchemaSet.load(schema_dir())
