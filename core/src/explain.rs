//! `pgpolicy explain`: the predicate PostgreSQL applies to a role's command on a table.
//!
//! PostgreSQL's rules (src/backend/rewrite/rowsecurity.c): the table's RLS must be enabled;
//! superusers, roles with BYPASSRLS, and the table's owner (unless FORCE) are exempt. Of the
//! policies for the command (or ALL) whose roles include PUBLIC, the role, or a role whose
//! privileges it inherits, the permissive ones are OR-ed and the restrictive ones AND-ed
//! onto that; with no permissive policy nothing is allowed. Rows are filtered by USING
//! (SELECT, UPDATE, DELETE); new rows are checked by WITH CHECK (INSERT, UPDATE), where a
//! policy without WITH CHECK uses its USING. A policy without the clause in question adds
//! nothing to that clause.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::ir::{Command, Grant, Policy, Privilege, RoleSpec, Schema, Table};
use crate::lint::DbFacts;

/// What decides the rows a role's command touches.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Row-level security is off: every row.
    NoRls,
    /// The role bypasses RLS (`superuser`, `bypassrls`, `owner`): every row.
    Bypass,
    /// The role lacks the table privilege: the command fails before RLS is consulted.
    NoPrivilege,
    /// No permissive policy applies: no row (and no new row) passes.
    DenyAll,
    /// Rows pass the predicates below.
    Filtered,
}

/// The effective rule for one role and command.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// A role name, or `PUBLIC` (a role no policy or grant names).
    pub role: String,
    pub command: Command,
    pub verdict: Verdict,
    /// Why, in words: which bypass, which policies.
    pub reason: String,
    /// The filter on existing rows (SELECT, UPDATE, DELETE), as SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub using: Option<String>,
    /// The check on new rows (INSERT, UPDATE), as SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub with_check: Option<String>,
    pub permissive: Vec<String>,
    pub restrictive: Vec<String>,
}

/// A table's effective rules for some roles and commands.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub table: String,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub owner: Option<String>,
    pub entries: Vec<Effective>,
}

pub const COMMANDS: [Command; 4] = [
    Command::Select,
    Command::Insert,
    Command::Update,
    Command::Delete,
];

/// Explains `table` (`schema.name`, or a name in `public`) for `role` (default: every role
/// the table's policies and grants name, the declared roles, and PUBLIC) and `command`
/// (default: all four).
pub fn explain(
    schema: &Schema,
    facts: Option<&DbFacts>,
    table: &str,
    role: Option<&str>,
    command: Option<Command>,
) -> crate::Result<Explanation> {
    let (s, n) = table.split_once('.').unwrap_or(("public", table));
    let t = schema
        .table(s, n)
        .ok_or_else(|| crate::Error::Source(format!("explain: no table {s}.{n} in the source")))?;
    if command == Some(Command::All) {
        return Err(crate::Error::Source(
            "explain: --command is one of SELECT, INSERT, UPDATE, DELETE".into(),
        ));
    }
    let ix = Index::new(schema, facts);
    let ex = ix.explainer(t);
    let roles: Vec<String> = match role {
        Some(r) => vec![r.to_string()],
        None => ex.roles(),
    };
    let commands: Vec<Command> = match command {
        Some(c) => vec![c],
        None => COMMANDS.to_vec(),
    };
    let mut entries = Vec::new();
    for r in &roles {
        for c in &commands {
            entries.push(ex.effective(r, *c));
        }
    }
    Ok(Explanation {
        table: t.display_name(),
        rls_enabled: t.rls.is_enabled(),
        rls_forced: t.rls.is_forced(),
        owner: ex.owner.map(str::to_string),
        entries,
    })
}

/// The lookups [`Explainer`] needs, built once per schema (hash maps), so that explaining
/// many tables stays linear: table owners from the database, grants by table, roles by
/// name.
pub struct Index<'a> {
    schema: &'a Schema,
    facts: Option<&'a DbFacts>,
    owners: HashMap<(&'a str, &'a str), &'a str>,
    grants: HashMap<(&'a str, &'a str), Vec<&'a Grant>>,
    roles: HashMap<&'a str, &'a crate::ir::Role>,
}

impl<'a> Index<'a> {
    pub fn new(schema: &'a Schema, facts: Option<&'a DbFacts>) -> Index<'a> {
        let mut grants: HashMap<(&str, &str), Vec<&Grant>> = HashMap::new();
        for g in &schema.grants {
            grants
                .entry((g.schema.as_str(), g.table.as_str()))
                .or_default()
                .push(g);
        }
        Index {
            schema,
            facts,
            owners: facts
                .map(|f| {
                    f.tables
                        .iter()
                        .map(|t| ((t.schema.as_str(), t.name.as_str()), t.owner.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            grants,
            roles: schema.roles.iter().map(|r| (r.name.as_str(), r)).collect(),
        }
    }

    /// The effective rule for `role`'s `command` on `table` (a table of the schema): what
    /// [`explain`] reports for one cell.
    pub fn effective(&self, table: &'a Table, role: &str, command: Command) -> Effective {
        self.explainer(table).effective(role, command)
    }

    fn explainer<'i>(&'i self, table: &'a Table) -> Explainer<'i, 'a> {
        let key = (table.schema.as_str(), table.name.as_str());
        Explainer {
            ix: self,
            table,
            owner: self.owners.get(&key).copied(),
            grants: self.grants.get(&key).map(Vec::as_slice).unwrap_or(&[]),
        }
    }
}

struct Explainer<'i, 'a> {
    ix: &'i Index<'a>,
    table: &'a Table,
    owner: Option<&'a str>,
    /// The grants on this table.
    grants: &'i [&'a Grant],
}

impl<'i, 'a> Explainer<'i, 'a> {
    /// Every role the table's policies and grants name (and, from a database, their direct
    /// members; from a declaration, the declared roles), and PUBLIC.
    fn roles(&self) -> Vec<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for p in &self.table.policies {
            out.extend(p.roles.iter().filter_map(|r| r.name()).map(str::to_string));
        }
        for g in self.grants {
            if let Some(n) = g.role.name() {
                out.insert(n.to_string());
            }
        }
        if self.ix.facts.is_none() {
            out.extend(self.ix.schema.roles.iter().map(|r| r.name.clone()));
        } else {
            // the members of the roles named (a group role's policies apply to them)
            let named = out.clone();
            for r in &self.ix.schema.roles {
                if r.member_of.iter().any(|g| named.contains(g)) {
                    out.insert(r.name.clone());
                }
            }
        }
        let mut v: Vec<String> = out.into_iter().collect();
        v.push("PUBLIC".into());
        v
    }

    /// The roles whose privileges `role` has (itself and inherited memberships).
    fn privileges_of(&self, role: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        if role == "PUBLIC" {
            return seen;
        }
        let mut stack = vec![role.to_string()];
        while let Some(r) = stack.pop() {
            if !seen.insert(r.clone()) {
                continue;
            }
            if let Some(def) = self.ix.roles.get(r.as_str()) {
                stack.extend(def.inherited_groups().cloned());
            }
        }
        seen
    }

    fn applies(&self, p: &Policy, of: &BTreeSet<String>) -> bool {
        p.roles.iter().any(|spec| match spec {
            RoleSpec::Public => true,
            RoleSpec::Named(n) => of.contains(n),
            _ => self.ix.facts.is_some_and(|f| of.contains(&f.current_user)),
        })
    }

    /// Whether the grants say the role has the privilege: `None` when the source says
    /// nothing about this table's grants.
    fn has_privilege(&self, of: &BTreeSet<String>, c: Command) -> Option<bool> {
        let priv_ = match c {
            Command::Select => Privilege::Select,
            Command::Insert => Privilege::Insert,
            Command::Update => Privilege::Update,
            _ => Privilege::Delete,
        };
        let grants = self.grants;
        if grants.is_empty() && self.ix.facts.is_none() {
            return None;
        }
        Some(grants.iter().any(|g| {
            g.privileges.contains(&priv_)
                && match &g.role {
                    RoleSpec::Public => true,
                    RoleSpec::Named(n) => of.contains(n),
                    _ => false,
                }
        }))
    }

    fn effective(&self, role: &str, c: Command) -> Effective {
        let mut e = Effective {
            role: role.to_string(),
            command: c,
            verdict: Verdict::Filtered,
            reason: String::new(),
            using: None,
            with_check: None,
            permissive: Vec::new(),
            restrictive: Vec::new(),
        };
        let of = self.privileges_of(role);
        let superuser = self.ix.facts.is_some_and(|f| f.is_superuser(role));
        let owner = self.owner.is_some_and(|o| o == role);
        if !superuser && !owner && self.has_privilege(&of, c) == Some(false) {
            e.verdict = Verdict::NoPrivilege;
            e.reason = format!(
                "{role} has no {c} privilege on {}",
                self.table.display_name()
            );
            return e;
        }
        if !self.table.rls.is_enabled() {
            e.verdict = Verdict::NoRls;
            e.reason = "row-level security is not enabled: every row".into();
            return e;
        }
        if superuser {
            e.verdict = Verdict::Bypass;
            e.reason = format!("{role} is a superuser: every row");
            return e;
        }
        if self.ix.roles.get(role).is_some_and(|r| r.bypassrls) {
            e.verdict = Verdict::Bypass;
            e.reason = format!("{role} has BYPASSRLS: every row");
            return e;
        }
        if owner && !self.table.rls.is_forced() {
            e.verdict = Verdict::Bypass;
            e.reason = format!("{role} owns the table and RLS is not forced: every row");
            return e;
        }
        let applicable: Vec<&Policy> = self
            .table
            .policies
            .iter()
            .filter(|p| (p.command == c || p.command == Command::All) && self.applies(p, &of))
            .collect();
        e.permissive = applicable
            .iter()
            .filter(|p| p.permissive)
            .map(|p| p.name.clone())
            .collect();
        e.restrictive = applicable
            .iter()
            .filter(|p| !p.permissive)
            .map(|p| p.name.clone())
            .collect();
        let combine = |clause: fn(&Policy) -> Option<&str>| -> String {
            let perm: Vec<String> = applicable
                .iter()
                .filter(|p| p.permissive)
                .filter_map(|p| clause(p))
                .map(|x| format!("({x})"))
                .collect();
            let restr: Vec<String> = applicable
                .iter()
                .filter(|p| !p.permissive)
                .filter_map(|p| clause(p))
                .map(|x| format!("({x})"))
                .collect();
            let base = match perm.len() {
                0 => "false".to_string(),
                1 => perm[0].clone(),
                _ => format!("({})", perm.join(" OR ")),
            };
            std::iter::once(base)
                .chain(restr)
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        if c != Command::Insert {
            e.using = Some(combine(|p| p.using.as_deref()));
        }
        if matches!(c, Command::Insert | Command::Update) {
            e.with_check = Some(combine(|p| p.with_check.as_deref().or(p.using.as_deref())));
        }
        let denied = [&e.using, &e.with_check]
            .iter()
            .all(|x| x.as_deref().is_none_or(|s| s.starts_with("false")));
        if denied {
            e.verdict = Verdict::DenyAll;
            e.reason = if e.permissive.is_empty() {
                format!("no permissive {c} policy applies to {role}: no row")
            } else {
                "the permissive policies that apply have no clause for this command: no row".into()
            };
        } else {
            e.reason = format!(
                "permissive {} OR-ed{}{}",
                e.permissive.join(", "),
                if e.restrictive.is_empty() {
                    String::new()
                } else {
                    format!(", restrictive {} AND-ed", e.restrictive.join(", "))
                },
                match c {
                    Command::Update | Command::Delete =>
                        " (with a WHERE or RETURNING that reads columns, the SELECT policies apply too)",
                    Command::Insert => " (with RETURNING, the SELECT policies apply too)",
                    _ => "",
                }
            );
        }
        e
    }
}

impl Explanation {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("explanation serializes")
    }

    /// A roles × commands matrix, then each role's predicates.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}: row-level security {}{}{}\n",
            self.table,
            if self.rls_enabled {
                "enabled"
            } else {
                "disabled"
            },
            if self.rls_forced { ", forced" } else { "" },
            self.owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default()
        );
        let mut roles: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !roles.contains(&e.role.as_str()) {
                roles.push(&e.role);
            }
        }
        let mut commands: Vec<Command> = Vec::new();
        for e in &self.entries {
            if !commands.contains(&e.command) {
                commands.push(e.command);
            }
        }
        let width = roles.iter().map(|r| r.len()).max().unwrap_or(4).max(4);
        out.push_str(&format!("\n{:width$}", "role"));
        for c in &commands {
            out.push_str(&format!("  {:<12}", c.as_str()));
        }
        out.push('\n');
        for r in &roles {
            out.push_str(&format!("{r:width$}"));
            for c in &commands {
                let cell = self
                    .entries
                    .iter()
                    .find(|e| e.role == *r && e.command == *c)
                    .map(|e| e.verdict.cell())
                    .unwrap_or("");
                out.push_str(&format!("  {cell:<12}"));
            }
            out.push('\n');
        }
        for e in &self.entries {
            out.push_str(&format!("\n{} {}: {}\n", e.role, e.command, e.reason));
            if e.verdict == Verdict::Filtered {
                if let Some(u) = &e.using {
                    out.push_str(&format!("  USING      {u}\n"));
                }
                if let Some(w) = &e.with_check {
                    out.push_str(&format!("  WITH CHECK {w}\n"));
                }
            }
        }
        out
    }
}

impl Verdict {
    /// The matrix cell.
    pub fn cell(&self) -> &'static str {
        match self {
            Verdict::NoRls => "all (no RLS)",
            Verdict::Bypass => "all (bypass)",
            Verdict::NoPrivilege => "no grant",
            Verdict::DenyAll => "none",
            Verdict::Filtered => "filtered",
        }
    }
}
