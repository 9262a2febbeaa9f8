//! Validation of a declaration. Every error names the table, the policy and the clause;
//! all errors are collected, not only the first.

use std::collections::BTreeSet;

use crate::error::{Clause, Error, ValidationError};
use crate::ir::*;

/// PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

pub fn validate(schema: &Schema) -> Result<(), Error> {
    let errors = check(schema);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

fn err(
    code: &'static str,
    table: Option<&Table>,
    policy: Option<&str>,
    clause: Option<Clause>,
    message: String,
) -> ValidationError {
    ValidationError {
        code,
        table: table.map(|t| t.display_name()),
        policy: policy.map(str::to_string),
        clause,
        message,
    }
}

fn too_long(what: &str, name: &str) -> Option<String> {
    (name.len() > MAX_IDENTIFIER_BYTES).then(|| {
        format!(
            "{what} {name:?} is {} bytes long; PostgreSQL identifiers are at most {MAX_IDENTIFIER_BYTES} bytes",
            name.len()
        )
    })
}

/// Words that may follow the first word of a multi-word built-in type name
/// (`double precision`, `character varying`, `timestamp(3) with time zone`, `interval
/// day to second`, `bit varying`).
const TYPE_WORDS: &[&str] = &[
    "precision",
    "varying",
    "with",
    "without",
    "time",
    "zone",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "to",
    "character",
    "char",
];
pub(crate) const MULTIWORD_STARTS: &[&str] = &[
    "double",
    "character",
    "char",
    "national",
    "nchar",
    "bit",
    "timestamp",
    "time",
    "interval",
];

/// A function's argument types as its identity in the catalog: each checked to be a type
/// name, then spelled as `format_type` prints it (`int` → `integer`, modifiers dropped).
pub fn function_args(args: &[String]) -> Result<Vec<String>, String> {
    args.iter()
        .map(|a| {
            type_name(a)?;
            crate::expr::canon::argument_type(a)
                .map_err(|e| format!("the argument type {a:?} cannot be read ({e})"))
        })
        .collect()
}

/// Checks that a column type is a type name as PostgreSQL's grammar reads one, and
/// nothing else: a possibly qualified name (or a multi-word built-in name), an optional
/// type modifier in one pair of parentheses, and array bounds. Column constraints,
/// defaults, collations, strings, a second column and statements are refused.
pub fn type_name(text: &str) -> Result<(), String> {
    use crate::sql::lex::{tokenize, Kind};
    let bad = |why: &str| Err(format!("the type {text:?} is not a type name ({why})"));
    let tokens = match tokenize(text) {
        Ok(t) => t,
        Err(e) => return bad(&e.message),
    };
    if tokens.is_empty() {
        return bad("it is empty");
    }
    let mut i = 0;
    let word = |i: usize| {
        tokens
            .get(i)
            .filter(|t| t.kind == Kind::Word)
            .map(|t| t.text(text).to_ascii_lowercase())
    };
    // The name: ident(.ident)*
    let first = word(0);
    loop {
        match tokens.get(i).map(|t| t.kind) {
            Some(Kind::Word | Kind::Quoted) => i += 1,
            _ => return bad("expected a name"),
        }
        if tokens.get(i).map(|t| t.kind) == Some(Kind::Dot) {
            i += 1;
        } else {
            break;
        }
    }
    let multi = i == 1
        && first
            .as_deref()
            .is_some_and(|w| MULTIWORD_STARTS.contains(&w));
    let mut seen_typmod = false;
    while i < tokens.len() {
        let t = &tokens[i];
        match t.kind {
            Kind::Word
                if multi && TYPE_WORDS.contains(&t.text(text).to_ascii_lowercase().as_str()) =>
            {
                i += 1
            }
            Kind::LParen if !seen_typmod => {
                seen_typmod = true;
                i += 1;
                loop {
                    match tokens.get(i).map(|t| (t.kind, t.text(text))) {
                        Some((Kind::Number | Kind::Word | Kind::Quoted | Kind::Comma, _)) => i += 1,
                        Some((Kind::Op, "-" | "+")) => i += 1,
                        Some((Kind::RParen, _)) => {
                            i += 1;
                            break;
                        }
                        _ => return bad("unexpected text in the type modifier"),
                    }
                }
            }
            Kind::Op if t.text(text) == "[" => {
                i += 1;
                if tokens.get(i).map(|t| t.kind) == Some(Kind::Number) {
                    i += 1;
                }
                match tokens.get(i) {
                    Some(t) if t.kind == Kind::Op && t.text(text) == "]" => i += 1,
                    _ => return bad("unclosed array bound"),
                }
            }
            Kind::Word if t.text(text).eq_ignore_ascii_case("array") => {
                i += 1;
            }
            _ => return bad(&format!("unexpected {:?}", t.text(text))),
        }
    }
    Ok(())
}

/// All validation errors of a schema.
pub fn check(schema: &Schema) -> Vec<ValidationError> {
    let mut out = Vec::new();
    let managed_roles: Option<BTreeSet<&str>> =
        (!schema.roles.is_empty()).then(|| schema.roles.iter().map(|r| r.name.as_str()).collect());
    let mut seen_tables = BTreeSet::new();
    let rule_ids = crate::lint::rule_ids();
    let lint_allow = |out: &mut Vec<ValidationError>,
                      t: &Table,
                      p: Option<&str>,
                      ids: &[String]| {
        for id in ids {
            if id != "all" && !rule_ids.contains_key(id.as_str()) {
                out.push(err(
                    "UNKNOWN_LINT_RULE",
                    Some(t),
                    p,
                    Some(Clause::Lint),
                    format!("lint_allow names {id:?}, which is not a lint rule (see docs/lints.md), nor `all`"),
                ));
            }
        }
    };
    for t in &schema.tables {
        lint_allow(&mut out, t, None, &t.lint_allow);
        for p in &t.policies {
            lint_allow(&mut out, t, Some(&p.name), &p.lint_allow);
        }
        if !seen_tables.insert((&t.schema, &t.name)) {
            out.push(err(
                "DUPLICATE_TABLE",
                Some(t),
                None,
                Some(Clause::Table),
                "the table is declared twice".into(),
            ));
        }
        for (what, name) in [("schema name", &t.schema), ("table name", &t.name)] {
            if let Some(m) = too_long(what, name) {
                out.push(err(
                    "IDENTIFIER_TOO_LONG",
                    Some(t),
                    None,
                    Some(Clause::Table),
                    m,
                ));
            }
            if name.is_empty() {
                out.push(err(
                    "EMPTY_NAME",
                    Some(t),
                    None,
                    Some(Clause::Table),
                    format!("the {what} is empty"),
                ));
            }
        }
        for c in &t.columns {
            if let Some(m) = too_long("column name", &c.name) {
                out.push(err(
                    "IDENTIFIER_TOO_LONG",
                    Some(t),
                    None,
                    Some(Clause::Table),
                    m,
                ));
            }
            if let Err(m) = type_name(&c.data_type) {
                out.push(err(
                    "INVALID_COLUMN_TYPE",
                    Some(t),
                    None,
                    Some(Clause::Table),
                    format!("column {:?}: {m}", c.name),
                ));
            }
        }
        // A declaration that turns RLS off and declares policies says two things that cannot
        // both hold: the policies would exist and never apply. (A database may be in that
        // state; what was read from one is not refused.)
        let rls_off = t.rls.enabled == Some(false) && !schema.is_introspected();
        let mut names = BTreeSet::new();
        for p in &t.policies {
            let pn = Some(p.name.as_str());
            if rls_off {
                out.push(err(
                    "POLICY_WITH_RLS_OFF",
                    Some(t),
                    pn,
                    Some(Clause::Table),
                    "row-level security is declared off on this table, so the policy would never apply; declare RLS on or remove the policy".into(),
                ));
            }
            if !names.insert(p.name.as_str()) {
                out.push(err(
                    "DUPLICATE_POLICY",
                    Some(t),
                    pn,
                    Some(Clause::Name),
                    "policy names must be unique per table; this name is used twice".into(),
                ));
            }
            if p.name.is_empty() {
                out.push(err(
                    "EMPTY_NAME",
                    Some(t),
                    pn,
                    Some(Clause::Name),
                    "the policy name is empty".into(),
                ));
            }
            if let Some(m) = too_long("policy name", &p.name) {
                out.push(err(
                    "IDENTIFIER_TOO_LONG",
                    Some(t),
                    pn,
                    Some(Clause::Name),
                    m,
                ));
            }
            if let Some(old) = &p.renamed_from {
                if let Some(m) = too_long("renamed_from", old) {
                    out.push(err(
                        "IDENTIFIER_TOO_LONG",
                        Some(t),
                        pn,
                        Some(Clause::Name),
                        m,
                    ));
                }
            }
            if p.using.is_some() && !p.command.allows_using() {
                out.push(err(
                    "INSERT_WITH_USING",
                    Some(t),
                    pn,
                    Some(Clause::Using),
                    "an INSERT policy takes only WITH CHECK, not USING".into(),
                ));
            }
            if p.with_check.is_some() && !p.command.allows_with_check() {
                out.push(err(
                    if p.command == Command::Select {
                        "SELECT_WITH_CHECK"
                    } else {
                        "DELETE_WITH_CHECK"
                    },
                    Some(t),
                    pn,
                    Some(Clause::WithCheck),
                    format!("a {} policy takes only USING, not WITH CHECK", p.command),
                ));
            }
            for (clause, text) in [
                (Clause::Using, &p.using),
                (Clause::WithCheck, &p.with_check),
            ] {
                if let Some(text) = text {
                    if let Err(m) = crate::expr::validate(text) {
                        out.push(err("INVALID_EXPRESSION", Some(t), pn, Some(clause), m));
                    }
                }
            }
            for r in &p.roles {
                if let RoleSpec::Named(n) = r {
                    if let Some(m) = too_long("role name", n) {
                        out.push(err(
                            "IDENTIFIER_TOO_LONG",
                            Some(t),
                            pn,
                            Some(Clause::Roles),
                            m,
                        ));
                    }
                    if let Some(managed) = &managed_roles {
                        if !managed.contains(n.as_str()) {
                            out.push(err(
                                "UNKNOWN_ROLE",
                                Some(t),
                                pn,
                                Some(Clause::Roles),
                                format!("role {n:?} is not among the declared roles"),
                            ));
                        }
                    }
                }
            }
            if p.roles.len() > 1 && p.roles.contains(&RoleSpec::Public) {
                out.push(err(
                    "PUBLIC_WITH_ROLES",
                    Some(t),
                    pn,
                    Some(Clause::Roles),
                    "PUBLIC already includes every role; list it alone".into(),
                ));
            }
        }
    }
    let mut role_names = BTreeSet::new();
    for r in &schema.roles {
        let e = |code, m: String| ValidationError {
            code,
            table: None,
            policy: None,
            clause: Some(Clause::Role),
            message: m,
        };
        if !role_names.insert(r.name.as_str()) {
            out.push(e(
                "DUPLICATE_ROLE",
                format!("role {:?} is declared twice", r.name),
            ));
        }
        if let Some(m) = too_long("role name", &r.name) {
            out.push(e("IDENTIFIER_TOO_LONG", m));
        }
        if matches!(RoleSpec::parse(&r.name), RoleSpec::Named(_))
            && r.name.to_ascii_lowercase().starts_with("pg_")
        {
            out.push(e(
                "RESERVED_ROLE",
                format!("role name {:?} is reserved (pg_ prefix)", r.name),
            ));
        }
        if !matches!(RoleSpec::parse(&r.name), RoleSpec::Named(_))
            || r.name.eq_ignore_ascii_case("none")
        {
            out.push(e(
                "RESERVED_ROLE",
                format!("role name {:?} is reserved", r.name),
            ));
        }
        for g in r.membership_options.keys() {
            if !r.member_of.contains(g) {
                out.push(e(
                    "MEMBERSHIP_OPTIONS_WITHOUT_MEMBERSHIP",
                    format!(
                        "role {:?} declares options for a membership in {g:?}, which member_of does not list",
                        r.name
                    ),
                ));
            }
        }
        for g in &r.member_of {
            if g == &r.name {
                out.push(e(
                    "CIRCULAR_MEMBERSHIP",
                    format!("role {:?} cannot be a member of itself", r.name),
                ));
            }
            if let Some(m) = too_long("role name", g) {
                out.push(e("IDENTIFIER_TOO_LONG", m));
            }
        }
    }
    for g in &schema.grants {
        // A table grant's errors name the table; others name their object in the message.
        let (table, what) = match g.on {
            ObjectKind::Table => (Some(format!("{}.{}", g.schema, g.table)), String::new()),
            ObjectKind::Schema => (None, format!("schema {}: ", g.schema)),
            on => (None, format!("{} {}.{}: ", on.as_str(), g.schema, g.table)),
        };
        let grant_err = |code, message: String| ValidationError {
            code,
            table: table.clone(),
            policy: None,
            clause: Some(Clause::Grant),
            message: format!("{what}{message}"),
        };
        let mut names = vec![("schema name", &g.schema), ("table name", &g.table)];
        names.extend(g.columns.iter().map(|c| ("column name", c)));
        if let RoleSpec::Named(n) = &g.role {
            if managed_roles
                .as_ref()
                .is_some_and(|m| !m.contains(n.as_str()))
            {
                out.push(grant_err(
                    "UNKNOWN_ROLE",
                    format!("grant to role {n:?}, which is not among the declared roles"),
                ));
            }
            names.push(("role name", n));
        }
        for (what, name) in names {
            if let Some(m) = too_long(what, name) {
                out.push(grant_err("IDENTIFIER_TOO_LONG", m));
            }
        }
    }
    for d in &schema.default_privileges {
        let e = |code, message: String| ValidationError {
            code,
            table: None,
            policy: None,
            clause: Some(Clause::Grant),
            message: format!(
                "default privileges on {}: {message}",
                d.on.plural().to_ascii_lowercase()
            ),
        };
        let mut names: Vec<(&str, &String)> = Vec::new();
        if let RoleSpec::Named(n) = &d.role {
            names.push(("grantee", n));
        }
        if let Some(o) = &d.owner {
            names.push(("owner", o));
        }
        for (what, n) in names {
            if managed_roles
                .as_ref()
                .is_some_and(|m| !m.contains(n.as_str()))
            {
                out.push(e(
                    "UNKNOWN_ROLE",
                    format!("{what} {n:?} is not among the declared roles"),
                ));
            }
            if let Some(m) = too_long("role name", n) {
                out.push(e("IDENTIFIER_TOO_LONG", m));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::type_name;

    #[test]
    fn type_names() {
        for ok in [
            "integer",
            "character varying(255)",
            "timestamp(3) with time zone",
            "double precision",
            "interval day to second",
            "numeric(10,2)",
            "public.\"MyEnum\"",
            "\"char\"",
            "text[]",
            "integer[3][]",
            "bit varying(5)",
            "geometry(Point, 4326)",
            "int ARRAY",
            "uuid",
        ] {
            assert!(type_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "integer); COMMIT; DROP TABLE victim3; CREATE TABLE pwned(x int); --",
            "integer DEFAULT pg_sleep(10)",
            "integer, evil text",
            "text COLLATE \"C\"",
            "integer REFERENCES victim ON DELETE CASCADE",
            "int CHECK (false)",
            "",
            "'text'",
            "integer NOT NULL",
            "varchar(1) varying",
        ] {
            assert!(type_name(bad).is_err(), "{bad}");
        }
    }
}
