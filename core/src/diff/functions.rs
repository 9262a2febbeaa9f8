//! Declared functions: created, replaced in place, or dropped and created again when
//! their result type changes (with the policies calling them), dropped between two
//! declarations.

use std::collections::{HashMap, HashSet};

use super::matching;
use super::{Change, RecreatedPolicy};
use crate::ir::*;

/// Declared functions, paired by identity (schema, name, argument types): created when
/// missing, replaced when their definition differs; between two declarations, a function
/// no longer declared is dropped (returned apart, to follow the revokes on it). A
/// database's other functions are never touched.
pub(super) fn diff_functions(
    current: &Schema,
    desired: &Schema,
    prune: bool,
    matching: &matching::Matching,
    changes: &mut Vec<Change>,
) -> Vec<Change> {
    type Key<'a> = (&'a str, &'a str, &'a [String]);
    fn key(f: &Function) -> (&str, &str, &[String]) {
        (&f.schema, &f.name, &f.args)
    }
    let cur: HashMap<Key, &Function> = current.functions.iter().map(|f| (key(f), f)).collect();
    let des: HashSet<Key> = desired.functions.iter().map(key).collect();
    for d in &desired.functions {
        match cur.get(&key(d)) {
            None => changes.push(Change::CreateFunction {
                function: d.clone(),
            }),
            Some(c) => {
                let changed = d.differences(c);
                if d.needs_recreate(c) {
                    let policies = policies_calling(current, matching, c);
                    subsume_policy_changes(changes, &policies);
                    changes.push(Change::RecreateFunction {
                        from: (*c).clone(),
                        to: d.clone(),
                        changed: changed.into_iter().map(str::to_string).collect(),
                        policies,
                    });
                } else if !changed.is_empty() {
                    // The database's argument list (names, defaults) is what it has.
                    changes.push(Change::ReplaceFunction {
                        from: (*c).clone(),
                        to: d.clone(),
                        changed: changed.into_iter().map(str::to_string).collect(),
                    });
                }
            }
        }
    }
    let mut dropped = Vec::new();
    if prune && !current.is_introspected() {
        for c in &current.functions {
            if !des.contains(&key(c)) {
                dropped.push(Change::DropFunction {
                    function: c.clone(),
                });
            }
        }
    }
    dropped
}

/// The current side's policies that call `f` (by its name, as PostgreSQL prints a call),
/// each with what the plan makes of it: its declared version, None when the plan drops
/// it, itself when the plan leaves it alone.
fn policies_calling(
    current: &Schema,
    matching: &matching::Matching,
    f: &Function,
) -> Vec<RecreatedPolicy> {
    let mut declared: HashMap<(&TableName, &str), Option<&Policy>> = HashMap::new();
    for p in &matching.policies {
        declared.insert((matching.table_of(p), p.cur.name.as_str()), Some(p.des));
    }
    for t in &matching.tables {
        for p in &t.dropped {
            declared.insert((&t.name, p.name.as_str()), None);
        }
    }
    let mut out = Vec::new();
    for t in &current.tables {
        let name = t.qualified();
        for p in &t.policies {
            let calls = [&p.using, &p.with_check]
                .iter()
                .any(|e| e.as_deref().is_some_and(|e| calls_function(e, &f.name)));
            if !calls {
                continue;
            }
            let to = match declared.get(&(&name, p.name.as_str())) {
                Some(d) => d.cloned(),
                None => Some(p.clone()),
            };
            out.push(RecreatedPolicy {
                table: name.clone(),
                from: Some(p.clone()),
                to: to.map(|mut p| {
                    p.renamed_from = None;
                    p
                }),
            });
        }
    }
    out
}

/// Whether an expression calls a function of this name: the name (quoted as PostgreSQL
/// quotes it, or in any case when it needs no quotes) followed by `(`, not preceded by
/// another identifier character. A false match only recreates one more policy.
fn calls_function(expr: &str, name: &str) -> bool {
    let quoted = crate::sql::quote::ident(name);
    let (hay, needle) = if quoted.starts_with('"') {
        (expr.to_string(), quoted)
    } else {
        (expr.to_ascii_lowercase(), name.to_ascii_lowercase())
    };
    let ident_char = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    hay.match_indices(&needle).any(|(i, _)| {
        let before_ok = !hay[..i].chars().next_back().is_some_and(ident_char);
        let after = hay[i + needle.len()..].trim_start();
        before_ok && after.starts_with('(')
    })
}

/// Removes the policy changes a recreation carries out itself (its policies are dropped
/// and created as declared).
fn subsume_policy_changes(changes: &mut Vec<Change>, policies: &[RecreatedPolicy]) {
    let names: HashSet<(&TableName, &str)> = policies
        .iter()
        .flat_map(|p| {
            [&p.from, &p.to]
                .into_iter()
                .flatten()
                .map(move |x| (&p.table, x.name.as_str()))
        })
        .collect();
    if names.is_empty() {
        return;
    }
    changes.retain(|c| {
        let touched: Vec<(&TableName, &str)> = match c {
            Change::CreatePolicy { table, policy } | Change::DropPolicy { table, policy } => {
                vec![(table, &policy.name)]
            }
            Change::ReplacePolicy {
                table, from, to, ..
            }
            | Change::AlterPolicy {
                table, from, to, ..
            } => vec![(table, &from.name), (table, &to.name)],
            Change::RenamePolicy { table, from, to } => vec![(table, from), (table, to)],
            Change::CommentOnPolicy { table, policy, .. } => vec![(table, policy)],
            _ => return true,
        };
        !touched.iter().any(|k| names.contains(k))
    });
}

#[cfg(test)]
mod calls_tests {
    use super::calls_function;

    #[test]
    fn a_call_is_found_by_its_name_as_postgresql_prints_it() {
        assert!(calls_function("(owner = auth.uid())", "uid"));
        assert!(calls_function(
            "(owner = Current_Owner ())",
            "current_owner"
        ));
        assert!(calls_function(
            r#"(owner = "currentOwner"())"#,
            "currentOwner"
        ));
        assert!(!calls_function("(owner = myuid())", "uid"));
        assert!(!calls_function("(owner = uid2())", "uid"));
        assert!(!calls_function("(uid = 1)", "uid"));
        assert!(!calls_function("(owner = currentowner())", "currentOwner"));
    }
}
