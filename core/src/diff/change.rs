//! The sealed set of changes a plan is made of. Each change knows its SQL and its reverse.

use serde::{Deserialize, Serialize};

use crate::error::Clause;
use crate::ir::*;
use crate::sql::render;

/// One clause of a policy that differs, with the texts on each side and, where the
/// comparison computed them, their canonical forms.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseChange {
    pub clause: Clause,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub from_canonical: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub to_canonical: Option<String>,
}

impl ClauseChange {
    fn reversed(&self) -> ClauseChange {
        ClauseChange {
            clause: self.clause,
            from: self.to.clone(),
            to: self.from.clone(),
            from_canonical: self.to_canonical.clone(),
            to_canonical: self.from_canonical.clone(),
        }
    }
}

/// Privileges of one grantee on one object, as a `grant` or `revoke` change carries
/// them. `table` names the object: a table, or with `on` a sequence, a function (with
/// `args`) or a schema (`table.schema`; `table.name` is empty).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RolePrivileges {
    pub table: TableName,
    #[serde(default, skip_serializing_if = "ObjectKind::is_table")]
    #[cfg_attr(feature = "ts", ts(as = "Option<ObjectKind>", optional))]
    pub on: ObjectKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub args: Vec<String>,
    /// A column grant's columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub columns: Vec<String>,
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub role: RoleSpec,
    #[serde(deserialize_with = "crate::ir::deserialize_privileges")]
    pub privileges: Vec<Privilege>,
    /// A grant: `WITH GRANT OPTION`; a revoke: the privileges were held with it (its
    /// reverse grants them with it again).
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub grant_option: bool,
    /// Only the grant option changes: `GRANT .. WITH GRANT OPTION` on privileges already
    /// held, or `REVOKE GRANT OPTION FOR ..` keeping them.
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub option_only: bool,
    /// On a table, INSERT also grants (revokes) USAGE on the table's owned sequences
    /// (serial and identity columns), found when the statement runs; `false` opts out.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub sequences: bool,
}

impl RolePrivileges {
    pub fn object(&self) -> Object {
        Object {
            on: self.on,
            name: self.table.clone(),
            args: self.args.clone(),
        }
    }

    /// Whether the statement also carries the owned sequences' USAGE.
    pub fn with_sequences(&self) -> bool {
        self.on == ObjectKind::Table
            && self.sequences
            && !self.option_only
            && self.privileges.contains(&Privilege::Insert)
    }

    fn privilege_list(&self) -> String {
        self.privileges
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `SELECT (a, b), UPDATE ON TABLE "s"."t"` as a description shows it.
    fn describe_what(&self) -> String {
        let cols = if self.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.columns.join(", "))
        };
        let on = match self.on {
            ObjectKind::Table => self.table.to_string(),
            ObjectKind::Schema => {
                format!("schema {}", crate::sql::quote::ident(&self.table.schema))
            }
            ObjectKind::Sequence => format!("sequence {}", self.table),
            ObjectKind::Function => format!("function {}({})", self.table, self.args.join(", ")),
        };
        format!("{}{cols} on {on}", self.privilege_list())
    }
}

/// A policy that calls a function being recreated: dropped as it is (`from`) before the
/// function goes, created as declared (`to`) after it is back; None on a side that does
/// not have it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecreatedPolicy {
    pub table: TableName,
    #[serde(default)]
    pub from: Option<Policy>,
    #[serde(default)]
    pub to: Option<Policy>,
}

/// Default privileges one grantee gets on objects an owner creates later, as a
/// `grant_default` or `revoke_default` change carries them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DefaultPrivileges {
    /// `FOR ROLE`; absent: the role that runs the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub owner: Option<String>,
    /// `IN SCHEMA`; absent: every schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub schema: Option<String>,
    pub on: ObjectKind,
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub role: RoleSpec,
    pub privileges: Vec<Privilege>,
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub grant_option: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub option_only: bool,
}

impl DefaultPrivileges {
    fn describe(&self, verb: &str, to: &str) -> String {
        format!(
            "{verb} {}{} on {} created{}{} {to} {}{}",
            if self.option_only {
                "grant option for "
            } else {
                ""
            },
            self.privileges
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            self.on.plural().to_ascii_lowercase(),
            self.owner
                .as_ref()
                .map(|o| format!(" by {o:?}"))
                .unwrap_or_default(),
            self.schema
                .as_ref()
                .map(|s| format!(" in schema {s:?}"))
                .unwrap_or_default(),
            self.role.as_json(),
            if self.grant_option && !self.option_only {
                " with grant option"
            } else {
                ""
            }
        )
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_yes(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

/// Serializes with a `kind` tag; deserializes from the same form, so bindings can rebuild
/// a change (e.g. from a migration file's op) and ask it for its SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    CreateRole {
        role: Role,
    },
    /// Attributes (login, inherit, bypassrls) of a role.
    AlterRole {
        from: Role,
        to: Role,
    },
    DropRole {
        role: Role,
    },
    /// `GRANT group TO member [WITH ADMIN / INHERIT / SET ..]`.
    GrantMembership {
        group: String,
        member: String,
        #[serde(default, skip_serializing_if = "MembershipOptions::is_default")]
        #[cfg_attr(feature = "ts", ts(optional, as = "Option<MembershipOptions>"))]
        options: MembershipOptions,
    },
    /// `REVOKE group FROM member`; `options` are those it had (its reverse grants them).
    RevokeMembership {
        group: String,
        member: String,
        #[serde(default, skip_serializing_if = "MembershipOptions::is_default")]
        #[cfg_attr(feature = "ts", ts(optional, as = "Option<MembershipOptions>"))]
        options: MembershipOptions,
    },
    /// The options of a membership that stays: each option whose value differs on the
    /// two sides is set (`GRANT .. WITH INHERIT FALSE`, `REVOKE ADMIN OPTION FOR ..`).
    AlterMembership {
        group: String,
        member: String,
        from: MembershipOptions,
        to: MembershipOptions,
    },
    Grant(RolePrivileges),
    Revoke(RolePrivileges),
    /// `CREATE OR REPLACE FUNCTION` of a function the cluster does not have.
    CreateFunction {
        function: Function,
    },
    /// `CREATE OR REPLACE FUNCTION` over a function whose definition differs.
    ReplaceFunction {
        from: Function,
        to: Function,
        /// What differs (body, volatility, SECURITY DEFINER, search_path, ...).
        #[serde(default)]
        changed: Vec<String>,
    },
    DropFunction {
        function: Function,
    },
    /// `DROP FUNCTION` and `CREATE FUNCTION` of a function whose result type changes
    /// (`CREATE OR REPLACE` cannot): the policies calling it are dropped first and created
    /// after (as the declaration has them), its EXECUTE privileges are kept.
    RecreateFunction {
        from: Function,
        to: Function,
        #[serde(default)]
        changed: Vec<String>,
        #[serde(default)]
        policies: Vec<RecreatedPolicy>,
    },
    /// `ALTER DEFAULT PRIVILEGES .. GRANT`.
    GrantDefault(DefaultPrivileges),
    /// `ALTER DEFAULT PRIVILEGES .. REVOKE`.
    RevokeDefault(DefaultPrivileges),
    EnableRls {
        table: TableName,
    },
    DisableRls {
        table: TableName,
    },
    ForceRls {
        table: TableName,
    },
    NoForceRls {
        table: TableName,
    },
    CreatePolicy {
        table: TableName,
        policy: Policy,
    },
    DropPolicy {
        table: TableName,
        policy: Policy,
    },
    RenamePolicy {
        table: TableName,
        from: String,
        to: String,
    },
    /// Roles, USING or WITH CHECK changed in place (`ALTER POLICY`).
    AlterPolicy {
        table: TableName,
        from: Policy,
        to: Policy,
        clauses: Vec<ClauseChange>,
    },
    /// Command or permissive/restrictive changed, or a clause was removed: ALTER POLICY
    /// cannot do that, so the policy is dropped and created again.
    ReplacePolicy {
        table: TableName,
        from: Policy,
        to: Policy,
        #[serde(default)]
        reason: String,
    },
    CommentOnPolicy {
        table: TableName,
        policy: String,
        from: Option<String>,
        to: Option<String>,
    },
}

impl Change {
    /// The SQL statements (without trailing semicolons).
    pub fn sql(&self) -> Vec<String> {
        use Change::*;
        match self {
            CreateRole { role } => vec![render::create_role(role)],
            AlterRole { to, .. } => vec![render::alter_role(to)],
            DropRole { role } => vec![render::drop_role(&role.name)],
            GrantMembership {
                group,
                member,
                options,
            } => vec![render::grant_membership(group, member, options)],
            RevokeMembership { group, member, .. } => {
                vec![render::revoke_membership(group, member)]
            }
            AlterMembership {
                group,
                member,
                from,
                to,
            } => render::alter_membership(group, member, from, to),
            Grant(g) => render::grant(g),
            Revoke(g) => render::revoke(g),
            CreateFunction { function } => vec![render::create_function(function)],
            ReplaceFunction { to, .. } => vec![render::create_function(to)],
            DropFunction { function } => vec![render::drop_function(function)],
            RecreateFunction {
                from, to, policies, ..
            } => {
                let mut v: Vec<String> = policies
                    .iter()
                    .filter_map(|p| Some(render::drop_policy(&p.table, &p.from.as_ref()?.name)))
                    .collect();
                v.push(render::save_function_acl(from));
                v.push(render::drop_function(from));
                v.push(render::create_function(to));
                v.push(render::restore_function_acl(to));
                for p in policies {
                    if let Some(policy) = &p.to {
                        v.extend(
                            CreatePolicy {
                                table: p.table.clone(),
                                policy: policy.clone(),
                            }
                            .sql(),
                        );
                    }
                }
                v
            }
            GrantDefault(d) => vec![render::default_privileges(d, true)],
            RevokeDefault(d) => vec![render::default_privileges(d, false)],
            EnableRls { table } => vec![render::rls(table, true)],
            DisableRls { table } => vec![render::rls(table, false)],
            ForceRls { table } => vec![render::force_rls(table, true)],
            NoForceRls { table } => vec![render::force_rls(table, false)],
            CreatePolicy { table, policy } => {
                let mut v = vec![render::create_policy(table, policy)];
                if policy.comment.is_some() {
                    v.push(render::comment_on_policy(
                        table,
                        &policy.name,
                        policy.comment.as_deref(),
                    ));
                }
                v
            }
            DropPolicy { table, policy } => vec![render::drop_policy(table, &policy.name)],
            RenamePolicy { table, from, to } => vec![render::rename_policy(table, from, to)],
            AlterPolicy {
                table, to, clauses, ..
            } => {
                let has = |c: Clause| clauses.iter().any(|x| x.clause == c);
                vec![render::alter_policy(
                    table,
                    &to.name,
                    has(Clause::Roles).then_some(&to.roles[..]),
                    if has(Clause::Using) {
                        to.using.as_deref()
                    } else {
                        None
                    },
                    if has(Clause::WithCheck) {
                        to.with_check.as_deref()
                    } else {
                        None
                    },
                )]
            }
            ReplacePolicy {
                table, from, to, ..
            } => {
                let mut v = vec![render::drop_policy(table, &from.name)];
                v.extend(
                    CreatePolicy {
                        table: table.clone(),
                        policy: to.clone(),
                    }
                    .sql(),
                );
                v
            }
            CommentOnPolicy {
                table, policy, to, ..
            } => {
                vec![render::comment_on_policy(table, policy, to.as_deref())]
            }
        }
    }

    /// The change that undoes this one.
    pub fn reverse(&self) -> Change {
        use Change::*;
        match self.clone() {
            CreateRole { role } => DropRole { role },
            DropRole { role } => CreateRole { role },
            AlterRole { from, to } => AlterRole { from: to, to: from },
            GrantMembership {
                group,
                member,
                options,
            } => RevokeMembership {
                group,
                member,
                options,
            },
            RevokeMembership {
                group,
                member,
                options,
            } => GrantMembership {
                group,
                member,
                options,
            },
            AlterMembership {
                group,
                member,
                from,
                to,
            } => AlterMembership {
                group,
                member,
                from: to,
                to: from,
            },
            Grant(g) => Revoke(g),
            Revoke(g) => Grant(g),
            CreateFunction { function } => DropFunction { function },
            DropFunction { function } => CreateFunction { function },
            ReplaceFunction { from, to, changed } => ReplaceFunction {
                from: to,
                to: from,
                changed,
            },
            RecreateFunction {
                from,
                to,
                changed,
                policies,
            } => RecreateFunction {
                from: to,
                to: from,
                changed,
                policies: policies
                    .into_iter()
                    .map(|p| RecreatedPolicy {
                        table: p.table,
                        from: p.to,
                        to: p.from,
                    })
                    .collect(),
            },
            GrantDefault(d) => RevokeDefault(d),
            RevokeDefault(d) => GrantDefault(d),
            EnableRls { table } => DisableRls { table },
            DisableRls { table } => EnableRls { table },
            ForceRls { table } => NoForceRls { table },
            NoForceRls { table } => ForceRls { table },
            CreatePolicy { table, mut policy } => {
                policy.renamed_from = None;
                DropPolicy { table, policy }
            }
            DropPolicy { table, mut policy } => {
                policy.renamed_from = None;
                CreatePolicy { table, policy }
            }
            RenamePolicy { table, from, to } => RenamePolicy {
                table,
                from: to,
                to: from,
            },
            AlterPolicy {
                table,
                from,
                to,
                clauses,
            } => {
                // ALTER POLICY cannot remove a clause: undoing an added clause is a
                // replacement.
                let removed = |c: &Option<String>, d: &Option<String>| c.is_some() && d.is_none();
                if removed(&to.using, &from.using) || removed(&to.with_check, &from.with_check) {
                    let what = if removed(&to.using, &from.using) {
                        "USING removed"
                    } else {
                        "WITH CHECK removed"
                    };
                    ReplacePolicy {
                        table,
                        from: to,
                        to: from,
                        reason: what.to_string(),
                    }
                } else {
                    AlterPolicy {
                        table,
                        from: to,
                        to: from,
                        clauses: clauses.iter().map(ClauseChange::reversed).collect(),
                    }
                }
            }
            ReplacePolicy {
                table,
                from,
                to,
                reason,
            } => ReplacePolicy {
                table,
                from: to,
                to: from,
                reason,
            },
            CommentOnPolicy {
                table,
                policy,
                from,
                to,
            } => CommentOnPolicy {
                table,
                policy,
                from: to,
                to: from,
            },
        }
    }

    /// A one-line description, used as the comment above the change's SQL.
    pub fn describe(&self) -> String {
        use Change::*;
        match self {
            CreateRole { role } => format!("Create role {:?}", role.name),
            AlterRole { to, .. } => format!("Alter role {:?}", to.name),
            DropRole { role } => format!("Drop role {:?}", role.name),
            GrantMembership {
                group,
                member,
                options,
            } => format!(
                "Make role {member:?} a member of {group:?}{}",
                describe_options(options)
            ),
            RevokeMembership { group, member, .. } => {
                format!("Remove role {member:?} from {group:?}")
            }
            AlterMembership {
                group,
                member,
                from,
                to,
            } => {
                let mut what = Vec::new();
                if from.admin != to.admin {
                    what.push(if to.admin { "admin" } else { "no admin" }.to_string());
                }
                for (name, a, b) in [
                    ("inherit", from.inherit, to.inherit),
                    ("set", from.set, to.set),
                ] {
                    if let Some(b) = b.filter(|b| Some(*b) != a) {
                        what.push(if b {
                            name.to_string()
                        } else {
                            format!("no {name}")
                        });
                    }
                }
                format!(
                    "Change the membership of {member:?} in {group:?}: {}",
                    what.join(", ")
                )
            }
            Grant(g) => format!(
                "Grant {}{} to {}{}{}",
                if g.option_only {
                    "grant option for "
                } else {
                    ""
                },
                g.describe_what(),
                g.role.as_json(),
                if g.grant_option && !g.option_only {
                    " with grant option"
                } else {
                    ""
                },
                if g.with_sequences() {
                    " (and USAGE on its owned sequences)"
                } else {
                    ""
                }
            ),
            CreateFunction { function } => format!("Create function {}", function.signature()),
            ReplaceFunction { to, changed, .. } => format!(
                "Replace function {} ({} changed)",
                to.signature(),
                changed.join(", ")
            ),
            DropFunction { function } => format!("Drop function {}", function.signature()),
            RecreateFunction {
                to,
                changed,
                policies,
                ..
            } => {
                let mut s = format!(
                    "Drop and create function {} ({} changed: CREATE OR REPLACE cannot change the result type; its EXECUTE privileges are kept)",
                    to.signature(),
                    changed.join(", ")
                );
                if !policies.is_empty() {
                    s.push_str(&format!(
                        "\n  policies calling it, dropped before and created after: {}",
                        policies
                            .iter()
                            .map(|p| format!(
                                "{:?} on {}",
                                p.to.as_ref()
                                    .or(p.from.as_ref())
                                    .map(|x| x.name.as_str())
                                    .unwrap_or(""),
                                p.table
                            ))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                s
            }
            GrantDefault(d) => d.describe("Grant by default", "to"),
            RevokeDefault(d) => d.describe("Revoke by default", "from"),
            Revoke(g) => format!(
                "Revoke {}{} from {}{}",
                if g.option_only {
                    "grant option for "
                } else {
                    ""
                },
                g.describe_what(),
                g.role.as_json(),
                if g.with_sequences() {
                    " (and USAGE on its owned sequences)"
                } else {
                    ""
                }
            ),
            EnableRls { table } => format!("Enable row-level security on {table}"),
            DisableRls { table } => format!("Disable row-level security on {table}"),
            ForceRls { table } => format!("Force row-level security on {table}"),
            NoForceRls { table } => format!("Stop forcing row-level security on {table}"),
            CreatePolicy { table, policy } => format!("Create policy {:?} on {table}", policy.name),
            DropPolicy { table, policy } => format!("Drop policy {:?} on {table}", policy.name),
            RenamePolicy { table, from, to } => {
                format!("Rename policy {from:?} on {table} to {to:?}")
            }
            AlterPolicy {
                table, to, clauses, ..
            } => {
                let mut s = format!(
                    "Alter policy {:?} on {table}: {} changed",
                    to.name,
                    clauses
                        .iter()
                        .map(|c| c.clause.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for c in clauses {
                    if matches!(c.clause, Clause::Using | Clause::WithCheck) {
                        let show = |canon: &Option<String>, raw: &Option<String>| {
                            canon
                                .clone()
                                .or_else(|| raw.clone())
                                .unwrap_or_else(|| "(none)".into())
                        };
                        s.push_str(&format!(
                            "\n  {} was: {}\n  {} now: {}",
                            c.clause,
                            show(&c.from_canonical, &c.from),
                            c.clause,
                            show(&c.to_canonical, &c.to)
                        ));
                    }
                }
                s
            }
            ReplacePolicy {
                table, to, reason, ..
            } => {
                format!("Replace policy {:?} on {table} ({reason})", to.name)
            }
            CommentOnPolicy { table, policy, .. } => {
                format!("Comment on policy {policy:?} on {table}")
            }
        }
    }

    /// Why this change weakens protection, if it does: RLS or FORCE turned off, a
    /// restrictive policy dropped or changed (it may be looser), a role given BYPASSRLS,
    /// or a policy that lets PUBLIC through unconditionally (`true`). Such changes are
    /// marked in every plan form, and `apply` refuses them unless allowed.
    pub fn weakens(&self) -> Option<String> {
        use Change::*;
        let open_to_public = |p: &Policy| {
            p.permissive
                && p.roles.contains(&RoleSpec::Public)
                && [&p.using, &p.with_check]
                    .iter()
                    .any(|c| c.as_deref().is_some_and(is_true))
        };
        match self {
            DisableRls { table } => Some(format!("turns row-level security off on {table}")),
            NoForceRls { table } => Some(format!(
                "stops forcing row-level security on {table} (its owner bypasses the policies)"
            )),
            DropPolicy { policy, table } if !policy.permissive => Some(format!(
                "drops the restrictive policy {:?} on {table}",
                policy.name
            )),
            ReplacePolicy { from, table, .. } if !from.permissive => Some(format!(
                "replaces the restrictive policy {:?} on {table} (it may be looser)",
                from.name
            )),
            AlterPolicy { from, table, .. } if !from.permissive => Some(format!(
                "changes the restrictive policy {:?} on {table} (it may be looser)",
                from.name
            )),
            CreatePolicy { policy, table } if open_to_public(policy) => Some(format!(
                "policy {:?} on {table} lets PUBLIC through unconditionally (true)",
                policy.name
            )),
            AlterPolicy {
                from, to, table, ..
            }
            | ReplacePolicy {
                from, to, table, ..
            } if open_to_public(to) && !open_to_public(from) => Some(format!(
                "policy {:?} on {table} now lets PUBLIC through unconditionally (true)",
                to.name
            )),
            RecreateFunction { policies, .. } => policies.iter().find_map(|p| {
                let table = &p.table;
                match (&p.from, &p.to) {
                    (Some(f), None) if !f.permissive => Some(format!(
                        "drops the restrictive policy {:?} on {table}",
                        f.name
                    )),
                    (Some(f), Some(t)) if !f.permissive && f != t => Some(format!(
                        "replaces the restrictive policy {:?} on {table} (it may be looser)",
                        f.name
                    )),
                    (f, Some(t))
                        if open_to_public(t) && !f.as_ref().is_some_and(open_to_public) =>
                    {
                        Some(format!(
                            "policy {:?} on {table} now lets PUBLIC through unconditionally (true)",
                            t.name
                        ))
                    }
                    _ => None,
                }
            }),
            AlterRole { from, to } if to.bypassrls && !from.bypassrls => {
                Some(format!("gives role {:?} BYPASSRLS", to.name))
            }
            // Roles are cluster-wide: the role may exist already, and then it is given
            // BYPASSRLS.
            CreateRole { role } if role.bypassrls => Some(format!(
                "creates role {:?} with BYPASSRLS (or gives it BYPASSRLS if the cluster has it)",
                role.name
            )),
            _ => None,
        }
    }

    /// The table a change concerns, if any.
    pub fn table(&self) -> Option<&TableName> {
        use Change::*;
        match self {
            CreateRole { .. }
            | AlterRole { .. }
            | DropRole { .. }
            | GrantMembership { .. }
            | RevokeMembership { .. }
            | AlterMembership { .. } => None,
            Grant(g) | Revoke(g) => g.on.is_table().then_some(&g.table),
            GrantDefault(..) | RevokeDefault(..) => None,
            CreateFunction { .. }
            | ReplaceFunction { .. }
            | DropFunction { .. }
            | RecreateFunction { .. } => None,
            EnableRls { table }
            | DisableRls { table }
            | ForceRls { table }
            | NoForceRls { table }
            | CreatePolicy { table, .. }
            | DropPolicy { table, .. }
            | RenamePolicy { table, .. }
            | AlterPolicy { table, .. }
            | ReplacePolicy { table, .. }
            | CommentOnPolicy { table, .. } => Some(table),
        }
    }

    /// Plan order: roles, memberships, grants, RLS off, policies dropped, renamed, altered, created,
    /// comments, RLS on, revokes, roles dropped. Policies exist before RLS is enabled (no
    /// deny-all window) and RLS is disabled before policies go. The reverse of a plan in
    /// this order is again in this order.
    pub fn phase(&self) -> u8 {
        use Change::*;
        match self {
            CreateRole { .. } => 0,
            AlterRole { .. } => 1,
            GrantMembership { .. } | AlterMembership { .. } => 1,
            // Functions exist before the grants on them and the policies calling them, and
            // go after both.
            CreateFunction { .. } | ReplaceFunction { .. } | RecreateFunction { .. } => 2,
            Grant(..) | GrantDefault(..) => 2,
            DropFunction { .. } => 13,
            DisableRls { .. } => 3,
            NoForceRls { .. } => 4,
            DropPolicy { .. } => 5,
            ReplacePolicy { .. } => 6,
            RenamePolicy { .. } => 7,
            AlterPolicy { .. } => 8,
            CreatePolicy { .. } => 9,
            CommentOnPolicy { .. } => 10,
            ForceRls { .. } => 11,
            EnableRls { .. } => 12,
            Revoke(..) | RevokeDefault(..) => 13,
            RevokeMembership { .. } => 13,
            DropRole { .. } => 14,
        }
    }
}

/// ` with admin, no inherit, no set` (the options given), or nothing.
fn describe_options(o: &MembershipOptions) -> String {
    let mut parts = Vec::new();
    if o.admin {
        parts.push("admin".to_string());
    }
    for (name, v) in [("inherit", o.inherit), ("set", o.set)] {
        if let Some(v) = v {
            parts.push(if v {
                name.to_string()
            } else {
                format!("no {name}")
            });
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" with {}", parts.join(", "))
    }
}

/// Whether an expression is the constant `true` (in any case, in any parentheses).
fn is_true(text: &str) -> bool {
    let mut t = text.trim();
    while let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        t = inner.trim();
    }
    t.eq_ignore_ascii_case("true")
        || t.eq_ignore_ascii_case("'t'::boolean")
        || t.eq_ignore_ascii_case("true::boolean")
}
