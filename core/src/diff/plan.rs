//! A plan: ordered changes, rendered as one transaction, with its reverse.

use serde::Serialize;

use super::change::Change;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
}

/// One step of a plan as bindings and `--format json` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Step<'a> {
    pub comment: String,
    pub sql: Vec<String>,
    pub reverse: Vec<String>,
    pub change: &'a Change,
}

impl Plan {
    /// Puts changes in plan order (stable within a phase).
    pub fn ordered(mut changes: Vec<Change>) -> Plan {
        changes.sort_by_key(|c| c.phase());
        Plan { changes }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Every statement, in order, without semicolons.
    pub fn statements(&self) -> Vec<String> {
        self.changes.iter().flat_map(|c| c.sql()).collect()
    }

    /// The plan that undoes this one: each change reversed, in reverse order.
    pub fn reverse(&self) -> Plan {
        Plan {
            changes: self.changes.iter().rev().map(|c| c.reverse()).collect(),
        }
    }

    /// The SQL script: each change under a comment, all in one transaction, with the
    /// search_path under which expressions are compared ([`crate::introspect::SETUP`]),
    /// so that an unqualified name means what the comparison took it to mean. Empty text
    /// for an empty plan.
    pub fn sql(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut s = format!("BEGIN;\n{};\n", crate::introspect::SETUP);
        for c in &self.changes {
            for line in c.describe().lines() {
                s.push_str("-- ");
                s.push_str(line);
                s.push('\n');
            }
            for stmt in c.sql() {
                s.push_str(&stmt);
                s.push_str(";\n");
            }
        }
        s.push_str("COMMIT;\n");
        s
    }

    pub fn steps(&self) -> Vec<Step<'_>> {
        self.changes
            .iter()
            .map(|c| Step {
                comment: c.describe(),
                sql: c.sql(),
                reverse: c.reverse().sql(),
                change: c,
            })
            .collect()
    }

    /// `{ "steps": [...], "sql": "...", "reverse_sql": "..." }`.
    pub fn to_json(&self) -> String {
        let v = serde_json::json!({
            "steps": self.steps(),
            "sql": self.sql(),
            "reverse_sql": self.reverse().sql(),
        });
        serde_json::to_string_pretty(&v).expect("plan serializes")
    }
}
