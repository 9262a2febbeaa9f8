//! A lint report as text for a terminal and as SARIF 2.1.0 for code-scanning tools
//! (JSON is the report's own serde form).

use super::{Report, Severity, RULES};

/// One line per finding (`severity rule: message`, then the fix), and a summary line.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!("{} {}: {}\n", f.severity, f.rule, f.message));
        out.push_str(&format!("  fix: {}\n", f.fix));
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            "not checked without a database (--db URL): {}\n",
            report.skipped.join(", ")
        ));
    }
    out.push_str(&format!(
        "{} error(s), {} warning(s), {} info\n",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info)
    ));
    out
}

/// SARIF 2.1.0: every rule in `tool.driver.rules`, one result per finding with the
/// table, policy, role or object as logical locations; `artifact` (the declaration file
/// linted, if any) as the physical location.
pub fn to_sarif(report: &Report, artifact: Option<&str>) -> String {
    use serde_json::{json, Value};
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.explanation },
                "help": { "text": r.fix },
                "helpUri": format!("https://github.com/pgpolicy/pgpolicy/blob/main/docs/lints.md#{}", r.id),
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut logical = Vec::new();
            if let Some(t) = &f.table {
                logical.push(json!({ "fullyQualifiedName": t, "kind": "table" }));
            }
            if let (Some(t), Some(p)) = (&f.table, &f.policy) {
                logical.push(json!({ "fullyQualifiedName": format!("{t}.{p}"), "name": p, "kind": "policy" }));
            }
            if let Some(o) = &f.object {
                logical.push(json!({ "fullyQualifiedName": o, "kind": "object" }));
            }
            if let Some(r) = &f.role {
                logical.push(json!({ "fullyQualifiedName": r, "kind": "role" }));
            }
            let mut location = json!({ "logicalLocations": logical });
            if let Some(a) = artifact {
                location["physicalLocation"] = json!({ "artifactLocation": { "uri": a } });
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule),
                "level": level(f.severity),
                "message": { "text": format!("{} Fix: {}", f.message, f.fix) },
                "locations": [location],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "pgpolicy",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/pgpolicy/pgpolicy",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).expect("sarif serializes")
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}
