//! DDL for each kind of change. Clauses are written in PostgreSQL's grammar order
//! (`AS` before `FOR` before `TO`), every identifier goes through [`quote::ident`], and
//! expressions are inserted only after [`crate::expr::validate`] accepted them.

use super::quote::{ident, literal, roles};
use crate::ir::*;

pub fn create_policy(table: &TableName, p: &Policy) -> String {
    let mut s = format!(
        "CREATE POLICY {} ON {} AS {} FOR {} TO {}",
        ident(&p.name),
        table,
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        roles(&p.roles)
    );
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({})", expr_text(u)));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!(" WITH CHECK ({})", expr_text(w)));
    }
    s
}

/// Expression text as inserted between parentheses. A trailing line comment would
/// swallow the closing parenthesis, so such text ends with a newline.
fn expr_text(e: &str) -> String {
    let t = e.trim();
    if t.lines().last().is_some_and(|l| l.contains("--")) {
        format!("{t}\n")
    } else {
        t.to_string()
    }
}

pub fn drop_policy(table: &TableName, name: &str) -> String {
    format!("DROP POLICY {} ON {}", ident(name), table)
}

pub fn rename_policy(table: &TableName, from: &str, to: &str) -> String {
    format!(
        "ALTER POLICY {} ON {} RENAME TO {}",
        ident(from),
        table,
        ident(to)
    )
}

/// `ALTER POLICY` setting the given parts; `None` leaves a part as it is.
pub fn alter_policy(
    table: &TableName,
    name: &str,
    to_roles: Option<&[RoleSpec]>,
    using: Option<&str>,
    with_check: Option<&str>,
) -> String {
    let mut s = format!("ALTER POLICY {} ON {}", ident(name), table);
    if let Some(r) = to_roles {
        s.push_str(&format!(" TO {}", roles(r)));
    }
    if let Some(u) = using {
        s.push_str(&format!(" USING ({})", expr_text(u)));
    }
    if let Some(w) = with_check {
        s.push_str(&format!(" WITH CHECK ({})", expr_text(w)));
    }
    s
}

pub fn comment_on_policy(table: &TableName, name: &str, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON POLICY {} ON {} IS {}",
        ident(name),
        table,
        comment.map(literal).unwrap_or_else(|| "NULL".into())
    )
}

pub fn rls(table: &TableName, enable: bool) -> String {
    format!(
        "ALTER TABLE {} {} ROW LEVEL SECURITY",
        table,
        if enable { "ENABLE" } else { "DISABLE" }
    )
}

pub fn force_rls(table: &TableName, force: bool) -> String {
    format!(
        "ALTER TABLE {} {} ROW LEVEL SECURITY",
        table,
        if force { "FORCE" } else { "NO FORCE" }
    )
}

fn role_attributes(r: &Role) -> String {
    format!(
        "{} {} {}",
        if r.login { "LOGIN" } else { "NOLOGIN" },
        if r.inherit { "INHERIT" } else { "NOINHERIT" },
        if r.bypassrls {
            "BYPASSRLS"
        } else {
            "NOBYPASSRLS"
        }
    )
}

pub fn create_role(r: &Role) -> String {
    format!("CREATE ROLE {} WITH {}", ident(&r.name), role_attributes(r))
}

pub fn alter_role(r: &Role) -> String {
    format!("ALTER ROLE {} WITH {}", ident(&r.name), role_attributes(r))
}

pub fn drop_role(name: &str) -> String {
    format!("DROP ROLE {}", ident(name))
}

pub fn grant_membership(group: &str, member: &str) -> String {
    format!("GRANT {} TO {}", ident(group), ident(member))
}

pub fn revoke_membership(group: &str, member: &str) -> String {
    format!("REVOKE {} FROM {}", ident(group), ident(member))
}

fn privilege_list(p: &[Privilege]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

pub fn grant(table: &TableName, role: &RoleSpec, privileges: &[Privilege]) -> String {
    format!(
        "GRANT {} ON TABLE {} TO {}",
        privilege_list(privileges),
        table,
        super::quote::role(role)
    )
}

pub fn revoke(table: &TableName, role: &RoleSpec, privileges: &[Privilege]) -> String {
    format!(
        "REVOKE {} ON TABLE {} FROM {}",
        privilege_list(privileges),
        table,
        super::quote::role(role)
    )
}

/// `CREATE TABLE` from the IR's columns. Never part of a plan (tables belong to the ORM);
/// used to build a scratch database for comparing expressions and in tests.
pub fn create_table(t: &Table) -> String {
    let cols = t
        .columns
        .iter()
        .map(|c| {
            format!(
                "{} {}{}",
                ident(&c.name),
                c.data_type,
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("CREATE TABLE {} ({})", t.qualified(), cols)
}
