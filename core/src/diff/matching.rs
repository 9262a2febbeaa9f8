//! Match: pairs the current side's tables and policies with the declaration's, by name.
//! Nothing here decides what changed (see `compare`) or builds a change (see `emit`).

use std::collections::{HashMap, HashSet};

use crate::ir::{Policy, Schema, Table, TableName};

/// A table the plan touches, with its policies that have no counterpart on the other side.
pub(super) struct TablePair<'a> {
    pub name: TableName,
    /// None when the current side lacks the table.
    pub cur: Option<&'a Table>,
    /// None when the declaration drops the table's RLS objects (pruning).
    pub des: Option<&'a Table>,
    /// Declared policies that take over no current policy (to create), in declared order.
    pub created: Vec<&'a Policy>,
    /// Current policies that no declared policy takes over (to drop), in current order.
    pub dropped: Vec<&'a Policy>,
}

/// A declared policy and the current policy it takes over: the one of the same name, or
/// the one its `renamed_from` names (when no declared policy has that name).
pub(super) struct PolicyPair<'a> {
    /// The table's index in [`Matching::tables`] (see [`Matching::table_of`]).
    pub table: usize,
    pub cur: &'a Policy,
    pub des: &'a Policy,
    pub renamed: bool,
}

/// Both sides paired: tables in plan order (declared tables in declared order, then, when
/// pruning, current tables the declaration does not name), and the matched policies in
/// table order, then declared order.
pub(super) struct Matching<'a> {
    pub tables: Vec<TablePair<'a>>,
    pub policies: Vec<PolicyPair<'a>>,
}

impl Matching<'_> {
    /// The table of a matched policy.
    pub fn table_of(&self, pair: &PolicyPair) -> &TableName {
        &self.tables[pair.table].name
    }
}

/// Pairs tables (every declared table; when `prune`, also current tables the declaration
/// does not name) and, within each table, policies by name or by `renamed_from`.
pub(super) fn match_schemas<'a>(
    current: &'a Schema,
    desired: &'a Schema,
    prune: bool,
) -> Matching<'a> {
    let mut pairs: Vec<(Option<&Table>, Option<&Table>)> = desired
        .tables
        .iter()
        .map(|d| (current.table(&d.schema, &d.name), Some(d)))
        .collect();
    if prune {
        for c in &current.tables {
            if desired.table(&c.schema, &c.name).is_none() {
                pairs.push((Some(c), None));
            }
        }
    }
    let mut tables = Vec::with_capacity(pairs.len());
    let mut policies = Vec::new();
    for (cur, des) in pairs {
        let name = cur.or(des).map(|t| t.qualified()).expect("one side");
        let cur_policies: &[Policy] = cur.map(|t| &t.policies[..]).unwrap_or(&[]);
        let des_policies: &[Policy] = des.map(|t| &t.policies[..]).unwrap_or(&[]);
        let TablePolicies {
            matched,
            created,
            dropped,
        } = match_policies(cur_policies, des_policies);
        let table = tables.len();
        policies.extend(matched.into_iter().map(|(cur, des, renamed)| PolicyPair {
            table,
            cur,
            des,
            renamed,
        }));
        tables.push(TablePair {
            name,
            cur,
            des,
            created,
            dropped,
        });
    }
    Matching { tables, policies }
}

/// One table's policies, paired.
struct TablePolicies<'a> {
    /// (current, declared, renamed), in declared order.
    matched: Vec<(&'a Policy, &'a Policy, bool)>,
    created: Vec<&'a Policy>,
    dropped: Vec<&'a Policy>,
}

/// Pairs one table's policies by name (hash maps), or by `renamed_from`.
fn match_policies<'a>(cur: &'a [Policy], des: &'a [Policy]) -> TablePolicies<'a> {
    // The first current policy of each name (names are unique in a database).
    let mut cur_by_name: HashMap<&str, &Policy> = HashMap::with_capacity(cur.len());
    for p in cur {
        cur_by_name.entry(p.name.as_str()).or_insert(p);
    }
    let des_names: HashSet<&str> = des.iter().map(|p| p.name.as_str()).collect();
    let mut matched = Vec::new();
    let mut created = Vec::new();
    let mut used: HashSet<&str> = HashSet::new();
    for dp in des {
        let found = cur_by_name
            .get(dp.name.as_str())
            .map(|p| (*p, false))
            .or_else(|| {
                // A rename only when no declared policy still has the old name.
                let old = dp.renamed_from.as_deref()?;
                if des_names.contains(old) {
                    return None;
                }
                cur_by_name.get(old).map(|p| (*p, true))
            });
        match found {
            Some((cp, renamed)) => {
                used.insert(&cp.name);
                matched.push((cp, dp, renamed));
            }
            None => created.push(dp),
        }
    }
    let dropped = cur
        .iter()
        .filter(|p| !used.contains(p.name.as_str()))
        .collect();
    TablePolicies {
        matched,
        created,
        dropped,
    }
}
