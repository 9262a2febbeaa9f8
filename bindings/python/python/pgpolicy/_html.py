"""HTML for notebooks: a schema as a table of tables and policies, a plan as its SQL."""

from __future__ import annotations

from html import escape
from typing import Any, Dict, Optional

_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL = "border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top"


def _cell(value: Optional[str], tag: str = "td") -> str:
    text = "" if value is None else escape(str(value))
    return f'<{tag} style="{_CELL}">{text}</{tag}>'


def _rls_flags(rls: Dict[str, Optional[bool]]) -> str:
    """RLS and FORCE as declared: on, off, or (None) left as the database has them."""
    names = {True: "enabled", False: "off", None: "as is"}
    flag = names[rls.get("enabled")]
    forced = rls.get("forced")
    if forced is True:
        flag += ", forced"
    elif forced is False and rls.get("enabled") is None:
        flag += ", not forced"
    return flag


def schema_html(schema: Any) -> str:
    head = ["table", "RLS", "policy", "command", "as", "roles", "USING", "WITH CHECK"]
    rows = ["<tr>" + "".join(_cell(h, "th") for h in head) + "</tr>"]
    for t in schema.tables:
        flag = _rls_flags(t["rls"])
        name = f"{t['schema']}.{t['name']}"
        policies = t["policies"] or [None]
        for p in policies:
            if p is None:
                cells = [name, flag, "", "", "", "", "", ""]
            else:
                cells = [
                    name,
                    flag,
                    p["name"],
                    p["command"],
                    "PERMISSIVE" if p["permissive"] else "RESTRICTIVE",
                    ", ".join(p["roles"]),
                    p["using"],
                    p["with_check"],
                ]
            rows.append("<tr>" + "".join(_cell(c) for c in cells) + "</tr>")
    extra = []
    if schema.roles:
        extra.append("<p>Roles: " + escape(", ".join(r["name"] for r in schema.roles)) + "</p>")
    if schema.grants:
        items = [f"{g['role']}: {', '.join(g['privileges'])} on {g['schema']}.{g['table']}" for g in schema.grants]
        extra.append("<p>Grants: " + escape("; ".join(items)) + "</p>")
    return f'<table style="{_STYLE}">' + "".join(rows) + "</table>" + "".join(extra)


def plan_html(plan: Any) -> str:
    if not plan:
        return "<p><b>pgpolicy plan</b>: no changes</p>"
    return f'<p><b>pgpolicy plan</b>: {len(plan)} changes</p><pre style="font-size:12px">{escape(plan.sql())}</pre>'
