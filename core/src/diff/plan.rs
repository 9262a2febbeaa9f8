//! A plan: ordered changes, rendered as one transaction, with its reverse.

use serde::Serialize;

use super::change::Change;
use crate::session::Timeouts;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// What the comparison could not settle and counted as changed, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One step of a plan as bindings and `--format json` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Step<'a> {
    pub comment: String,
    pub sql: Vec<String>,
    pub reverse: Vec<String>,
    /// Why the change weakens protection (see [`Change::weakens`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weakens: Option<String>,
    pub change: &'a Change,
}

impl Plan {
    /// Puts changes in plan order (stable within a phase).
    pub fn ordered(mut changes: Vec<Change>) -> Plan {
        changes.sort_by_key(|c| c.phase());
        Plan {
            changes,
            warnings: Vec::new(),
        }
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
            warnings: Vec::new(),
        }
    }

    /// The statements that start the plan's transaction, before its first change: the
    /// session pins of [`crate::session::pins`] (standard_conforming_strings, the
    /// search_path under which expressions were compared, lock and statement timeouts).
    pub fn preamble(&self, timeouts: &Timeouts) -> Vec<String> {
        crate::session::pins(timeouts)
    }

    /// The changes that weaken protection, with the reason for each.
    pub fn weakening(&self) -> Vec<(&Change, String)> {
        self.changes
            .iter()
            .filter_map(|c| c.weakens().map(|w| (c, w)))
            .collect()
    }

    /// Refuses a plan that weakens protection unless `allow` says so: the error lists every
    /// weakening change.
    pub fn check_weakening(&self, allow: bool) -> crate::Result<()> {
        let w = self.weakening();
        if allow || w.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = w
            .iter()
            .map(|(c, why)| format!("  - {}: {why}", c.describe().lines().next().unwrap_or("")))
            .collect();
        Err(crate::Error::Weakening(format!(
            "the plan weakens protection and was not applied; review it and allow it explicitly (--allow-weaken):\n{}",
            list.join("\n")
        )))
    }

    /// The SQL script with the default time limits (see [`Plan::sql_with`]).
    pub fn sql(&self) -> String {
        self.sql_with(&Timeouts::default())
    }

    /// The SQL script: each change under a comment (and a `-- WEAKENS:` line when it
    /// weakens protection), all in one transaction that starts with [`Plan::preamble`], so
    /// that the script is read and run as it was compared. Empty text for an empty plan.
    pub fn sql_with(&self, timeouts: &Timeouts) -> String {
        if self.is_empty() {
            return String::new();
        }
        let mut s = String::from("BEGIN;\n");
        for p in self.preamble(timeouts) {
            s.push_str(&p);
            s.push_str(";\n");
        }
        for c in &self.changes {
            for line in c.describe().lines() {
                s.push_str("-- ");
                s.push_str(line);
                s.push('\n');
            }
            if let Some(w) = c.weakens() {
                s.push_str("-- WEAKENS: ");
                s.push_str(&w);
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
                weakens: c.weakens(),
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
            "preamble": self.preamble(&Timeouts::default()),
            "weakens": !self.weakening().is_empty(),
            "warnings": self.warnings,
        });
        serde_json::to_string_pretty(&v).expect("plan serializes")
    }
}
