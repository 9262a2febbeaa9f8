//! Quoting of identifiers and literals, following PostgreSQL's `quote_ident` and
//! `quote_literal`: an identifier is left bare only when it is lower-case ASCII letters,
//! digits and underscores, does not start with a digit, and is not a keyword that the
//! grammar reserves in any position.

use std::fmt::Write;

/// Keywords that are not UNRESERVED in PostgreSQL 15 (`pg_get_keywords()` catcode R, C, T).
const NEEDS_QUOTES: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Whether `name` can be written without double quotes and mean exactly `name`.
pub fn is_bare(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    NEEDS_QUOTES.binary_search(&name).is_err()
}

/// The SQL form of an identifier: bare when safe, else double-quoted with `"` doubled.
pub fn ident(name: &str) -> String {
    if is_bare(name) {
        return name.to_string();
    }
    let mut s = String::with_capacity(name.len() + 2);
    s.push('"');
    for c in name.chars() {
        if c == '"' {
            s.push('"');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// A string literal (standard_conforming_strings on): single quotes doubled. Text with
/// a backslash uses the E'' form so that it means the same whatever that setting is.
pub fn literal(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 3);
    if value.contains('\\') {
        s.push('E');
    }
    s.push('\'');
    for c in value.chars() {
        match c {
            '\'' => s.push_str("''"),
            '\\' => s.push_str("\\\\"),
            _ => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// A role in a `TO` list or grantee position.
pub fn role(spec: &crate::ir::RoleSpec) -> String {
    use crate::ir::RoleSpec::*;
    match spec {
        Public => "PUBLIC".into(),
        CurrentUser => "CURRENT_USER".into(),
        CurrentRole => "CURRENT_ROLE".into(),
        SessionUser => "SESSION_USER".into(),
        Named(n) => ident(n),
    }
}

/// Comma-separated roles.
pub fn roles(specs: &[crate::ir::RoleSpec]) -> String {
    let mut s = String::new();
    for (i, r) in specs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}", role(r));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted() {
        let mut sorted = NEEDS_QUOTES.to_vec();
        sorted.sort();
        assert_eq!(sorted, NEEDS_QUOTES);
    }

    #[test]
    fn quoting() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("tenantId"), "\"tenantId\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("select"), "\"select\"");
        assert_eq!(ident("name"), "name");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("1a"), "\"1a\"");
        assert_eq!(ident("a$b"), "\"a$b\"");
        assert_eq!(ident("café"), "\"café\"");
        assert_eq!(ident(""), "\"\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
    }
}
