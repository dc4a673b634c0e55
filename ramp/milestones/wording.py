"""How stored milestone checks and reasons read to people: titles, never slugs or keys.

The evaluation names modules, knowledge checks and sub-milestones by their slugs and keys
(they are stable, and the stored evidence keeps them). Pages put the titles in their place,
here, over plain values: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Which names a criterion's "missing" list holds: module slugs, the slugs of the modules
# whose knowledge check is wanted, or milestone keys.
NAMESPACES = {"modules": "modules", "assessments": "assessments", "children": "milestones"}
_AT_RISK = re.compile(r"sub-milestone at risk: ([^;]+)")


def _names(keys, titles: Mapping[str, str]) -> str:
    return ", ".join(f"“{titles.get(k, k)}”" for k in keys)


def titled_check(check: Mapping, titles: Mapping[str, Mapping[str, str]]) -> dict:
    """A stored check whose summary names what is still to do by title."""
    out = dict(check)
    namespace = NAMESPACES.get(check.get("criterion", ""))
    missing = (check.get("figures") or {}).get("missing") or []
    summary = check.get("summary") or ""
    if namespace and missing:
        named = _names(missing, titles.get(namespace, {}))
        summary = summary.replace(f"missing: {', '.join(missing)}", f"to do: {named}")
    out["summary"] = summary
    return out


def titled_reason(reason: str | None, milestone_titles: Mapping[str, str]) -> str | None:
    """A status reason whose sub-milestones are named by title."""
    if not reason:
        return reason
    return _AT_RISK.sub(
        lambda m: (
            "sub-milestone at risk: "
            + _names([k.strip() for k in m.group(1).split(",")], milestone_titles)
        ),
        reason,
    )
