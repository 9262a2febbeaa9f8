//! `pgpolicy lint`: what the policies mean, not only whether the database matches them.
//!
//! A declaration, a database, or a declaration checked against the database it will run
//! on ([`overlay`]) is read into one effective [`Schema`] plus, when a database is at
//! hand, [`DbFacts`] (superusers, owners, indexes, views, functions). Every rule in
//! [`RULES`] has a stable id, a severity, an explanation and a fix; each is one function
//! in `rules/` (grouped by what it looks at). A finding can be silenced per rule in
//! `pgpolicy.toml` (`[lint]`, see [`LintConfig`]) or inline, for one table or policy, by a
//! `pgpolicy: allow <rule_id>` marker in its COMMENT.

mod config;
pub mod expr;
pub mod facts;
mod render;
mod rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

pub use config::{LintConfig, RuleSetting};
pub use facts::DbFacts;
pub use render::{to_sarif, to_text};
pub use rules::{Rule, RULES};

use crate::ir::{Policy, Schema, Table};

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a rule found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id (see [`RULES`]).
    pub rule: String,
    pub severity: Severity,
    /// `schema.table` (unquoted), when the finding is about a table or its policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub role: Option<String>,
    /// Another object the finding is about: a view or a function (`schema.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub object: Option<String>,
    pub message: String,
    /// How to fix it (the rule's fix).
    pub fix: String,
}

/// What `lint` found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Sorted by severity (errors first), then table, policy and rule.
    pub findings: Vec<Finding>,
    /// Rules that need a database and were not run (no database was given).
    pub skipped: Vec<String>,
}

impl Report {
    /// Whether any finding is at or above `level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }

    pub fn count(&self, level: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == level).count()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serializes")
    }
}

/// Lints `schema` (a declaration, a database's state, or a declaration laid over one with
/// [`overlay`]); `facts` come from the database when there is one.
pub fn lint(schema: &Schema, facts: Option<&DbFacts>, config: &LintConfig) -> Report {
    let mut cx = Cx::new(schema, facts, config);
    for rule in RULES {
        if config.setting(rule.id) == RuleSetting::Off {
            continue;
        }
        if rule.needs_database && facts.is_none() {
            cx.skipped.push(rule.id.to_string());
            continue;
        }
        (rule.check)(&mut cx);
    }
    let mut findings = cx.out;
    findings.sort_by(|a, b| {
        (b.severity, &a.table, &a.object, &a.policy, &a.rule, &a.role)
            .cmp(&(a.severity, &b.table, &b.object, &b.policy, &b.rule, &b.role))
    });
    findings.dedup();
    Report {
        findings,
        skipped: cx.skipped,
    }
}

/// The state a database will be in once `declared` is applied to `db` (the introspected
/// state): declared RLS flags override the database's, a declared table's policies replace
/// the database's, declared columns are kept (else the database's), declared roles
/// override theirs, grants are both sides', and the database's other tables stay as they
/// are. What `lint SRC --db URL` checks.
pub fn overlay(declared: &Schema, db: &Schema) -> Schema {
    let mut out = db.clone();
    for t in &declared.tables {
        let e = out.table_entry(&t.schema, &t.name);
        if t.rls.enabled.is_some() {
            e.rls.enabled = t.rls.enabled;
        }
        if t.rls.forced.is_some() {
            e.rls.forced = t.rls.forced;
        }
        if !t.columns.is_empty() {
            e.columns = t.columns.clone();
        }
        e.policies = t.policies.clone();
        e.lint_allow = t.lint_allow.clone();
    }
    for r in &declared.roles {
        match out.roles.iter_mut().find(|x| x.name == r.name) {
            Some(x) => *x = r.clone(),
            None => out.roles.push(r.clone()),
        }
    }
    out.grants.extend(declared.grants.iter().cloned());
    out.catalog = db.catalog.merged(&declared.catalog);
    out.normalize();
    out
}

/// Where an inline opt-out may live: `pgpolicy: allow rule_a, rule_b` (or `all`) in a
/// COMMENT, anywhere in it, one or more times.
pub fn allowed_by_comment(comment: &str, rule: &str) -> bool {
    let lower = comment.to_ascii_lowercase();
    let marker = "pgpolicy: allow";
    let mut rest = lower.as_str();
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let list: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ',' || *c == ' ')
            .collect();
        if list.split([',', ' ']).any(|id| id == rule || id == "all") {
            return true;
        }
    }
    false
}

/// What every rule sees: the schema, the database facts, the configuration, and lookups
/// built once (hash maps; the rules stay linear in the size of the schema).
pub(crate) struct Cx<'a> {
    pub schema: &'a Schema,
    pub facts: Option<&'a DbFacts>,
    pub config: &'a LintConfig,
    /// Roles the application uses (see [`LintConfig::app_roles`]).
    pub app_roles: BTreeSet<String>,
    roles: HashMap<&'a str, &'a crate::ir::Role>,
    table_facts: HashMap<(&'a str, &'a str), &'a facts::TableFacts>,
    /// Role name → the roles whose privileges it has (itself, and inherited memberships).
    closure: std::cell::RefCell<HashMap<String, BTreeSet<String>>>,
    exprs: HashMap<(usize, usize, bool), Option<expr::Facts>>,
    pub out: Vec<Finding>,
    pub skipped: Vec<String>,
}

impl<'a> Cx<'a> {
    fn new(schema: &'a Schema, facts: Option<&'a DbFacts>, config: &'a LintConfig) -> Cx<'a> {
        let roles = schema.roles.iter().map(|r| (r.name.as_str(), r)).collect();
        let table_facts = facts
            .map(|f| {
                f.tables
                    .iter()
                    .map(|t| ((t.schema.as_str(), t.name.as_str()), t))
                    .collect()
            })
            .unwrap_or_default();
        let app_roles = match &config.app_roles {
            Some(list) => list.iter().cloned().collect(),
            None => {
                let mut s = BTreeSet::new();
                for t in &schema.tables {
                    for p in &t.policies {
                        s.extend(p.roles.iter().filter_map(|r| r.name()).map(str::to_string));
                    }
                }
                s.extend(
                    schema
                        .grants
                        .iter()
                        .filter_map(|g| g.role.name())
                        .map(str::to_string),
                );
                let me = facts.map(|f| f.current_user.as_str());
                s.retain(|r| !config.admin_roles.contains(r) && Some(r.as_str()) != me);
                s
            }
        };
        let mut exprs = HashMap::new();
        for (ti, t) in schema.tables.iter().enumerate() {
            for (pi, p) in t.policies.iter().enumerate() {
                if let Some(u) = &p.using {
                    exprs.insert((ti, pi, false), expr::analyze(u, &t.name));
                }
                if let Some(c) = &p.with_check {
                    exprs.insert((ti, pi, true), expr::analyze(c, &t.name));
                }
            }
        }
        Cx {
            schema,
            facts,
            config,
            app_roles,
            roles,
            table_facts,
            closure: Default::default(),
            exprs,
            out: Vec::new(),
            skipped: Vec::new(),
        }
    }

    pub fn role(&self, name: &str) -> Option<&'a crate::ir::Role> {
        self.roles.get(name).copied()
    }

    pub fn table_facts(&self, t: &Table) -> Option<&'a facts::TableFacts> {
        self.table_facts
            .get(&(t.schema.as_str(), t.name.as_str()))
            .copied()
    }

    /// The parsed USING (`check = false`) or WITH CHECK clause of policy `pi` of table `ti`.
    pub fn expr(&self, ti: usize, pi: usize, check: bool) -> Option<&expr::Facts> {
        self.exprs.get(&(ti, pi, check)).and_then(|f| f.as_ref())
    }

    /// Whether `role` bypasses RLS everywhere: SUPERUSER or BYPASSRLS.
    pub fn bypasses(&self, role: &str) -> bool {
        self.role(role).is_some_and(|r| r.bypassrls)
            || self.facts.is_some_and(|f| f.is_superuser(role))
    }

    /// Admin roles: listed as such in the configuration, or bypassing RLS.
    pub fn is_admin(&self, role: &str) -> bool {
        self.config.admin_roles.iter().any(|r| r == role) || self.bypasses(role)
    }

    /// The roles whose privileges `role` has: itself and every role it is a member of
    /// through INHERIT memberships (what decides whether a policy applies to it).
    pub fn privileges_of(&self, role: &str) -> BTreeSet<String> {
        if let Some(s) = self.closure.borrow().get(role) {
            return s.clone();
        }
        let mut seen = BTreeSet::new();
        let mut stack = vec![role.to_string()];
        while let Some(r) = stack.pop() {
            if !seen.insert(r.clone()) {
                continue;
            }
            // A role without INHERIT (or a membership without it, on 16) gives only its own.
            if let Some(def) = self.role(&r) {
                stack.extend(def.inherited_groups().cloned());
            }
        }
        self.closure
            .borrow_mut()
            .insert(role.to_string(), seen.clone());
        seen
    }

    /// Whether `policy` applies to `role` (`None`: PUBLIC, i.e. every role).
    pub fn applies(&self, policy: &Policy, role: Option<&str>) -> bool {
        use crate::ir::RoleSpec;
        let of = role.map(|r| self.privileges_of(r));
        policy.roles.iter().any(|spec| match spec {
            RoleSpec::Public => true,
            RoleSpec::Named(n) => of.as_ref().is_some_and(|s| s.contains(n)),
            RoleSpec::CurrentUser | RoleSpec::CurrentRole | RoleSpec::SessionUser => {
                match (self.facts, &of) {
                    (Some(f), Some(s)) => s.contains(&f.current_user),
                    _ => false,
                }
            }
        })
    }

    /// Records a finding of `rule` unless the configuration or a comment allows it.
    pub fn report(&mut self, rule: &str, at: At<'_>, message: String) {
        self.report_as(rule, None, at, message)
    }

    /// [`Cx::report`] with a default severity other than the rule's (a finding the rule
    /// can only suspect, e.g. offline); a severity set in the configuration still wins.
    pub fn report_as(
        &mut self,
        rule: &str,
        severity: Option<Severity>,
        at: At<'_>,
        message: String,
    ) {
        let def = rules::rule(rule);
        let declared = |ids: &[String]| ids.iter().any(|id| id == rule || id == "all");
        if let Some(t) = at.table {
            let name = t.display_name();
            if self.config.allows(&name, rule) || declared(&t.lint_allow) {
                return;
            }
            if let Some(c) = self.table_facts(t).and_then(|f| f.comment.as_deref()) {
                if allowed_by_comment(c, rule) {
                    return;
                }
            }
        }
        if let Some(p) = at.policy {
            if declared(&p.lint_allow)
                || p.comment
                    .as_deref()
                    .is_some_and(|c| allowed_by_comment(c, rule))
            {
                return;
            }
        }
        for key in [at.object.as_deref(), at.role].into_iter().flatten() {
            if self.config.allows(key, rule) {
                return;
            }
        }
        let severity = match self.config.setting(rule) {
            RuleSetting::Severity(s) => s,
            _ => severity.unwrap_or(def.severity),
        };
        self.out.push(Finding {
            rule: rule.to_string(),
            severity,
            table: at.table.map(Table::display_name),
            policy: at.policy.map(|p| p.name.clone()),
            role: at.role.map(str::to_string),
            object: at.object,
            message,
            fix: def.fix.to_string(),
        });
    }
}

/// What a finding is about.
#[derive(Default)]
pub(crate) struct At<'a> {
    pub table: Option<&'a Table>,
    pub policy: Option<&'a Policy>,
    pub role: Option<&'a str>,
    pub object: Option<String>,
}

impl<'a> At<'a> {
    pub fn table(t: &'a Table) -> At<'a> {
        At {
            table: Some(t),
            ..At::default()
        }
    }
    pub fn policy(t: &'a Table, p: &'a Policy) -> At<'a> {
        At {
            table: Some(t),
            policy: Some(p),
            ..At::default()
        }
    }
    pub fn role(mut self, r: &'a str) -> At<'a> {
        self.role = Some(r);
        self
    }
    pub fn object(o: String) -> At<'a> {
        At {
            object: Some(o),
            ..At::default()
        }
    }
}

/// Rule ids by group, for documentation and tests.
pub fn rule_ids() -> BTreeMap<&'static str, Severity> {
    RULES.iter().map(|r| (r.id, r.severity)).collect()
}

/// Reads a source as `lint` and `explain` name it: a `.json` or `.sql` declaration, a
/// postgres URL, or a declaration laid over the database at `db` ([`overlay`]), the
/// database read in one read-only snapshot. `schemas` are the schemas to read from a
/// database (default: the declaration's, or `public`). Returns the schema, the database
/// facts when there is a database, and the source's warnings (skipped SQL statements).
#[cfg(feature = "db")]
pub fn load(
    src: &str,
    db: Option<&str>,
    schemas: &[String],
    timeouts: crate::session::Timeouts,
) -> crate::Result<(Schema, Option<DbFacts>, Vec<String>)> {
    use crate::source::Source;
    let read = |url: &str, declared: Option<&Schema>| -> crate::Result<(Schema, DbFacts)> {
        let mut conn = crate::introspect::LiveDb::connect_with(url, timeouts)?;
        let scope = crate::exec::Scope::Transaction;
        read_database(&mut conn, scope, &timeouts, declared, schemas)
    };
    let source = Source::parse(src)?;
    if let Source::Url(url) = &source {
        if db.is_some() {
            return Err(crate::Error::Source(
                "SRC is already a database; --db checks a declaration against one".into(),
            ));
        }
        let (schema, facts) = read(url, None)?;
        return Ok((schema, Some(facts), Vec::new()));
    }
    let (declared, warnings) = source.load(schemas)?;
    let Some(url) = db else {
        return Ok((declared, None, warnings));
    };
    if !matches!(Source::parse(url)?, Source::Url(_)) {
        return Err(crate::Error::Source(format!(
            "--db must be a postgres URL, not {url:?}"
        )));
    }
    let (schema, facts) = read(url, Some(&declared))?;
    Ok((schema, Some(facts), warnings))
}

/// Reads a database for `lint` and `explain` on any connection (the core's, or a
/// package's through [`crate::exec::Exec`]): its RLS state and [`DbFacts`] in one
/// read-only snapshot, with `declared` laid over it ([`overlay`]) when given. `schemas`
/// default to the declaration's (or `public`).
pub fn read_database(
    exec: &mut dyn crate::exec::Exec,
    scope: crate::exec::Scope,
    timeouts: &crate::session::Timeouts,
    declared: Option<&Schema>,
    schemas: &[String],
) -> crate::Result<(Schema, DbFacts)> {
    let names = match (schemas.is_empty(), declared) {
        (true, Some(d)) => d.schema_names(),
        _ => schemas.to_vec(),
    };
    let (current, facts) = facts::read(exec, scope, timeouts, &names)?;
    Ok(match declared {
        Some(d) => (overlay(d, &current), facts),
        None => (current, facts),
    })
}

/// [`load`], then [`lint`].
#[cfg(feature = "db")]
pub fn lint_source(
    src: &str,
    db: Option<&str>,
    schemas: &[String],
    config: &LintConfig,
    timeouts: crate::session::Timeouts,
) -> crate::Result<(Report, Vec<String>)> {
    let (schema, facts, warnings) = load(src, db, schemas, timeouts)?;
    Ok((lint(&schema, facts.as_ref(), config), warnings))
}

#[cfg(test)]
mod tests {
    use super::allowed_by_comment;

    #[test]
    fn comment_markers() {
        assert!(allowed_by_comment(
            "audit log, append only. pgpolicy: allow rls_enabled_no_policy",
            "rls_enabled_no_policy"
        ));
        assert!(allowed_by_comment(
            "pgpolicy: allow per_row_function_call, multiple_permissive_policies",
            "multiple_permissive_policies"
        ));
        assert!(allowed_by_comment("PGPOLICY: ALLOW all", "anything"));
        assert!(!allowed_by_comment(
            "pgpolicy: allow rls_enabled_no_policy",
            "rls_disabled_with_policies"
        ));
        assert!(!allowed_by_comment(
            "allow rls_enabled_no_policy",
            "rls_enabled_no_policy"
        ));
    }
}
