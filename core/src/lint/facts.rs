//! What the lint rules read from the database a declaration will run on, beyond the RLS
//! state the introspection reads: superusers, table owners and comments, indexes, views
//! and the tables they read, and functions (SECURITY DEFINER, search_path, volatility,
//! who may execute them).
//!
//! One catalog query returns it all as one JSON document; like the introspection's, it
//! qualifies every function and operator with `pg_catalog`, so nothing in a user schema
//! is resolved by it.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Facts about the database, read by [`facts_query`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbFacts {
    pub current_user: String,
    pub server_version_num: u32,
    /// Roles with SUPERUSER.
    pub superusers: Vec<String>,
    pub tables: Vec<TableFacts>,
    pub indexes: Vec<IndexFacts>,
    pub views: Vec<ViewFacts>,
    pub functions: Vec<FunctionFacts>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFacts {
    pub schema: String,
    pub name: String,
    pub owner: String,
    #[serde(default)]
    pub comment: Option<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexFacts {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// The first key column; `None` for an expression.
    #[serde(default)]
    pub leading: Option<String>,
}

/// A table a view reads, with its RLS flags.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewBase {
    pub schema: String,
    pub name: String,
    pub rls: bool,
    pub forced: bool,
    pub owner: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewFacts {
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub security_invoker: bool,
    pub reads: Vec<ViewBase>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionFacts {
    pub schema: String,
    pub name: String,
    /// The identity arguments, as `pg_get_function_identity_arguments` prints them.
    pub args: String,
    pub security_definer: bool,
    /// `i` immutable, `s` stable, `v` volatile.
    pub volatility: String,
    /// The function sets its own search_path (`SET search_path = ...`).
    pub search_path_set: bool,
    pub owner: String,
    /// Who may execute it: `PUBLIC` or role names.
    pub executors: Vec<String>,
}

impl DbFacts {
    pub fn from_json(text: &str) -> Result<DbFacts, Error> {
        serde_json::from_str(text)
            .map_err(|e| Error::Database(format!("lint: unreadable catalog facts: {e}")))
    }

    pub fn is_superuser(&self, role: &str) -> bool {
        self.superusers.iter().any(|r| r == role)
    }
}

/// The catalog query for the lint facts of `schemas` (an empty list means `public`): one
/// row, one text column holding the JSON document [`DbFacts`] reads. Functions are read
/// from every schema but the system ones (policies call functions in other schemas).
pub fn facts_query(schemas: &[String]) -> String {
    let list = crate::introspect::schema_list(schemas);
    format!(
        r#"WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relowner, c.reloptions
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{{r,p,v,m}}'::pg_catalog."char"[])
    AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
)
SELECT pg_catalog.json_build_object(
  'current_user', current_user,
  'server_version_num', pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
  'superusers', (SELECT coalesce(pg_catalog.json_agg(ro.rolname), '[]') FROM pg_catalog.pg_roles ro WHERE ro.rolsuper),
  'tables', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', r.nspname, 'name', r.relname, 'owner', pg_catalog.pg_get_userbyid(r.relowner),
      'comment', d.description)), '[]')
    FROM rels r LEFT JOIN pg_catalog.pg_description d ON d.objoid OPERATOR(pg_catalog.=) r.oid
      AND d.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
      AND d.objsubid OPERATOR(pg_catalog.=) 0
    WHERE r.relkind OPERATOR(pg_catalog.=) ANY ('{{r,p}}'::pg_catalog."char"[])),
  'indexes', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', r.nspname, 'table', r.relname, 'name', ic.relname, 'leading', a.attname)), '[]')
    FROM pg_catalog.pg_index i JOIN rels r ON r.oid OPERATOR(pg_catalog.=) i.indrelid
    JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
      AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]
    WHERE i.indisvalid),
  'views', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', v.nspname, 'name', v.relname, 'owner', pg_catalog.pg_get_userbyid(v.relowner),
      'security_invoker', coalesce((SELECT pg_catalog.lower(o.option_value) OPERATOR(pg_catalog.=) ANY ('{{true,on,1,yes}}'::pg_catalog.text[])
          FROM pg_catalog.pg_options_to_table(v.reloptions) o
          WHERE o.option_name OPERATOR(pg_catalog.=) 'security_invoker'), false),
      'reads', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
            'schema', b.nspname, 'name', b.relname, 'rls', b.relrowsecurity,
            'forced', b.relforcerowsecurity, 'owner', pg_catalog.pg_get_userbyid(b.relowner))), '[]')
          FROM (SELECT DISTINCT tn.nspname, t.relname, t.relrowsecurity, t.relforcerowsecurity, t.relowner
                FROM pg_catalog.pg_rewrite rw
                JOIN pg_catalog.pg_depend dp ON dp.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
                  AND dp.objid OPERATOR(pg_catalog.=) rw.oid
                  AND dp.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                JOIN pg_catalog.pg_class t ON t.oid OPERATOR(pg_catalog.=) dp.refobjid
                JOIN pg_catalog.pg_namespace tn ON tn.oid OPERATOR(pg_catalog.=) t.relnamespace
                WHERE rw.ev_class OPERATOR(pg_catalog.=) v.oid AND t.oid OPERATOR(pg_catalog.<>) v.oid
                  AND t.relkind OPERATOR(pg_catalog.=) ANY ('{{r,p}}'::pg_catalog."char"[])) b)
    )), '[]') FROM rels v WHERE v.relkind OPERATOR(pg_catalog.=) ANY ('{{v,m}}'::pg_catalog."char"[])),
  'functions', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'args', pg_catalog.pg_get_function_identity_arguments(p.oid),
      'security_definer', p.prosecdef, 'volatility', p.provolatile,
      'search_path_set', EXISTS (SELECT FROM pg_catalog.unnest(p.proconfig) AS c(setting)
          WHERE pg_catalog.starts_with(pg_catalog.lower(c.setting), 'search_path=')),
      'owner', pg_catalog.pg_get_userbyid(p.proowner),
      'executors', (SELECT coalesce(pg_catalog.json_agg(DISTINCT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
              THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::pg_catalog.text END), '[]')
          FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f'::pg_catalog."char", p.proowner))) a
          WHERE a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE')
    )), '[]')
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
    WHERE p.prokind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char"
      AND n.nspname OPERATOR(pg_catalog.<>) ALL ('{{pg_catalog,information_schema}}'::pg_catalog.name[])
      AND n.nspname OPERATOR(pg_catalog.!~) '^pg_toast' AND n.nspname OPERATOR(pg_catalog.!~) '^pg_temp')
)::pg_catalog.text"#
    )
}

/// Reads the RLS state of `schemas` and the lint facts in one read-only snapshot.
pub fn read(
    exec: &mut dyn crate::exec::Exec,
    scope: crate::exec::Scope,
    timeouts: &crate::session::Timeouts,
    schemas: &[String],
) -> Result<(crate::ir::Schema, DbFacts), Error> {
    let (schema, docs) =
        crate::exec::introspect_with(exec, scope, timeouts, schemas, &[facts_query(schemas)])?;
    let facts = DbFacts::from_json(docs.first().expect("one document"))?;
    Ok((schema, facts))
}
