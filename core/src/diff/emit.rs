//! Emit: builds the changes of tables and policies from the match and the comparison. The
//! order is the one the plan keeps within each phase ([`Plan::ordered`](super::Plan::ordered)
//! sorts stably by phase): table by table its RLS flags, created and dropped policies; then
//! the matched policies, replaced or renamed, altered, commented.

use super::compare::{Comparison, PolicyDelta};
use super::matching::Matching;
use super::Change;
use crate::ir::Policy;

/// The changes of tables and policies, in emission order.
pub(super) fn emit_tables(matching: &Matching, comparison: Comparison) -> Vec<Change> {
    let mut changes = Vec::new();
    for (t, rls) in matching.tables.iter().zip(comparison.rls) {
        let table = || t.name.clone();
        if let Some(want) = rls.enabled {
            changes.push(if want {
                Change::EnableRls { table: table() }
            } else {
                Change::DisableRls { table: table() }
            });
        }
        if let Some(want) = rls.forced {
            changes.push(if want {
                Change::ForceRls { table: table() }
            } else {
                Change::NoForceRls { table: table() }
            });
        }
        for p in &t.created {
            changes.push(Change::CreatePolicy {
                table: table(),
                policy: strip_rename(p),
            });
        }
        for p in &t.dropped {
            changes.push(Change::DropPolicy {
                table: table(),
                policy: strip_rename(p),
            });
        }
    }
    for (m, delta) in matching.policies.iter().zip(comparison.policies) {
        let (cp, dp) = (m.cur, m.des);
        let table = || matching.table_of(m).clone();
        match delta {
            PolicyDelta::Replace(reason) => changes.push(Change::ReplacePolicy {
                table: table(),
                from: strip_rename(cp),
                to: strip_rename(dp),
                reason,
            }),
            PolicyDelta::Alter {
                renamed,
                clauses,
                comment,
            } => {
                if renamed {
                    changes.push(Change::RenamePolicy {
                        table: table(),
                        from: cp.name.clone(),
                        to: dp.name.clone(),
                    });
                }
                if !clauses.is_empty() {
                    let mut from = strip_rename(cp);
                    from.name = dp.name.clone();
                    changes.push(Change::AlterPolicy {
                        table: table(),
                        from,
                        to: strip_rename(dp),
                        clauses,
                    });
                }
                if comment {
                    changes.push(Change::CommentOnPolicy {
                        table: table(),
                        policy: dp.name.clone(),
                        from: cp.comment.clone(),
                        to: dp.comment.clone(),
                    });
                }
            }
        }
    }
    changes
}

/// The policy as the plan shows it: `renamed_from` and `lint_allow` are the
/// declaration's business only.
fn strip_rename(p: &Policy) -> Policy {
    let mut p = p.clone();
    p.renamed_from = None;
    p.lint_allow.clear();
    p
}
