//! Compare: decides what changed for the pairs the match found (RLS flags; for each matched
//! policy, replaced or altered, and which clauses). Expressions are compared offline first
//! (the canonicalizer, each text read by its origin), then by the stronger layer (a
//! [`Resolver`]) for the pairs the offline layer cannot prove equal. Nothing here builds a
//! change (see `emit`).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::matching::{Matching, PolicyPair};
use super::{ClauseChange, ExprPair, Resolver};
use crate::error::{Clause, Result};
use crate::expr;
use crate::ir::{Column, Policy, Rls, RoleSpec, Schema, Table, TableName};

/// What the comparison decided for every pair of the match, in the match's order.
pub(super) struct Comparison {
    /// One per table of [`Matching::tables`].
    pub rls: Vec<RlsDelta>,
    /// One per policy pair of [`Matching::policies`].
    pub policies: Vec<PolicyDelta>,
}

/// A table's RLS flags that change: the new value of each flag that changes.
pub(super) struct RlsDelta {
    pub enabled: Option<bool>,
    pub forced: Option<bool>,
}

/// What changed in one matched policy.
pub(super) enum PolicyDelta {
    /// A change ALTER POLICY cannot make (command, permissiveness, a removed clause): the
    /// policy is dropped and created again, for this reason.
    Replace(String),
    /// Changed in place: renamed, clauses altered, comment changed (any, or none of them).
    Alter {
        renamed: bool,
        clauses: Vec<ClauseChange>,
        comment: bool,
    },
}

/// The comparison of one clause present on both sides.
#[derive(Clone)]
struct Verdict {
    /// Some(true) when proven equal, Some(false) when the stronger layer found them
    /// different, None when nothing could tell (counts as changed).
    equal: Option<bool>,
    /// The canonical texts (current, declared) when either is known: boxed, since most
    /// pairs of a large plan are textually equal and carry none (one pointer per verdict).
    canon: Option<Box<(Option<String>, Option<String>)>>,
}

impl Verdict {
    fn with_canon(equal: Option<bool>, cur: Option<String>, des: Option<String>) -> Verdict {
        let canon = (cur.is_some() || des.is_some()).then(|| Box::new((cur, des)));
        Verdict { equal, canon }
    }

    fn cur_canon(&self) -> Option<&String> {
        self.canon.as_ref().and_then(|c| c.0.as_ref())
    }

    fn des_canon(&self) -> Option<&String> {
        self.canon.as_ref().and_then(|c| c.1.as_ref())
    }
}

/// The USING and WITH CHECK verdicts of one matched policy: None when the clause is absent
/// on a side, or when the policy is replaced whatever its expressions say.
#[derive(Default)]
struct Verdicts {
    using: Option<Verdict>,
    check: Option<Verdict>,
}

/// Compares everything the match paired. Notes of the stronger layer (why it could not
/// compare a pair) are added to `warnings`.
pub(super) fn compare<'c>(
    matching: &Matching,
    current: &Schema,
    context: &dyn Fn(Option<&HashSet<String>>) -> &'c Schema,
    resolver: Option<&mut dyn Resolver>,
    warnings: &mut Vec<String>,
) -> Result<Comparison> {
    let rls = matching
        .tables
        .iter()
        .map(|t| compare_rls(t.cur, t.des))
        .collect();
    let verdicts = compare_expressions(
        matching,
        current.is_introspected(),
        context,
        &super::search_path_of(current),
        resolver,
        warnings,
    )?;
    let db_user = current.database.as_ref().map(|d| d.current_user.as_str());
    let policies = matching
        .policies
        .iter()
        .zip(&verdicts)
        .map(|(pair, v)| compare_policy(pair, v, db_user))
        .collect();
    Ok(Comparison { rls, policies })
}

/// A flag the declaration leaves unspecified stays as it is; a table the current side lacks
/// starts with both flags off; a table a declaration drops (pruning) is taken back to both
/// off, a change marked as weakening.
fn compare_rls(cur: Option<&Table>, des: Option<&Table>) -> RlsDelta {
    let cur_rls = cur.map(|t| t.rls).unwrap_or_default();
    let des_rls = match des {
        Some(t) => t.rls,
        None => Rls::new(false, false),
    };
    let change =
        |want: Option<bool>, have: Option<bool>| want.filter(|want| have.unwrap_or(false) != *want);
    RlsDelta {
        enabled: change(des_rls.enabled, cur_rls.enabled),
        forced: change(des_rls.forced, cur_rls.forced),
    }
}

/// The expressions of every matched policy that keeps its command and permissiveness:
/// identical texts are equal; otherwise both are canonicalized offline (the current text
/// as PostgreSQL prints it when introspected, as declared otherwise), and the pairs that
/// are not proven equal go to `resolver`, when there is one.
fn compare_expressions<'c>(
    matching: &Matching,
    current_introspected: bool,
    context: &dyn Fn(Option<&HashSet<String>>) -> &'c Schema,
    search_path: &[String],
    resolver: Option<&mut dyn Resolver>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Verdicts>> {
    let no_database = resolver.is_none();
    let pairs = &matching.policies;
    let mut verdicts: Vec<Verdicts> = Vec::with_capacity(pairs.len());
    // The pairs for the resolver (only when there is one), and where each verdict goes.
    let mut pending: Vec<(usize, Clause)> = Vec::new();
    let mut exprs: Vec<ExprPair> = Vec::new();
    // The context holds only the tables the differing expressions can name.
    let names = std::cell::OnceCell::new();
    let context = || context(names.get_or_init(|| differing_names(matching)).as_ref());
    // Each distinct pair is canonicalized once: pairs proven equal, by what that depends on.
    let by_name = std::cell::OnceCell::new();
    let mut settled: HashSet<SettledKey> = HashSet::new();
    for (i, m) in pairs.iter().enumerate() {
        let table = matching.table_of(m);
        // None for both clauses when the policy is replaced whatever they say.
        let mut v = Verdicts::default();
        for (clause, c, d) in clause_texts(m) {
            let key = (c != d)
                .then(|| settled_key(c, d, table, context(), &by_name))
                .flatten();
            let verdict = if c == d || key.as_ref().is_some_and(|k| settled.contains(k)) {
                Verdict {
                    equal: Some(true),
                    canon: None,
                }
            } else {
                let context = context();
                let catalog = &context.catalog;
                let ctx = expr::Context {
                    table,
                    schema: context,
                    search_path,
                };
                // The origin of each text decides how its parentheses read.
                let cc = if current_introspected {
                    expr::canon::canonicalize_stored(c, &ctx, catalog)
                } else {
                    expr::canon::canonicalize_declared(c, &ctx, catalog)
                };
                let dc = expr::canon::canonicalize_declared(d, &ctx, catalog);
                let equal = match (&cc, &dc) {
                    (Ok(a), Ok(b)) if a == b => Some(true),
                    _ => None,
                };
                if equal.is_none() && no_database {
                    if let Some(note) = unreadable_pair(table, m, clause, &cc, &dc) {
                        warnings.push(note);
                    }
                }
                if let (Some(true), Some(key)) = (equal, key) {
                    settled.insert(key);
                }
                let (cc, dc) = (cc.ok(), dc.ok());
                if equal.is_none() && !no_database {
                    pending.push((i, clause));
                    exprs.push(ExprPair {
                        table: table.clone(),
                        policy: m.des.name.clone(),
                        clause,
                        current: c.to_string(),
                        desired: d.to_string(),
                    });
                }
                Verdict::with_canon(equal, cc, dc)
            };
            match clause {
                Clause::Using => v.using = Some(verdict),
                _ => v.check = Some(verdict),
            }
        }
        verdicts.push(v);
    }
    if let (Some(r), false) = (resolver, pending.is_empty()) {
        let res = r.resolve(&exprs, context())?;
        drop(exprs);
        for ((i, clause), res) in pending.iter().zip(res) {
            if let Some(note) = &res.note {
                warnings.push(note.clone());
            }
            let v = match clause {
                Clause::Using => verdicts[*i].using.as_mut(),
                _ => verdicts[*i].check.as_mut(),
            }
            .expect("pending verdict");
            v.equal = Some(res.equal);
            if res.current_canonical.is_some() {
                *v = Verdict::with_canon(v.equal, res.current_canonical, res.desired_canonical);
            }
        }
    }
    Ok(verdicts)
}

/// The clauses of a matched policy that both sides have, as (current, declared) texts;
/// none when the command or permissiveness differs (the policy is replaced whatever its
/// expressions say).
fn clause_texts<'p>(m: &PolicyPair<'p>) -> impl Iterator<Item = (Clause, &'p str, &'p str)> {
    let same_kind = m.cur.command == m.des.command && m.cur.permissive == m.des.permissive;
    [
        (Clause::Using, &m.cur.using, &m.des.using),
        (Clause::WithCheck, &m.cur.with_check, &m.des.with_check),
    ]
    .into_iter()
    .filter_map(move |(clause, c, d)| match (c, d) {
        (Some(c), Some(d)) if same_kind => Some((clause, c.as_str(), d.as_str())),
        _ => None,
    })
}

/// What the offline verdict on a pair depends on, besides the catalog and the search path
/// (one for the whole comparison): both texts, the policy's schema and its table's
/// columns, and each table the texts can name (a word or identifier of theirs) with its
/// columns. Two pairs with the same key get the same verdict, so a pair proven equal
/// proves every pair of its key (the same policies on many tables of one shape).
#[derive(PartialEq, Eq, Hash)]
struct SettledKey<'a> {
    cur: &'a str,
    des: &'a str,
    schema: &'a str,
    columns: Option<&'a [Column]>,
    named: Vec<(&'a str, &'a str, &'a [Column])>,
}

/// The context's tables by name, folded to lower case.
type ByName<'a> = HashMap<String, Vec<&'a Table>>;

/// The key of a pair (None when a text does not lex: it is canonicalized on its own).
fn settled_key<'a>(
    cur: &'a str,
    des: &'a str,
    table: &'a TableName,
    context: &'a Schema,
    by_name: &std::cell::OnceCell<ByName<'a>>,
) -> Option<SettledKey<'a>> {
    let by_name = by_name.get_or_init(|| {
        let mut m: ByName = HashMap::new();
        for t in &context.tables {
            m.entry(t.name.to_lowercase()).or_default().push(t);
        }
        m
    });
    let mut named = Vec::new();
    for text in [cur, des] {
        for word in text_names(text)? {
            for found in by_name.get(&word).into_iter().flatten() {
                named.push((
                    found.schema.as_str(),
                    found.name.as_str(),
                    &found.columns[..],
                ));
            }
        }
    }
    named.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    named.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    Some(SettledKey {
        cur,
        des,
        schema: &table.schema,
        columns: context
            .table(&table.schema, &table.name)
            .map(|t| &t.columns[..]),
        named,
    })
}

/// Every name the differing expressions of the match can use for a table (each word and
/// quoted identifier, folded to lower case, and their policies' tables): a table whose
/// name is not among them cannot be read by any expression that is canonicalized or
/// compared. None (every table) when a text does not lex, or spells an identifier in a
/// form not read here (`U&"..."`).
fn differing_names(matching: &Matching) -> Option<HashSet<String>> {
    let mut names = HashSet::new();
    for m in &matching.policies {
        for (_, c, d) in clause_texts(m) {
            if c == d {
                continue;
            }
            names.insert(matching.table_of(m).name.to_lowercase());
            for text in [c, d] {
                names.extend(text_names(text)?);
            }
        }
    }
    Some(names)
}

/// Every name a text can use for a table: each word and quoted identifier, folded to
/// lower case (over-inclusive: a column named like a table counts). None when the text
/// does not lex, or spells an identifier in a form not read here (`U&"..."`).
fn text_names(text: &str) -> Option<Vec<String>> {
    let tokens = crate::sql::lex::tokenize(text).ok()?;
    // `U&"..."` lexes as `U`, `&`, a quoted identifier with escapes.
    let unicode = tokens.windows(3).any(|w| {
        w[0].text(text).eq_ignore_ascii_case("u")
            && w[1].text(text) == "&"
            && w[2].kind == crate::sql::lex::Kind::Quoted
            && w[0].end == w[1].start
            && w[1].end == w[2].start
    });
    if unicode {
        return None;
    }
    Some(
        tokens
            .iter()
            .filter_map(|t| t.ident(text))
            .map(|n| n.to_lowercase())
            .collect(),
    )
}

/// A pair that counts as changed only because pgpolicy's parser cannot read one of its
/// texts (grammar PostgreSQL has and the parser lacks), with no database to compare on:
/// said, naming the table, the policy, the clause and the side, so that a plan made
/// without a database never silently rewrites a clause it could not read.
fn unreadable_pair(
    table: &crate::ir::TableName,
    m: &PolicyPair,
    clause: Clause,
    cur: &std::result::Result<String, expr::canon::Undecidable>,
    des: &std::result::Result<String, expr::canon::Undecidable>,
) -> Option<String> {
    let unreadable = |r: &std::result::Result<String, expr::canon::Undecidable>| match r {
        Err(u @ expr::canon::Undecidable::Parse(_)) => Some(u.to_string()),
        _ => None,
    };
    let sides: Vec<String> = [("current", unreadable(cur)), ("declared", unreadable(des))]
        .into_iter()
        .filter_map(|(side, why)| why.map(|w| format!("the {side} expression ({w})")))
        .collect();
    if sides.is_empty() {
        return None;
    }
    Some(format!(
        "table {}, policy {:?}, clause {clause}: pgpolicy's parser cannot read {} and no \
         database was given to compare on; the clause counts as changed (compare with a \
         database connection or a dev database to settle it)",
        table,
        m.des.name,
        sides.join(" nor ")
    ))
}

/// Replaced (with the reason) or altered: a renamed policy, roles compared as a set (a
/// declared CURRENT_USER matches the role that read the database), a clause added or
/// not proven equal, a changed comment.
fn compare_policy(m: &PolicyPair, v: &Verdicts, db_user: Option<&str>) -> PolicyDelta {
    let (cp, dp) = (m.cur, m.des);
    if let Some(reason) = replace_reason(cp, dp) {
        return PolicyDelta::Replace(reason);
    }
    let mut clauses = Vec::new();
    if !same_roles(&cp.roles, &dp.roles, db_user) {
        clauses.push(ClauseChange {
            clause: Clause::Roles,
            from: Some(crate::sql::quote::roles(&cp.roles)),
            to: Some(crate::sql::quote::roles(&dp.roles)),
            from_canonical: None,
            to_canonical: None,
        });
    }
    for (clause, v, c, d) in [
        (Clause::Using, &v.using, &cp.using, &dp.using),
        (Clause::WithCheck, &v.check, &cp.with_check, &dp.with_check),
    ] {
        let changed = match (c, d, v) {
            (None, None, _) => false,
            (None, Some(_), _) => true,
            (Some(_), Some(_), Some(v)) => v.equal != Some(true),
            _ => false,
        };
        if changed {
            clauses.push(ClauseChange {
                clause,
                from: c.clone(),
                to: d.clone(),
                from_canonical: v.as_ref().and_then(|v| v.cur_canon().cloned()),
                to_canonical: v.as_ref().and_then(|v| v.des_canon().cloned()),
            });
        }
    }
    PolicyDelta::Alter {
        renamed: m.renamed,
        clauses,
        comment: cp.comment != dp.comment,
    }
}

/// Why a policy must be replaced: what ALTER POLICY cannot change.
fn replace_reason(cp: &Policy, dp: &Policy) -> Option<String> {
    let removed = |c: &Option<String>, d: &Option<String>| c.is_some() && d.is_none();
    if cp.command != dp.command {
        Some(format!("command {} -> {}", cp.command, dp.command))
    } else if cp.permissive != dp.permissive {
        Some(
            if dp.permissive {
                "restrictive -> permissive"
            } else {
                "permissive -> restrictive"
            }
            .to_string(),
        )
    } else if removed(&cp.using, &dp.using) {
        Some("USING removed".into())
    } else if removed(&cp.with_check, &dp.with_check) {
        Some("WITH CHECK removed".into())
    } else {
        None
    }
}

/// Roles as a set; a declared CURRENT_USER matches the role that read the database.
fn same_roles(cur: &[RoleSpec], des: &[RoleSpec], db_user: Option<&str>) -> bool {
    let norm = |v: &[RoleSpec]| -> BTreeSet<RoleSpec> {
        v.iter()
            .map(|r| match (r, db_user) {
                (RoleSpec::CurrentUser | RoleSpec::CurrentRole, Some(u)) => {
                    RoleSpec::Named(u.to_string())
                }
                _ => r.clone(),
            })
            .collect()
    };
    norm(cur) == norm(des)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff, Change};

    fn schema(using: &str) -> Schema {
        let mut tables = vec![
            serde_json::json!({"name": "Members", "rls": {"enabled": true}, "columns": [
                {"name": "org_id", "type": "integer", "nullable": false},
                {"name": "user_id", "type": "integer", "nullable": false}]}),
            serde_json::json!({"name": "docs", "rls": {"enabled": true}, "columns": [
                {"name": "id", "type": "integer", "nullable": false},
                {"name": "org_id", "type": "integer", "nullable": false}],
                "policies": [{"name": "by_org", "using": using}]}),
        ];
        for k in 0..50 {
            tables.push(serde_json::json!({"name": format!("other{k}"), "columns": [
                {"name": "id", "type": "integer", "nullable": false}]}));
        }
        Schema::from_json(&serde_json::json!({ "tables": tables }).to_string()).unwrap()
    }

    /// The comparison's context holds only the tables the differing expressions name, and
    /// a table named in a sub-select (quoted, mixed case) is among them: the two spellings
    /// are proven equal offline, which needs that table's columns.
    #[test]
    fn the_context_keeps_the_tables_an_expression_names() {
        let current = schema(r#"org_id IN (SELECT org_id FROM "Members" WHERE user_id = 1)"#);
        let desired = schema(
            r#"(org_id in ( select "Members".org_id from "Members" where ("Members".user_id = 1) ))"#,
        );
        let plan = diff(&current, &desired, &Default::default()).unwrap();
        assert!(
            !plan
                .changes
                .iter()
                .any(|c| matches!(c, Change::AlterPolicy { .. })),
            "{:?}",
            plan.changes
        );
        let changed = schema(r#"org_id IN (SELECT org_id FROM "Members" WHERE user_id = 2)"#);
        let plan = diff(&current, &changed, &Default::default()).unwrap();
        assert!(plan
            .changes
            .iter()
            .any(|c| matches!(c, Change::AlterPolicy { .. })));
    }

    /// A pair proven equal on one table proves the same pair on a table of the same
    /// shape, never on a table whose columns differ.
    #[test]
    fn a_settled_pair_is_reused_only_for_tables_of_the_same_shape() {
        let decl = |text: &str| {
            let mut tables = Vec::new();
            for (name, ty) in [("a1", "integer"), ("b", "text"), ("a2", "integer")] {
                tables.push(serde_json::json!({"name": name, "columns": [
                    {"name": "x", "type": ty, "nullable": false}],
                    "policies": [{"name": "p", "using": text}]}));
            }
            Schema::from_json(&serde_json::json!({ "tables": tables }).to_string()).unwrap()
        };
        let plan = diff(&decl("x = 1"), &decl("x = '1'"), &Default::default()).unwrap();
        let altered: Vec<String> = plan
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::AlterPolicy { table, .. } => Some(table.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(altered, ["b"], "{:?}", plan.changes);
    }

    #[test]
    fn differing_names_are_the_words_of_differing_texts() {
        let current = schema(r#"org_id IN (SELECT org_id FROM "Members" WHERE user_id = 1)"#);
        let desired =
            schema(r#"org_id IN (SELECT org_id FROM public."Members" WHERE user_id = 2)"#);
        let matching = super::super::matching::match_schemas(&current, &desired, false);
        let names = differing_names(&matching).unwrap();
        for n in ["docs", "members", "public", "org_id", "user_id"] {
            assert!(names.contains(n), "{n} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.starts_with("other")), "{names:?}");
        // Equal texts name nothing.
        let same = super::super::matching::match_schemas(&current, &current, false);
        assert_eq!(differing_names(&same), Some(HashSet::new()));
        // A spelling this does not read means every table.
        let unicode = schema(r#"org_id IN (SELECT org_id FROM U&"Members" WHERE user_id = 1)"#);
        let matching = super::super::matching::match_schemas(&current, &unicode, false);
        assert_eq!(differing_names(&matching), None);
    }
}
