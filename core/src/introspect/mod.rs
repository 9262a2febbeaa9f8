//! Reading RLS state from a live database.
//!
//! One catalog query returns the whole state as one JSON document, whatever the number
//! of tables; any driver can run it (the Python and Node packages run it on their own
//! connections), and [`from_catalog_json`] turns the result into the IR. Expressions are
//! printed by `pg_get_expr` under a fixed search_path: run the [`crate::session::pins`] first, inside a
//! transaction or savepoint that is rolled back afterwards.

#[cfg(feature = "db")]
mod live;
#[cfg(feature = "db")]
pub use live::*;

use serde::Deserialize;

use crate::error::Error;
use crate::ir::*;
use crate::sql::quote::literal;

/// The search_path under which expressions are printed (and plans run).
pub use crate::session::SEARCH_PATH;

/// The one catalog query for the given schemas (an empty list means `public`). Returns one
/// row with one text column holding the JSON document.
///
/// Written for the server's time at scale: columns are aggregated in one grouped pass,
/// policy comments come from a join (not `obj_description` per policy), policies carry
/// role oids named through one `role_names` map, and nothing is sorted on the server
/// ([`Schema::normalize`] sorts). Every function and operator is qualified.
pub fn catalog_query(schemas: &[String]) -> String {
    let list = if schemas.is_empty() {
        literal("public")
    } else {
        schemas
            .iter()
            .map(|s| literal(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        r#"WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner, c.relacl
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{{r,p}}'::pg_catalog."char"[])
    AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
), cols AS (
  SELECT a.attrelid, pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', a.attname,
      'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
      'nullable', NOT a.attnotnull) ORDER BY a.attnum) AS columns
  FROM pg_catalog.pg_attribute a JOIN rels r ON r.oid OPERATOR(pg_catalog.=) a.attrelid
  WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
  GROUP BY a.attrelid
)
SELECT pg_catalog.json_build_object(
  'current_user', current_user,
  'server_version_num', pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
  'search_path', pg_catalog.current_setting('search_path'),
  'tables', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', r.nspname, 'name', r.relname,
      'enabled', r.relrowsecurity, 'forced', r.relforcerowsecurity,
      'columns', coalesce(cl.columns, '[]')
    )), '[]') FROM rels r LEFT JOIN cols cl ON cl.attrelid OPERATOR(pg_catalog.=) r.oid),
  'policies', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', r.nspname, 'table', r.relname, 'name', p.polname,
      'command', p.polcmd, 'permissive', p.polpermissive,
      'roles', p.polroles,
      'using', pg_catalog.pg_get_expr(p.polqual, p.polrelid),
      'with_check', pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
      'comment', d.description
    )), '[]')
    FROM pg_catalog.pg_policy p JOIN rels r ON r.oid OPERATOR(pg_catalog.=) p.polrelid
    LEFT JOIN pg_catalog.pg_description d ON d.objoid OPERATOR(pg_catalog.=) p.oid
      AND d.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_policy'::pg_catalog.regclass
      AND d.objsubid OPERATOR(pg_catalog.=) 0),
  'role_names', (SELECT pg_catalog.json_object_agg(ro.oid, ro.rolname) FROM pg_catalog.pg_roles ro),
  'roles', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', ro.rolname, 'login', ro.rolcanlogin, 'inherit', ro.rolinherit,
      'bypassrls', ro.rolbypassrls,
      'member_of', (SELECT coalesce(pg_catalog.json_agg(g.rolname ORDER BY g.rolname), '[]')
          FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
          WHERE m.member OPERATOR(pg_catalog.=) ro.oid)
    ) ORDER BY ro.rolname), '[]')
    FROM pg_catalog.pg_roles ro WHERE ro.rolname OPERATOR(pg_catalog.!~) '^pg_'),
  'grants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', g.nspname, 'table', g.relname, 'role', g.grantee, 'privileges', g.privileges
    ) ORDER BY g.nspname, g.relname, g.grantee), '[]')
    FROM (
      SELECT r.nspname, r.relname,
             CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE ro.rolname END AS grantee,
             pg_catalog.json_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
      FROM rels r CROSS JOIN LATERAL pg_catalog.aclexplode(r.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) a.grantee
      WHERE a.grantee OPERATOR(pg_catalog.<>) r.relowner
      GROUP BY r.nspname, r.relname, a.grantee, ro.rolname
    ) g),
  'functions', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'args', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.format_type(a.t, NULL) ORDER BY a.ord), '[]')
          FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, ord)),
      'returns', pg_catalog.format_type(p.prorettype, NULL), 'returns_set', p.proretset
    ) ORDER BY n.nspname, p.proname, p.oid), '[]')
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
    WHERE p.prokind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char"
      AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{{pg_catalog,information_schema}}'::pg_catalog.name[])
      AND n.nspname OPERATOR(pg_catalog.!~) '^pg_toast' AND n.nspname OPERATOR(pg_catalog.!~) '^pg_temp'),
  'types', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', n.nspname, 'name', t.typname,
      'labels', CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'e'::pg_catalog."char" THEN (SELECT pg_catalog.json_agg(e.enumlabel ORDER BY e.enumsortorder)
          FROM pg_catalog.pg_enum e WHERE e.enumtypid OPERATOR(pg_catalog.=) t.oid) END,
      'base', CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd'::pg_catalog."char" THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END
    ) ORDER BY n.nspname, t.typname), '[]')
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace
    WHERE t.typtype OPERATOR(pg_catalog.=) ANY ('{{e,d}}'::pg_catalog."char"[])
      AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{{pg_catalog,information_schema}}'::pg_catalog.name[]))
)::pg_catalog.text"#
    )
}

#[derive(Deserialize)]
struct CatalogColumn {
    name: String,
    #[serde(rename = "type")]
    data_type: String,
    nullable: bool,
}

#[derive(Deserialize)]
struct CatalogTable {
    schema: String,
    name: String,
    enabled: bool,
    forced: bool,
    columns: Vec<CatalogColumn>,
}

#[derive(Deserialize)]
struct CatalogPolicy {
    schema: String,
    table: String,
    name: String,
    command: String,
    permissive: bool,
    /// `polroles`: role oids (as JSON prints `oid`: text), 0 for PUBLIC; named through
    /// `role_names`.
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct CatalogRole {
    name: String,
    login: bool,
    inherit: bool,
    bypassrls: bool,
    member_of: Vec<String>,
}

#[derive(Deserialize)]
struct CatalogGrant {
    schema: String,
    table: String,
    role: Option<String>,
    privileges: Vec<String>,
}

#[derive(Deserialize)]
struct CatalogFunction {
    schema: String,
    name: String,
    args: Vec<String>,
    returns: String,
    returns_set: bool,
}

#[derive(Deserialize)]
struct CatalogType {
    schema: String,
    name: String,
    labels: Option<Vec<String>>,
    base: Option<String>,
}

#[derive(Deserialize)]
struct CatalogDoc {
    current_user: String,
    server_version_num: u32,
    search_path: String,
    tables: Vec<CatalogTable>,
    policies: Vec<CatalogPolicy>,
    /// Every role's name by oid (as text), so that each policy carries only oids.
    #[serde(default)]
    role_names: Option<std::collections::HashMap<String, String>>,
    roles: Vec<CatalogRole>,
    grants: Vec<CatalogGrant>,
    functions: Vec<CatalogFunction>,
    types: Vec<CatalogType>,
}

/// Builds the IR from the document [`catalog_query`] returns.
pub fn from_catalog_json(text: &str) -> Result<Schema, Error> {
    from_catalog_doc(parse_catalog(text)?)
}

/// Like [`from_catalog_json`], freeing the document's text before the IR is built.
pub fn from_catalog_text(text: String) -> Result<Schema, Error> {
    let doc = parse_catalog(&text)?;
    drop(text);
    from_catalog_doc(doc)
}

fn parse_catalog(text: &str) -> Result<CatalogDoc, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::Database(format!("unexpected catalog result: {e}")))
}

fn from_catalog_doc(c: CatalogDoc) -> Result<Schema, Error> {
    use crate::expr::canon::{FunctionSig, TypeDef, TypeKind};
    let mut schema = Schema {
        database: Some(DatabaseInfo {
            current_user: c.current_user,
            server_version_num: c.server_version_num,
            search_path: c.search_path,
        }),
        ..Schema::default()
    };
    for t in c.tables {
        schema.tables.push(Table {
            schema: t.schema,
            name: t.name,
            columns: t
                .columns
                .into_iter()
                .map(|c| Column {
                    name: c.name,
                    data_type: c.data_type,
                    nullable: c.nullable,
                })
                .collect(),
            rls: Rls::new(t.enabled, t.forced),
            policies: Vec::new(),
        });
    }
    let role_names = c.role_names.unwrap_or_default();
    for p in c.policies {
        let command = Command::parse(&p.command)
            .ok_or_else(|| Error::Database(format!("unknown polcmd {:?}", p.command)))?;
        let roles = p
            .roles
            .into_iter()
            .map(|oid| match oid.as_str() {
                "0" => RoleSpec::Public,
                // A role dropped under the policy has no name: "" (as a LEFT JOIN gave).
                _ => RoleSpec::Named(role_names.get(&oid).cloned().unwrap_or_default()),
            })
            .collect();
        let table = schema.table_entry(&p.schema, &p.table);
        table.policies.push(Policy {
            name: p.name,
            command,
            permissive: p.permissive,
            roles,
            using: p.using,
            with_check: p.with_check,
            comment: p.comment,
            renamed_from: None,
        });
    }
    for r in c.roles {
        schema.roles.push(Role {
            name: r.name,
            login: r.login,
            inherit: r.inherit,
            bypassrls: r.bypassrls,
            member_of: r.member_of,
        });
    }
    for g in c.grants {
        let role = match g.role.as_deref() {
            Some("PUBLIC") | None => RoleSpec::Public,
            Some(n) => RoleSpec::Named(n.to_string()),
        };
        schema.grants.push(Grant {
            schema: g.schema,
            table: g.table,
            role,
            privileges: g
                .privileges
                .iter()
                .filter_map(|p| Privilege::parse(p))
                .collect(),
        });
    }
    schema.catalog.functions = c
        .functions
        .into_iter()
        .map(|f| FunctionSig {
            schema: f.schema,
            name: f.name,
            args: f.args,
            returns: f.returns,
            returns_set: f.returns_set,
        })
        .collect();
    schema.catalog.types = c
        .types
        .into_iter()
        .map(|t| TypeDef {
            schema: t.schema,
            name: t.name,
            kind: match (t.labels, t.base) {
                (Some(l), _) => TypeKind::Enum(l),
                (None, Some(b)) => TypeKind::Domain(b),
                _ => TypeKind::Other,
            },
        })
        .collect();
    schema.normalize();
    Ok(schema)
}

/// What `inspect` shows of a database, as a declaration: its tables, policies and grants,
/// and only the roles those reference (by a policy's `TO` list, a grant, or as a group of
/// such a role), never the role that read it. A database has roles the RLS objects do not
/// concern (the bootstrap superuser, other applications' roles); declaring them would
/// manage them, and their attributes pgpolicy does not read (SUPERUSER, CREATEDB, ...)
/// would be lost if the declaration created them elsewhere.
pub fn as_declaration(schema: &Schema) -> Schema {
    into_declaration(schema.clone())
}

/// [`as_declaration`], taking the schema (no copy of a large catalog).
pub fn into_declaration(schema: Schema) -> Schema {
    use std::collections::BTreeSet;
    let me = schema.database.as_ref().map(|d| d.current_user.as_str());
    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for t in &schema.tables {
        for p in &t.policies {
            referenced.extend(p.roles.iter().filter_map(|r| r.name()));
        }
    }
    referenced.extend(schema.grants.iter().filter_map(|g| g.role.name()));
    // Groups of referenced roles, transitively.
    loop {
        let before = referenced.len();
        for r in &schema.roles {
            if referenced.contains(r.name.as_str()) {
                referenced.extend(r.member_of.iter().map(String::as_str));
            }
        }
        if referenced.len() == before {
            break;
        }
    }
    let referenced: BTreeSet<String> = referenced.into_iter().map(str::to_string).collect();
    let me = me.map(str::to_string);
    let mut out = schema;
    out.roles
        .retain(|r| referenced.contains(r.name.as_str()) && Some(&r.name) != me.as_ref());
    let kept: BTreeSet<String> = out.roles.iter().map(|r| r.name.clone()).collect();
    for r in &mut out.roles {
        r.member_of.retain(|g| kept.contains(g));
    }
    out
}
