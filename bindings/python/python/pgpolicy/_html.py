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


_VERDICT_COLOR = {
    "filtered": "#eef6ff",
    "deny_all": "#f4f4f4",
    "no_privilege": "#f4f4f4",
    "bypass": "#ffe9e6",
    "no_rls": "#ffe9e6",
}
_VERDICT_TEXT = {
    "filtered": "filtered",
    "deny_all": "no row",
    "no_privilege": "no grant",
    "bypass": "every row (bypass)",
    "no_rls": "every row (no RLS)",
}


def explain_html(explanation: Any) -> str:
    """A roles × commands matrix; a filtered cell shows its USING / WITH CHECK."""
    entries = explanation.entries
    roles: list = []
    commands: list = []
    for e in entries:
        if e["role"] not in roles:
            roles.append(e["role"])
        if e["command"] not in commands:
            commands.append(e["command"])
    by = {(e["role"], e["command"]): e for e in entries}
    head = "<tr>" + _cell("role", "th") + "".join(_cell(c, "th") for c in commands) + "</tr>"
    rows = [head]
    for r in roles:
        cells = [_cell(r)]
        for c in commands:
            e = by.get((r, c))
            if e is None:
                cells.append(_cell(""))
                continue
            text = escape(_VERDICT_TEXT.get(e["verdict"], e["verdict"]))
            detail = ""
            if e["verdict"] == "filtered":
                parts = []
                if e.get("using"):
                    parts.append("USING " + e["using"])
                if e.get("with_check"):
                    parts.append("WITH CHECK " + e["with_check"])
                detail = "<br>" + "<br>".join(escape(p) for p in parts)
            color = _VERDICT_COLOR.get(e["verdict"], "")
            cells.append(f'<td style="{_CELL};background:{color}" title="{escape(e["reason"])}">{text}{detail}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    flags = "enabled" if explanation.rls_enabled else "disabled"
    if explanation.rls_forced:
        flags += ", forced"
    owner = f", owner {escape(explanation.owner)}" if explanation.owner else ""
    title = f"<p><b>{escape(explanation.table)}</b>: row-level security {flags}{owner}</p>"
    return title + f'<table style="{_STYLE}">' + "".join(rows) + "</table>"


def lint_html(report: Any) -> str:
    findings = report.findings
    if not findings:
        return "<p><b>pgpolicy lint</b>: no findings</p>"
    head = ["severity", "rule", "table / object", "policy", "message", "fix"]
    rows = ["<tr>" + "".join(_cell(h, "th") for h in head) + "</tr>"]
    for f in findings:
        at = f.get("table") or f.get("object") or f.get("role")
        cells = [f["severity"], f["rule"], at, f.get("policy"), f["message"], f["fix"]]
        rows.append("<tr>" + "".join(_cell(c) for c in cells) + "</tr>")
    return (
        f"<p><b>pgpolicy lint</b>: {len(findings)} findings</p>"
        + f'<table style="{_STYLE}">'
        + "".join(rows)
        + "</table>"
    )
