//! DDL for each kind of change. Clauses are written in PostgreSQL's grammar order
//! (`AS` before `FOR` before `TO`), every identifier goes through [`quote::ident`], and
//! expressions are inserted only after [`crate::expr::validate`] accepted them.

use super::quote::{ident, literal, roles};
use crate::diff::change::{DefaultPrivileges, RolePrivileges};
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
    let mut s = format!(
        "{} {} {}",
        if r.login { "LOGIN" } else { "NOLOGIN" },
        if r.inherit { "INHERIT" } else { "NOINHERIT" },
        if r.bypassrls {
            "BYPASSRLS"
        } else {
            "NOBYPASSRLS"
        }
    );
    if let Some(n) = r.connection_limit {
        s.push_str(&format!(" CONNECTION LIMIT {n}"));
    }
    s
}

/// What `COMMENT ON ROLE` says of a role a plan created: only such a role is dropped by
/// the reverse (roles are cluster-wide; one that existed before belongs to someone else).
pub const CREATED_ROLE_MARK: &str = "created by pgpolicy";

/// `DO` with a dollar-quote tag that appears nowhere in the body.
fn do_block(name: &str, body: &str) -> String {
    let mut tag = format!("${name}$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("${name}{n}$");
    }
    format!("DO {tag}{body}{tag}")
}

fn role_exists(name: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {})",
        literal(name)
    )
}

/// How the comment of a role that existed before a plan changed its attributes begins:
/// the rest is JSON with the attributes and comment it had, and the databases whose
/// plans rely on the new attributes. The reverse in the last of them restores both.
pub const RESTORE_ROLE_MARK: &str = "pgpolicy restores: ";

fn role_oid(name: &str) -> String {
    format!(
        "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {})",
        literal(name)
    )
}

/// Creates the role, or, when the cluster has it already (another database's migrations
/// created it, or someone did before: roles are cluster-wide), brings its attributes to
/// the declared state. A role this creates is marked (`COMMENT ON ROLE`) so that only it is
/// dropped by the reverse. A role that existed before and whose attributes change keeps
/// what it had in its comment ([`RESTORE_ROLE_MARK`]), with this database's name, so
/// that the reverse restores it. Passwords are never part of it.
pub fn create_role(r: &Role) -> String {
    let name = ident(&r.name);
    let attrs = role_attributes(r);
    let lit = literal(&r.name);
    let differs = format!(
        "(o.rolcanlogin, o.rolinherit, o.rolbypassrls) IS DISTINCT FROM ({}, {}, {}){}",
        r.login,
        r.inherit,
        r.bypassrls,
        r.connection_limit
            .map(|n| format!(" OR o.rolconnlimit OPERATOR(pg_catalog.<>) {n}"))
            .unwrap_or_default()
    );
    do_block(
        "role",
        &format!(
            "DECLARE d text; j jsonb; o record; BEGIN IF {exists} THEN \
d := pg_catalog.shobj_description({oid}, 'pg_authid'); \
SELECT * INTO o FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {lit}; \
IF d IS NOT DISTINCT FROM {mark} THEN NULL; \
ELSIF pg_catalog.starts_with(d, {restore}) THEN \
j := pg_catalog.substr(d, {skip})::jsonb; \
IF NOT (j OPERATOR(pg_catalog.->) 'databases') OPERATOR(pg_catalog.?) pg_catalog.current_database() THEN \
j := pg_catalog.jsonb_set(j, '{{databases}}', (j OPERATOR(pg_catalog.->) 'databases') OPERATOR(pg_catalog.||) pg_catalog.to_jsonb(pg_catalog.current_database()::text)); \
EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', {lit}, {restore} OPERATOR(pg_catalog.||) j::text); END IF; \
ELSIF {differs} THEN \
j := pg_catalog.jsonb_build_object('login', o.rolcanlogin, 'inherit', o.rolinherit, 'bypassrls', o.rolbypassrls, \
'connection_limit', o.rolconnlimit, 'comment', d, 'databases', pg_catalog.jsonb_build_array(pg_catalog.current_database()::text)); \
EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', {lit}, {restore} OPERATOR(pg_catalog.||) j::text); END IF; \
ALTER ROLE {name} WITH {attrs}; \
ELSE CREATE ROLE {name} WITH {attrs}; COMMENT ON ROLE {name} IS {mark}; END IF; END",
            exists = role_exists(&r.name),
            oid = role_oid(&r.name),
            mark = literal(CREATED_ROLE_MARK),
            restore = literal(RESTORE_ROLE_MARK),
            skip = RESTORE_ROLE_MARK.len() + 1,
        ),
    )
}

pub fn alter_role(r: &Role) -> String {
    format!("ALTER ROLE {} WITH {}", ident(&r.name), role_attributes(r))
}

/// Drops the role only if a plan created it and nothing depends on it any more (its
/// privileges or members in other databases of the cluster); otherwise a NOTICE says why
/// it is kept. A role that existed before and whose attributes a plan changed gets them
/// back (and its comment) when the last database whose plan changed them lets go. A role
/// already gone is not an error.
pub fn drop_role(name: &str) -> String {
    let lit = literal(name);
    do_block(
        "role",
        &format!(
            "DECLARE d text; j jsonb; BEGIN IF NOT {exists} THEN RETURN; END IF; \
d := pg_catalog.shobj_description({oid}, 'pg_authid'); \
IF pg_catalog.starts_with(d, {restore}) THEN \
j := pg_catalog.substr(d, {skip})::jsonb; \
j := pg_catalog.jsonb_set(j, '{{databases}}', (j OPERATOR(pg_catalog.->) 'databases') OPERATOR(pg_catalog.-) pg_catalog.current_database()::text); \
IF pg_catalog.jsonb_array_length(j OPERATOR(pg_catalog.->) 'databases') OPERATOR(pg_catalog.>) 0 THEN \
EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', {lit}, {restore} OPERATOR(pg_catalog.||) j::text); \
RAISE NOTICE 'role % keeps the attributes a plan gave it: databases % still rely on them', {lit}, j OPERATOR(pg_catalog.->) 'databases'; RETURN; END IF; \
EXECUTE pg_catalog.format('ALTER ROLE %I WITH %s %s %s CONNECTION LIMIT %s', {lit}, \
CASE WHEN (j OPERATOR(pg_catalog.->>) 'login')::boolean THEN 'LOGIN' ELSE 'NOLOGIN' END, \
CASE WHEN (j OPERATOR(pg_catalog.->>) 'inherit')::boolean THEN 'INHERIT' ELSE 'NOINHERIT' END, \
CASE WHEN (j OPERATOR(pg_catalog.->>) 'bypassrls')::boolean THEN 'BYPASSRLS' ELSE 'NOBYPASSRLS' END, \
((j OPERATOR(pg_catalog.->>) 'connection_limit')::integer)::text); \
EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', {lit}, j OPERATOR(pg_catalog.->>) 'comment'); \
RAISE NOTICE 'role % is kept (pgpolicy did not create it); the attributes it had before are restored', {lit}; RETURN; END IF; \
IF d IS DISTINCT FROM {mark} THEN RAISE NOTICE 'role % is kept: pgpolicy did not create it', {lit}; RETURN; END IF; \
DROP ROLE {ident}; \
EXCEPTION WHEN dependent_objects_still_exist THEN RAISE NOTICE 'role % is kept: %', {lit}, SQLERRM; END",
            exists = role_exists(name),
            oid = role_oid(name),
            mark = literal(CREATED_ROLE_MARK),
            restore = literal(RESTORE_ROLE_MARK),
            skip = RESTORE_ROLE_MARK.len() + 1,
            ident = ident(name),
        ),
    )
}

/// `GRANT group TO member`, with `WITH ADMIN OPTION` (every version) or, when INHERIT or
/// SET is given, PostgreSQL 16's `WITH ADMIN .., INHERIT .., SET ..`.
pub fn grant_membership(group: &str, member: &str, o: &MembershipOptions) -> String {
    let mut s = format!("GRANT {} TO {}", ident(group), ident(member));
    if o.needs_16() {
        let mut opts = Vec::new();
        if o.admin {
            opts.push("ADMIN TRUE".to_string());
        }
        for (name, v) in [("INHERIT", o.inherit), ("SET", o.set)] {
            if let Some(v) = v {
                opts.push(format!("{name} {}", if v { "TRUE" } else { "FALSE" }));
            }
        }
        s.push_str(&format!(" WITH {}", opts.join(", ")));
        return needs_16(group, member, &s);
    } else if o.admin {
        s.push_str(" WITH ADMIN OPTION");
    }
    s
}

/// A statement with PostgreSQL 16's membership options, run only on 16 or later: before,
/// an error naming the role and the group instead of a syntax error.
fn needs_16(group: &str, member: &str, statement: &str) -> String {
    do_block(
        "m",
        &format!(
            "BEGIN IF pg_catalog.current_setting('server_version_num')::integer OPERATOR(pg_catalog.<) 160000 THEN \
RAISE EXCEPTION 'role %: its membership in % declares INHERIT or SET options, which need PostgreSQL 16', {}, {}; END IF; \
EXECUTE {}; END",
            literal(member),
            literal(group),
            literal(statement)
        ),
    )
}

/// Sets the options of an existing membership that differ: ADMIN granted with `WITH ADMIN
/// OPTION` or revoked with `REVOKE ADMIN OPTION FOR` (every version); INHERIT and SET (16+)
/// set by one `GRANT .. WITH`, which updates the membership in place.
pub fn alter_membership(
    group: &str,
    member: &str,
    from: &MembershipOptions,
    to: &MembershipOptions,
) -> Vec<String> {
    let mut v = Vec::new();
    if from.admin != to.admin {
        v.push(if to.admin {
            format!(
                "GRANT {} TO {} WITH ADMIN OPTION",
                ident(group),
                ident(member)
            )
        } else {
            format!(
                "REVOKE ADMIN OPTION FOR {} FROM {}",
                ident(group),
                ident(member)
            )
        });
    }
    let mut opts = Vec::new();
    for (name, a, b) in [
        ("INHERIT", from.inherit, to.inherit),
        ("SET", from.set, to.set),
    ] {
        if let Some(b) = b.filter(|b| Some(*b) != a) {
            opts.push(format!("{name} {}", if b { "TRUE" } else { "FALSE" }));
        }
    }
    if !opts.is_empty() {
        let grant = format!(
            "GRANT {} TO {} WITH {}",
            ident(group),
            ident(member),
            opts.join(", ")
        );
        v.push(needs_16(group, member, &grant));
    }
    v
}

pub fn revoke_membership(group: &str, member: &str) -> String {
    format!("REVOKE {} FROM {}", ident(group), ident(member))
}

fn privilege_list(g: &RolePrivileges) -> String {
    let cols = if g.columns.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            g.columns
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    g.privileges
        .iter()
        .map(|p| format!("{}{cols}", p.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GRANT`, with `WITH GRANT OPTION` when asked; on a table with INSERT, followed by the
/// grant of USAGE on the table's owned sequences (see [`owned_sequences`]).
pub fn grant(g: &RolePrivileges) -> Vec<String> {
    let mut v = vec![format!(
        "GRANT {} ON {} TO {}{}",
        privilege_list(g),
        g.object(),
        super::quote::role(&g.role),
        if g.grant_option || g.option_only {
            " WITH GRANT OPTION"
        } else {
            ""
        }
    )];
    if g.with_sequences() {
        v.push(owned_sequences(&g.table, &g.role, true));
    }
    v
}

/// `REVOKE` (`REVOKE GRANT OPTION FOR` when only the option goes); on a table with
/// INSERT, the owned sequences' USAGE is revoked first.
pub fn revoke(g: &RolePrivileges) -> Vec<String> {
    let mut v = Vec::new();
    if g.with_sequences() {
        v.push(owned_sequences(&g.table, &g.role, false));
    }
    v.push(format!(
        "REVOKE {}{} ON {} FROM {}",
        if g.option_only {
            "GRANT OPTION FOR "
        } else {
            ""
        },
        privilege_list(g),
        g.object(),
        super::quote::role(&g.role)
    ));
    v
}

/// `CREATE OR REPLACE FUNCTION` (the argument list and result were checked when the
/// declaration was read; the body is dollar-quoted with a tag it does not contain).
pub fn create_function(f: &Function) -> String {
    let mut s = format!(
        "CREATE OR REPLACE FUNCTION {}.{}({}) RETURNS {} LANGUAGE {} {}",
        ident(&f.schema),
        ident(&f.name),
        f.arguments,
        f.returns,
        ident(&f.language),
        f.volatility
    );
    if f.strict {
        s.push_str(" STRICT");
    }
    if f.leakproof {
        s.push_str(" LEAKPROOF");
    }
    match f.parallel.as_str() {
        "SAFE" => s.push_str(" PARALLEL SAFE"),
        "RESTRICTED" => s.push_str(" PARALLEL RESTRICTED"),
        _ => {}
    }
    if let Some(cost) = &f.cost {
        // Read as a number (function_cost): digits, a point, an exponent.
        s.push_str(&format!(" COST {cost}"));
    }
    if f.security_definer {
        s.push_str(" SECURITY DEFINER");
    }
    if let Some(path) = &f.search_path {
        if path.is_empty() {
            s.push_str(" SET search_path TO ''");
        } else {
            s.push_str(&format!(
                " SET search_path TO {}",
                path.iter().map(|p| ident(p)).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mut tag = String::from("$fn$");
    let mut n = 0;
    while f.body.contains(&tag) {
        n += 1;
        tag = format!("$fn{n}$");
    }
    s.push_str(&format!(" AS {tag}{}{tag}", f.body));
    s
}

/// The setting in which [`save_function_acl`] keeps a function's ACL until
/// [`restore_function_acl`] (transaction-local).
const FUNCTION_ACL_SETTING: &str = "pgpolicy.function_acl";

/// Keeps the function's ACL (`proacl`, empty for the default) in a transaction-local
/// setting, before the function is dropped to be created again.
pub fn save_function_acl(f: &Function) -> String {
    format!(
        "SELECT pg_catalog.set_config({}, coalesce((SELECT p.proacl::pg_catalog.text FROM pg_catalog.pg_proc p \
WHERE p.oid OPERATOR(pg_catalog.=) {}::pg_catalog.regprocedure), ''), true)",
        literal(FUNCTION_ACL_SETTING),
        literal(&f.signature())
    )
}

/// Grants the function's EXECUTE privileges as [`save_function_acl`] kept them (PUBLIC's
/// too: without it, PUBLIC's default is revoked); nothing when it had the default ACL.
pub fn restore_function_acl(f: &Function) -> String {
    let sig = f.signature();
    do_block(
        "acl",
        &format!(
            "DECLARE a pg_catalog.aclitem[] := NULLIF(pg_catalog.current_setting({setting}), '')::pg_catalog.aclitem[]; \
g record; BEGIN IF a IS NULL THEN RETURN; END IF; \
REVOKE ALL ON FUNCTION {sig} FROM PUBLIC; \
FOR g IN SELECT x.grantee, x.is_grantable FROM pg_catalog.aclexplode(a) x \
WHERE x.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE' LOOP \
EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s', {lit}, \
CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END, \
CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END); END LOOP; END",
            setting = literal(FUNCTION_ACL_SETTING),
            lit = literal(&sig),
        ),
    )
}

pub fn drop_function(f: &Function) -> String {
    format!("DROP FUNCTION {}", f.signature())
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE o] [IN SCHEMA s] GRANT .. ON TABLES TO r` (or
/// `REVOKE [GRANT OPTION FOR] .. FROM r`).
pub fn default_privileges(d: &DefaultPrivileges, grant: bool) -> String {
    let mut s = String::from("ALTER DEFAULT PRIVILEGES");
    if let Some(o) = &d.owner {
        s.push_str(&format!(" FOR ROLE {}", ident(o)));
    }
    if let Some(sc) = &d.schema {
        s.push_str(&format!(" IN SCHEMA {}", ident(sc)));
    }
    let privileges = d
        .privileges
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let role = super::quote::role(&d.role);
    if grant {
        s.push_str(&format!(
            " GRANT {privileges} ON {} TO {role}{}",
            d.on.plural(),
            if d.grant_option || d.option_only {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        ));
    } else {
        s.push_str(&format!(
            " REVOKE {}{privileges} ON {} FROM {role}",
            if d.option_only {
                "GRANT OPTION FOR "
            } else {
                ""
            },
            d.on.plural()
        ));
    }
    s
}

/// Grants (or revokes) USAGE on every sequence the table owns (serial columns, `deptype`
/// 'a', and identity columns, 'i'), as the database has them when the statement runs: the
/// table may be created in the same migration, so its sequences' names are not known
/// when the plan is made. One `DO` block; the table and role reach it as literals and
/// every name is quoted by `format`; its dollar-quote tag appears nowhere in its body.
pub fn owned_sequences(table: &TableName, role: &RoleSpec, grant: bool) -> String {
    let grantee = literal(&super::quote::role(role));
    let action = if grant {
        "'GRANT USAGE ON SEQUENCE ' OPERATOR(pg_catalog.||) s::pg_catalog.text OPERATOR(pg_catalog.||) ' TO '"
    } else {
        "'REVOKE USAGE ON SEQUENCE ' OPERATOR(pg_catalog.||) s::pg_catalog.text OPERATOR(pg_catalog.||) ' FROM '"
    };
    let body = format!(
        "DECLARE s pg_catalog.regclass; BEGIN FOR s IN SELECT d.objid::pg_catalog.regclass \
FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid \
WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass \
AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass \
AND d.refobjid OPERATOR(pg_catalog.=) {}::pg_catalog.regclass \
AND d.deptype OPERATOR(pg_catalog.=) ANY ('{{a,i}}'::pg_catalog.\"char\"[]) \
AND c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog.\"char\" \
ORDER BY 1 LOOP EXECUTE {action} OPERATOR(pg_catalog.||) {grantee}; END LOOP; END",
        literal(&table.to_string())
    );
    do_block("seq", &body)
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
