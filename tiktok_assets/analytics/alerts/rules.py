"""Watch rules, read from `alerts.yaml` (`TIKTOK_ALERTS_FILE`), validated with line numbers.

```yaml
rules:
  - name: sales-drop          # unique; part of each firing's dedupe key
    kind: sales_drop          # a tracked product's 7-day sales down more than `percent` %
    percent: 30
  - name: price-cut
    kind: price_cut           # a tracked product's price cut by at least `percent` %
    percent: 10
  - name: new-in-top-10
    kind: new_in_top          # a product enters a shop's top `top` (shop_products, `period`)
    top: 10
    period: 7
  - name: creator-starts
    kind: creator_promotes    # a creator starts promoting a tracked product
```

Every rule takes an optional `ids:` list (only these products; shops for `new_in_top`).
An invalid file raises `AlertsConfigError` naming the line and what is wrong.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

KINDS: dict[str, dict[str, tuple[type, Any]]] = {
    "sales_drop": {"percent": (float, None)},
    "price_cut": {"percent": (float, 0.0)},
    "new_in_top": {"top": (int, 10), "period": (int, 7)},
    "creator_promotes": {},
}
"""Each kind's parameters: (type, default; None: required)."""
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
_ID = re.compile(r"^[0-9]{1,20}$")


class AlertsConfigError(ValueError):
    """`alerts.yaml` is not valid; the message names the line."""


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    params: dict[str, Any]
    ids: frozenset[str] | None = None

    def param(self, key: str) -> Any:
        return self.params[key]


def _fail(path: Path, node: yaml.Node, what: str) -> AlertsConfigError:
    return AlertsConfigError(f"{path.name} line {node.start_mark.line + 1}: {what}")


def load_rules(path: Path) -> list[Rule]:
    """The rules of `path` (none when the file does not exist)."""
    if not path.exists():
        return []
    text = path.read_text()
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise AlertsConfigError(f"{path.name}{line}: not valid YAML ({problem})") from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, "expected a mapping with a `rules:` list")
    top = {k.value: v for k, v in root.value}
    for key, _ in root.value:
        if key.value != "rules":
            raise _fail(path, key, f"unknown key {key.value!r} (expected `rules`)")
    rules_node = top.get("rules")
    if rules_node is None or (isinstance(rules_node, yaml.ScalarNode) and not rules_node.value):
        return []
    if not isinstance(rules_node, yaml.SequenceNode):
        raise _fail(path, rules_node, "`rules` must be a list of rules")
    rules: list[Rule] = []
    for node in rules_node.value:
        rules.append(_rule(path, node))
    seen: set[str] = set()
    for node, rule in zip(rules_node.value, rules, strict=True):
        if rule.name in seen:
            raise _fail(path, node, f"rule name {rule.name!r} is used more than once")
        seen.add(rule.name)
    return rules


def _scalar(path: Path, node: yaml.Node, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(path, node, f"`{key}` must be a single value")
    return str(node.value)


def _rule(path: Path, node: yaml.Node) -> Rule:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(path, node, "each rule must be a mapping with `name` and `kind`")
    fields = {k.value: (k, v) for k, v in node.value}
    for key in ("name", "kind"):
        if key not in fields:
            raise _fail(path, node, f"rule without `{key}`")
    name = _scalar(path, fields["name"][1], "name")
    if not _NAME.match(name):
        raise _fail(path, fields["name"][1], f"rule name {name!r}: use 1-60 letters, digits, -_.")
    kind = _scalar(path, fields["kind"][1], "kind")
    if kind not in KINDS:
        raise _fail(
            path,
            fields["kind"][1],
            f"rule {name!r}: unknown kind {kind!r} (one of: {', '.join(KINDS)})",
        )
    spec = KINDS[kind]
    params: dict[str, Any] = {}
    ids = None
    for key, (key_node, value_node) in fields.items():
        if key in ("name", "kind"):
            continue
        if key == "ids":
            ids = _ids(path, name, value_node)
            continue
        if key not in spec:
            allowed = ", ".join([*spec, "ids"])
            raise _fail(path, key_node, f"rule {name!r}: unknown key {key!r} (allowed: {allowed})")
        kind_type, _ = spec[key]
        raw = _scalar(path, value_node, key)
        try:
            value = kind_type(raw)
        except ValueError:
            what = "a whole number" if kind_type is int else "a number"
            raise _fail(
                path, value_node, f"rule {name!r}: `{key}` must be {what}, got {raw!r}"
            ) from None
        if key == "percent" and not 0 <= value <= 100:
            raise _fail(path, value_node, f"rule {name!r}: `percent` must be 0 to 100, got {raw}")
        if key in ("top", "period") and value < 1:
            raise _fail(path, value_node, f"rule {name!r}: `{key}` must be at least 1, got {raw}")
        params[key] = value
    for key, (_, default) in spec.items():
        if key not in params:
            if default is None:
                raise _fail(path, node, f"rule {name!r}: kind {kind} needs `{key}`")
            params[key] = default
    return Rule(name=name, kind=kind, params=params, ids=ids)


def _ids(path: Path, name: str, node: yaml.Node) -> frozenset[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node, f"rule {name!r}: `ids` must be a list of ids")
    ids = []
    for item in node.value:
        value = _scalar(path, item, "ids")
        if not _ID.match(value):
            raise _fail(path, item, f"rule {name!r}: id {value!r} is not 1 to 20 digits")
        ids.append(value)
    return frozenset(ids)
