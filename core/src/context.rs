//! The runtime RLS context: the statements that set a role and settings for the rest of
//! the current transaction, and the statements that put the previous ones back when a
//! nested context ends. Written once here; the Python package (`rls_context`) and the Node
//! package (`withRlsContext`) run them on the user's connections.
//!
//! - Entering: `SET LOCAL ROLE <role>` (the role quoted by [`crate::sql::quote::ident`]),
//!   then one `SELECT pg_catalog.set_config($1, $2, true)` per setting, name and value bound.
//! - Before entering a nested context: [`Context::snapshot`] reads the role as `SET ROLE`
//!   left it (`current_setting('role')`, not `current_user`, which differs inside a
//!   `SECURITY DEFINER` function and cannot tell "no SET ROLE" from "SET ROLE to the login
//!   role") and the settings the context will change.
//! - Leaving a nested context: [`Context::restore`] sets them back (a released savepoint
//!   keeps `SET LOCAL` changes, so this is done by statements).
//!
//! Everything is `SET LOCAL` / `set_config(.., true)`: it ends with the transaction and
//! never stays on a pooled connection. A statement with parameters carries no text but its
//! placeholders (`$1`, `$2`, ...): user values are always bound, never spliced.

use crate::error::{Error, ValidationError};
use crate::sql::quote;

/// One statement to run, with its parameters (`$1`, `$2`, ... in order; `None` is NULL).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Option<String>>,
}

impl Statement {
    fn plain(sql: String) -> Statement {
        Statement {
            sql,
            params: Vec::new(),
        }
    }
}

/// What `current_setting('role')` says when no `SET ROLE` is in force (and what
/// `SET ROLE NONE` goes back to).
pub const NO_ROLE: &str = "none";

/// A role and settings to hold for the rest of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    role: Option<String>,
    settings: Vec<(String, Option<String>)>,
}

fn invalid(message: String) -> Error {
    Error::validation(ValidationError {
        code: "INVALID_CONTEXT",
        table: None,
        policy: None,
        clause: None,
        message,
    })
}

/// Whether `name` is a custom setting name as `set_config` accepts it and as an
/// application should write it: two or more dot-separated parts, each a plain identifier
/// (`app.current_tenant`). Built-in settings (`search_path`, `statement_timeout`, ...)
/// are not a context's business.
pub fn is_setting_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let mut cs = p.chars();
            matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

impl Context {
    /// A context setting `role` (`None`: the role is left as it is; `"none"`, any case:
    /// `SET LOCAL ROLE NONE`, back to the login role) and `settings` in order (a `None`
    /// value sets the empty string, which `current_setting(name, true)` also reads for a
    /// setting that was reset). Refuses setting names that are not `prefix.name`, names
    /// given twice, and empty role names or names with a NUL.
    pub fn new(
        role: Option<String>,
        settings: Vec<(String, Option<String>)>,
    ) -> Result<Context, Error> {
        if let Some(r) = &role {
            if r.is_empty() || r.contains('\0') {
                return Err(invalid(format!("invalid role name {r:?}")));
            }
        }
        for (i, (name, value)) in settings.iter().enumerate() {
            if !is_setting_name(name) {
                return Err(invalid(format!(
                    "invalid setting name {name:?}: expected a custom setting such as \
                     \"app.current_tenant\" (two or more dot-separated identifiers)"
                )));
            }
            if settings[..i]
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                return Err(invalid(format!("setting {name:?} given twice")));
            }
            if value.as_deref().is_some_and(|v| v.contains('\0')) {
                return Err(invalid(format!(
                    "the value of setting {name:?} contains a NUL character"
                )));
            }
        }
        Ok(Context { role, settings })
    }

    pub fn role(&self) -> Option<&str> {
        self.role.as_deref()
    }

    pub fn settings(&self) -> &[(String, Option<String>)] {
        &self.settings
    }

    /// The statements that put this context in force, in order.
    pub fn enter(&self) -> Vec<Statement> {
        let mut out = Vec::new();
        if let Some(r) = &self.role {
            out.push(role_statement(r));
        }
        out.extend(
            self.settings
                .iter()
                .map(|(n, v)| set_config(n, v.as_deref())),
        );
        out
    }

    /// The query that reads what [`Context::restore`] needs, before [`Context::enter`]:
    /// one row, the role as `SET ROLE` left it (`role`), then each setting of this context
    /// (`setting_1`, ...; `NULL` when it was never set).
    pub fn snapshot(&self) -> Statement {
        // Distinct column names: drivers that return rows as objects keep every column.
        let mut cols = vec!["pg_catalog.current_setting('role') AS role".to_string()];
        cols.extend(
            (1..=self.settings.len())
                .map(|i| format!("pg_catalog.current_setting(${i}, true) AS setting_{i}")),
        );
        Statement {
            sql: format!("SELECT {}", cols.join(", ")),
            params: self.settings.iter().map(|(n, _)| Some(n.clone())).collect(),
        }
    }

    /// The statements that leave this context for the one `row` ([`Context::snapshot`]'s
    /// row) describes: the role back if this context set one, and every setting it set.
    pub fn restore(&self, row: &[Option<String>]) -> Result<Vec<Statement>, Error> {
        if row.len() != self.settings.len() + 1 {
            return Err(invalid(format!(
                "expected a snapshot row of {} values, got {}",
                self.settings.len() + 1,
                row.len()
            )));
        }
        let mut out = Vec::new();
        if self.role.is_some() {
            out.push(role_statement(row[0].as_deref().unwrap_or(NO_ROLE)));
        }
        out.extend(
            self.settings
                .iter()
                .zip(&row[1..])
                .map(|((n, _), v)| set_config(n, v.as_deref())),
        );
        Ok(out)
    }
}

fn role_statement(role: &str) -> Statement {
    if role.eq_ignore_ascii_case(NO_ROLE) {
        Statement::plain("SET LOCAL ROLE NONE".to_string())
    } else {
        Statement::plain(format!("SET LOCAL ROLE {}", quote::ident(role)))
    }
}

fn set_config(name: &str, value: Option<&str>) -> Statement {
    Statement {
        sql: "SELECT pg_catalog.set_config($1, $2, true)".to_string(),
        params: vec![
            Some(name.to_string()),
            Some(value.unwrap_or("").to_string()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn ctx(role: Option<&str>, settings: &[(&str, Option<&str>)]) -> Result<Context, Error> {
        Context::new(
            role.map(str::to_string),
            settings
                .iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
                .collect(),
        )
    }

    #[test]
    fn enter_quotes_the_role_and_binds_settings() {
        let c = ctx(
            Some("App User\""),
            &[("app.current_tenant", Some("1")), ("app.reason", None)],
        )
        .unwrap();
        let e = c.enter();
        assert_eq!(
            e[0],
            Statement::plain("SET LOCAL ROLE \"App User\"\"\"".into())
        );
        assert_eq!(e[1].sql, "SELECT pg_catalog.set_config($1, $2, true)");
        assert_eq!(e[1].params, vec![s("app.current_tenant"), s("1")]);
        assert_eq!(e[2].params, vec![s("app.reason"), s("")]);
        assert_eq!(
            ctx(Some("app_user"), &[]).unwrap().enter()[0].sql,
            "SET LOCAL ROLE app_user"
        );
        assert_eq!(
            ctx(Some("NONE"), &[]).unwrap().enter()[0].sql,
            "SET LOCAL ROLE NONE"
        );
        assert!(ctx(None, &[]).unwrap().enter().is_empty());
    }

    #[test]
    fn statements_with_parameters_carry_no_user_text() {
        let c = ctx(Some("$1'; DROP"), &[("app.x", Some("'; DROP TABLE t; --"))]).unwrap();
        for st in c.enter().iter().chain([&c.snapshot()]) {
            if !st.params.is_empty() {
                assert!(!st.sql.contains("DROP"), "{}", st.sql);
            }
        }
        assert_eq!(c.enter()[0].sql, "SET LOCAL ROLE \"$1'; DROP\"");
    }

    #[test]
    fn setting_names_are_checked() {
        for good in ["app.current_tenant", "a.b", "my_app.x.y", "_a.b$1"] {
            assert!(is_setting_name(good), "{good}");
        }
        for bad in [
            "search_path",
            "",
            ".x",
            "a.",
            "a..b",
            "a.b c",
            "a.\"b\"",
            "a.b'",
            "1a.b",
            "a.b;",
        ] {
            assert!(!is_setting_name(bad), "{bad}");
            assert!(ctx(None, &[(bad, Some("1"))]).is_err(), "{bad}");
        }
        let e = ctx(None, &[("a.b", None), ("A.B", None)]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        assert_eq!(e.code(), "INVALID_CONTEXT");
        assert!(ctx(Some(""), &[]).is_err());
        assert!(ctx(Some("a\0b"), &[]).is_err());
        assert!(ctx(None, &[("a.b", Some("x\0"))]).is_err());
    }

    #[test]
    fn snapshot_and_restore() {
        let c = ctx(Some("auditor"), &[("app.reason", s("review").as_deref())]).unwrap();
        let snap = c.snapshot();
        assert_eq!(
            snap.sql,
            "SELECT pg_catalog.current_setting('role') AS role, \
             pg_catalog.current_setting($1, true) AS setting_1"
        );
        assert_eq!(snap.params, vec![s("app.reason")]);
        let back = c.restore(&[s("app_user"), None]).unwrap();
        assert_eq!(back[0].sql, "SET LOCAL ROLE app_user");
        assert_eq!(back[1].params, vec![s("app.reason"), s("")]);
        let back = c.restore(&[s("none"), s("x")]).unwrap();
        assert_eq!(back[0].sql, "SET LOCAL ROLE NONE");
        assert_eq!(back[1].params, vec![s("app.reason"), s("x")]);
        // Without a role of its own, the context leaves the role alone on the way out.
        let c = ctx(None, &[("app.reason", None)]).unwrap();
        assert_eq!(c.restore(&[s("x"), s("y")]).unwrap().len(), 1);
        assert!(c.restore(&[s("x")]).is_err());
    }
}
