"""Secrets never reach a journal or a log: redaction by key, by block and by value.

Chaos Toolkit copies the experiment into the journal verbatim (docs/chaos.md, "Secrets"), and
activities may echo what they were given. Three nets, all pure functions:

* by block: leaf values of the experiment's `secrets` block, and configuration entries that are
  resolved from the environment or a secret store, are replaced (references such as
  `{"type": "env", "key": "API_KEY"}` and `${name}` templates are kept: they name, not reveal);
* by key: any mapping key that looks like a credential (`password`, `token`, `apikey`, ...);
* by value: every resolved secret string is scrubbed wherever it appears, in any text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***REDACTED***"
_SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|apikey|authori[sz]ation|credential|"
    r"private[-_]?key|cookie|session",
    re.IGNORECASE,
)
_TEMPLATE = re.compile(r"^\$\{[A-Za-z0-9_.-]+\}$")
_REFERENCE_TYPES = frozenset({"env", "vault"})
# Shorter values would scrub ordinary words and digits all over the journal.
MIN_SECRET_LENGTH = 4


def is_sensitive_key(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key))


def _is_reference(value: Any) -> bool:
    if isinstance(value, Mapping):
        return value.get("type") in _REFERENCE_TYPES and set(value) <= {
            "type",
            "key",
            "path",
            "default",
            "env_var_type",
        }
    return isinstance(value, str) and bool(_TEMPLATE.match(value))


def _redact_leaves(value: Any) -> Any:
    if _is_reference(value):
        if isinstance(value, Mapping) and "default" in value:
            return {**value, "default": REDACTED}
        return value
    if isinstance(value, Mapping):
        return {k: _redact_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_leaves(v) for v in value]
    return REDACTED


def redact_by_key(value: Any) -> Any:
    """Replace values under credential-looking keys (references and templates are kept)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and is_sensitive_key(key) and not _is_reference(item):
                out[key] = _redact_leaves(item)
            else:
                out[key] = redact_by_key(item)
        return out
    if isinstance(value, list):
        return [redact_by_key(v) for v in value]
    return value


def secret_values(
    declared_configuration: Mapping[str, Any] | None,
    configuration: Mapping[str, Any] | None,
    secrets: Mapping[str, Any] | None,
) -> set[str]:
    """Every string the run resolved from a secret or the environment, worth scrubbing."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif value is not None and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_SECRET_LENGTH:
                found.add(text)

    collect(secrets or {})
    declared = declared_configuration or {}
    for key, value in (configuration or {}).items():
        source = declared.get(key)
        from_outside = isinstance(source, Mapping) and source.get("type") in _REFERENCE_TYPES
        if from_outside or is_sensitive_key(str(key)):
            collect(value)
    return found


def scrub_text(text: str, values: Iterable[str]) -> str:
    """Replace every occurrence of each secret value (longest first) in `text`."""
    for value in sorted(values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def scrub(value: Any, values: Iterable[str]) -> Any:
    """Scrub secret values from every string inside a JSON-like structure (keys included)."""
    secrets = sorted(set(values), key=len, reverse=True)
    if not secrets:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return scrub_text(item, secrets)
        if isinstance(item, Mapping):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)


def redact_experiment(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment as it may be written down: secrets block and credential keys redacted."""
    out = dict(redact_by_key(experiment))
    if "secrets" in experiment:
        out["secrets"] = _redact_leaves(experiment["secrets"])
    return out


def redact_journal(journal: Mapping[str, Any], values: Iterable[str]) -> dict[str, Any]:
    """The journal as it may be written: every net applied (block, key, value)."""
    out = dict(journal)
    if isinstance(out.get("experiment"), Mapping):
        out["experiment"] = redact_experiment(out["experiment"])
    result = scrub(redact_by_key(out), values)
    assert isinstance(result, dict)
    return result


class RedactingFormatter(logging.Formatter):
    """Formats like `inner`, then scrubs the secret values known so far from the whole line."""

    def __init__(self, inner: logging.Formatter, values: set[str]) -> None:
        super().__init__()
        self.inner = inner
        self.values = values  # shared and filled in once the run resolved its secrets

    def format(self, record: logging.LogRecord) -> str:
        return scrub_text(self.inner.format(record), self.values)
