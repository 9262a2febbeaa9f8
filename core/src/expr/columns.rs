//! Unknown columns in policy expressions, found before anything reaches a database: for
//! declarations that know their tables' columns (ORM models), a typo (`tenant_idd`) or an
//! unquoted camelCase name (`tenantId`, which PostgreSQL folds to `tenantid`) is an error
//! at declaration time, with a "did you mean".
//!
//! Best effort, never a false alarm: the expression is resolved by the canonicalizer
//! (PostgreSQL's column resolution), and only its definite verdict "column ... does not
//! exist" is reported, and only when every table the expression may read has its columns
//! declared (a table known by name only accepts any column).

use crate::error::{Clause, ValidationError};
use crate::expr::canon::{self, Context, Undecidable};
use crate::ir::{Schema, Table, TableName};
use crate::session::SEARCH_PATH;

/// Every unknown column in the policies of `schema`'s tables that have columns declared,
/// one error (code `UNKNOWN_COLUMN`) per clause.
pub fn unknown_columns(schema: &Schema) -> Vec<ValidationError> {
    let all_known = schema.tables.iter().all(|t| !t.columns.is_empty());
    let search_path = [SEARCH_PATH.to_string()];
    let mut out = Vec::new();
    for table in schema.tables.iter().filter(|t| !t.columns.is_empty()) {
        let name = TableName::new(&table.schema, &table.name);
        let ctx = Context {
            table: &name,
            schema,
            search_path: &search_path,
        };
        for p in &table.policies {
            for (clause, text) in [
                (Clause::Using, &p.using),
                (Clause::WithCheck, &p.with_check),
            ] {
                let Some(text) = text.as_deref() else {
                    continue;
                };
                let Err(why) = canon::canonicalize_declared(text, &ctx, &schema.catalog) else {
                    continue;
                };
                let Some((qualifier, column)) = missing_column(&why) else {
                    continue;
                };
                // A sub-select may read a table whose columns are not declared, where the
                // canonicalizer's verdict is not definite.
                if !all_known && has_subselect(text) {
                    continue;
                }
                let target = match qualifier {
                    None => Some(table),
                    Some(q) => schema.tables.iter().find(|t| t.name == q),
                };
                out.push(ValidationError {
                    code: "UNKNOWN_COLUMN",
                    table: Some(format!("{}.{}", table.schema, table.name)),
                    policy: Some(p.name.clone()),
                    clause: Some(clause),
                    message: message(qualifier, column, target, schema),
                });
            }
        }
    }
    out
}

/// The column the canonicalizer says does not exist, with its qualifier as written. Names
/// that would need quotes to read back (a space or a dot in them) are left to PostgreSQL.
fn missing_column(u: &Undecidable) -> Option<(Option<&str>, &str)> {
    let Undecidable::UnknownColumn { qualifier, column } = u else {
        return None;
    };
    let plain = |s: &str| !s.contains(' ') && !s.contains('.');
    if !plain(column) || !qualifier.as_deref().is_none_or(plain) {
        return None;
    }
    Some((qualifier.as_deref(), column))
}

fn has_subselect(text: &str) -> bool {
    text.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|w| w == "select")
}

fn message(
    qualifier: Option<&str>,
    column: &str,
    table: Option<&Table>,
    schema: &Schema,
) -> String {
    let written = match qualifier {
        Some(q) => format!("{q}.{column}"),
        None => column.to_string(),
    };
    let mut m = match table {
        Some(t) => format!(
            "column {written} does not exist in table {}.{}",
            t.schema, t.name
        ),
        None => format!("column {written} does not exist"),
    };
    // The columns it may have meant: the table's, or (behind an alias) any table's.
    let candidates: Vec<&str> = match table {
        Some(t) => t.columns.iter().map(|c| c.name.as_str()).collect(),
        None => schema
            .tables
            .iter()
            .flat_map(|t| t.columns.iter().map(|c| c.name.as_str()))
            .collect(),
    };
    // Unquoted names are folded to lower case: `tenantId` reads as `tenantid`.
    if let Some(c) = candidates
        .iter()
        .find(|c| **c != column && c.to_lowercase() == column)
    {
        m.push_str(&format!(
            "; did you mean {}? Unquoted names are folded to lower case: write it in double quotes",
            crate::sql::quote::ident(c)
        ));
        return m;
    }
    let best = candidates
        .iter()
        .map(|c| (distance(&c.to_lowercase(), column), *c))
        .filter(|(d, name)| *d <= 2.max(name.len() / 3))
        .min_by_key(|(d, _)| *d);
    match (best, table) {
        (Some((_, name)), _) => m.push_str(&format!(
            "; did you mean {}?",
            crate::sql::quote::ident(name)
        )),
        (None, Some(_)) => {
            let names: Vec<String> = candidates
                .iter()
                .map(|c| crate::sql::quote::ident(c))
                .collect();
            m.push_str(&format!(" (its columns: {})", names.join(", ")));
        }
        (None, None) => {}
    }
    m
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(json: &str) -> Schema {
        Schema::from_json(json).unwrap()
    }

    fn docs(using: &str, extra_tables: &str) -> Schema {
        schema(&format!(
            r#"{{"tables": [
                {{"schema": "public", "name": "documents",
                  "columns": [{{"name": "id", "type": "integer"}}, {{"name": "tenant_id", "type": "integer"}},
                              {{"name": "ownerId", "type": "integer"}}],
                  "policies": [{{"name": "p", "using": {using:?}}}]}},
                {{"schema": "public", "name": "memberships",
                  "columns": [{{"name": "id", "type": "integer"}}, {{"name": "document_id", "type": "integer"}}]}}
                {extra_tables}
            ]}}"#
        ))
    }

    #[test]
    fn typos_and_unquoted_camel_case() {
        let e = unknown_columns(&docs("tenant_idd = 1", ""));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].code, "UNKNOWN_COLUMN");
        assert_eq!(e[0].clause, Some(Clause::Using));
        assert_eq!(e[0].policy.as_deref(), Some("p"));
        assert!(
            e[0].message
                .contains("column tenant_idd does not exist in table public.documents; did you mean tenant_id?"),
            "{}",
            e[0].message
        );
        let e = unknown_columns(&docs("ownerId = 1", ""));
        assert!(
            e[0].message.contains("did you mean \"ownerId\"?")
                && e[0].message.contains("double quotes"),
            "{}",
            e[0].message
        );
        let e = unknown_columns(&docs("zzz = 1", ""));
        assert!(
            e[0].message.contains("its columns: id, tenant_id"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn known_columns_and_sub_selects() {
        assert!(unknown_columns(&docs("tenant_id = 1 AND \"ownerId\" = 2", "")).is_empty());
        let sub = "EXISTS (SELECT 1 FROM memberships m WHERE m.document_id = documents.id)";
        assert!(unknown_columns(&docs(sub, "")).is_empty());
        let bad = "EXISTS (SELECT 1 FROM memberships m WHERE m.documentid = documents.id)";
        let e = unknown_columns(&docs(bad, ""));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message.contains("did you mean document_id?"),
            "{}",
            e[0].message
        );
        // A table without declared columns: no verdict on sub-selects.
        let other = r#", {"schema": "public", "name": "teams", "columns": []}"#;
        assert!(unknown_columns(&docs(bad, other)).is_empty());
        // Functions the canonicalizer does not know, unknown tables: no false alarm.
        assert!(unknown_columns(&docs("my_fn(tenant_id)", "")).is_empty());
        let unknown_table = "EXISTS (SELECT 1 FROM elsewhere e WHERE e.x = documents.id)";
        assert!(unknown_columns(&docs(unknown_table, "")).is_empty());
    }

    #[test]
    fn tables_without_columns_are_not_checked() {
        let s = schema(
            r#"{"tables": [{"schema": "public", "name": "t", "columns": [],
                "policies": [{"name": "p", "using": "anything = 1"}]}]}"#,
        );
        assert!(unknown_columns(&s).is_empty());
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("tenant_idd", "tenant_id"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
