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

/// One step of a plan as bindings and `--format json` show it: a change with its
/// description, its place in plan order, its SQL both ways and its weakening mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Step {
    /// What the change does, e.g. `Create policy "p" on public.t` (the comment above its
    /// SQL in a script).
    pub description: String,
    /// The former name of `description`, kept for one release.
    pub comment: String,
    /// The change's phase in plan order (roles, grants, RLS off, policies dropped,
    /// replaced, renamed, altered, created, comments, RLS on, revokes, roles dropped);
    /// steps are ordered by it.
    pub phase: u8,
    pub sql: Vec<String>,
    pub reverse: Vec<String>,
    /// Why the change weakens protection (see [`Change::weakens`]), or null.
    pub weakens: Option<String>,
    pub change: Change,
}

impl Step {
    pub fn of(change: &Change) -> Step {
        let description = change.describe();
        Step {
            comment: description.clone(),
            description,
            phase: change.phase(),
            sql: change.sql(),
            reverse: change.reverse().sql(),
            weakens: change.weakens(),
            change: change.clone(),
        }
    }
}

/// A plan with everything a binding hands out about it, in one value: the script both
/// ways (with the preamble for the given time limits), the statements, the steps both
/// ways, the weakening mark, the warnings and the typed changes. Serialized with
/// camelCase keys (the Node package's plan object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "Plan"))]
pub struct PlanDocument {
    /// The script, in one transaction (`BEGIN;`, the preamble, each change under its
    /// description and a `-- WEAKENS:` line where it weakens protection, `COMMIT;`);
    /// empty when nothing changes.
    pub sql: String,
    /// The script that undoes `sql`.
    pub reverse_sql: String,
    /// The session pins that start the plan's transaction, each its own statement, before
    /// the first change (`SET LOCAL` standard_conforming_strings, search_path,
    /// lock_timeout, statement_timeout).
    pub preamble: Vec<String>,
    /// Every statement of the changes, in order, without semicolons.
    pub statements: Vec<String>,
    pub reverse_statements: Vec<String>,
    pub steps: Vec<Step>,
    /// The steps of the reverse plan, in its order.
    pub reverse_steps: Vec<Step>,
    /// Whether a change weakens protection (`apply` refuses the plan unless allowed).
    pub weakens: bool,
    /// What the comparison could not settle and counted as changed, with the reason.
    pub warnings: Vec<String>,
    pub changes: Vec<Change>,
    /// Set by `apply`: whether statements were run (false for a dry run or an empty plan).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub applied: Option<bool>,
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

    pub fn steps(&self) -> Vec<Step> {
        self.changes.iter().map(Step::of).collect()
    }

    /// The plan as one value (see [`PlanDocument`]), its scripts with the preamble for
    /// `timeouts`.
    pub fn document(&self, timeouts: &Timeouts) -> PlanDocument {
        let reverse = self.reverse();
        PlanDocument {
            sql: self.sql_with(timeouts),
            reverse_sql: reverse.sql_with(timeouts),
            preamble: self.preamble(timeouts),
            statements: self.statements(),
            reverse_statements: reverse.statements(),
            steps: self.steps(),
            reverse_steps: reverse.steps(),
            weakens: !self.weakening().is_empty(),
            warnings: self.warnings.clone(),
            changes: self.changes.clone(),
            applied: None,
        }
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
