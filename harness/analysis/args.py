"""`{{args.x}}` templating exactly as Argo does it (`utils/template/template.go`).

Argo serialises the whole metric to JSON, substitutes tags textually (valyala/fasttemplate,
delimiters `{{` `}}`, tag trimmed), and parses the JSON back. So a tag works in any string field
(`query`, conditions, `interval`, `count` in its string form, `address`, headers), values are
JSON-escaped first, and an unknown tag or an arg without a value is an error, even if unused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

__all__ = ["ArgError", "resolve_args", "resolve_metric"]


class ArgError(Exception):
    """Raised when arguments cannot be resolved; the message is Argo's."""


def _quoted(value: str) -> str:
    """Go `strconv.Quote` without the outer quotes (close enough: JSON string escaping)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def resolve_args(template: str, args: Sequence[tuple[str, str | None]]) -> str:
    """`ResolveArgs`: substitute `{{args.<name>}}` tags; Argo's errors as ArgError."""
    values: dict[str, str] = {}
    for name, value in args:
        if value is None:
            raise ArgError(f'argument "{name}" was not supplied')
        values[f"args.{name}"] = value
    out: list[str] = []
    unresolved: str | None = None
    pos = 0
    while True:
        start = template.find("{{", pos)
        if start < 0:
            out.append(template[pos:])
            break
        end = template.find("}}", start + 2)
        if end < 0:
            raise ArgError(
                f'cannot find end tag="}}}}" in the template={json.dumps(template)} '
                f"starting from {json.dumps(template[start + 2 :])}"
            )
        out.append(template[pos:start])
        tag = template[start + 2 : end]
        if tag.strip() in values:
            out.append(values[tag.strip()])
        else:
            unresolved = f"failed to resolve {{{{{tag}}}}}"
        pos = end + 2
    if unresolved is not None:
        raise ArgError(unresolved)
    return "".join(out)


def resolve_metric(
    metric: Mapping[str, object], args: Sequence[tuple[str, str | None]]
) -> dict[str, object]:
    """`ResolveMetricArgs`: JSON round trip of the metric with JSON-escaped argument values."""
    quoted = [(name, None if value is None else _quoted(value)) for name, value in args]
    text = resolve_args(json.dumps(metric, ensure_ascii=False), quoted)
    try:
        resolved = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArgError(f"invalid metric after argument substitution: {exc}") from exc
    assert isinstance(resolved, dict)
    return resolved
