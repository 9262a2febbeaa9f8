//! Reading RLS state from a live database.
//!
//! One catalog query returns the whole state, whatever the number of tables, as rows of
//! text (one row per table with its columns as arrays, one per policy, and one row holding
//! the rest as JSON), so that no row grows much with the database and a reader can build
//! the IR as the rows arrive, from one connection or, split, from two.
//! Any driver can run it (the Python and Node packages run it on their own connections),
//! and [`CatalogReader`] (or [`from_catalog_rows`]) turns the rows into the IR.
//! Expressions are printed by `pg_get_expr` under a fixed search_path: run the
//! [`crate::session::pins`] first, inside a transaction or savepoint that is rolled back
//! afterwards.

#[cfg(feature = "db")]
mod live;
#[cfg(feature = "db")]
pub use live::*;

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::Error;
use crate::ir::*;
use crate::sql::quote::literal;

/// The search_path under which expressions are printed (and plans run).
pub use crate::session::SEARCH_PATH;

/// How many text columns each row of [`catalog_query`] has: the row's kind, then up to
/// eight fields.
pub const CATALOG_COLUMNS: usize = 9;

/// The schemas a catalog query reads, as a list of SQL literals (`public` for none).
pub(crate) fn schema_list(schemas: &[String]) -> String {
    if schemas.is_empty() {
        literal("public")
    } else {
        schemas
            .iter()
            .map(|s| literal(s))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The one catalog query for the given schemas (an empty list means `public`). Returns
/// rows of [`CATALOG_COLUMNS`] text columns; the first column says what the row is:
///
/// - `h`: one row, the rest of the state as one JSON document (the session, roles, role
///   names by oid, grants, functions, types);
/// - `t`: a table: oid, schema, name, RLS enabled, RLS forced, and its columns in order as
///   three arrays (names, types, NOT NULL), NULL for a table without columns;
/// - `p`: a policy: table oid, name, command, permissive, role oids (`{...}`), USING,
///   WITH CHECK, comment.
///
/// Written for the server's time at scale: plain rows (no JSON built per table, column or
/// policy; a table's columns aggregated by one index scan), policy comments from a join, role oids named through one map, and nothing
/// sorted on the server ([`Schema::normalize`] sorts). Every function and operator is
/// qualified; every column is text.
pub fn catalog_query(schemas: &[String]) -> String {
    let list = schema_list(schemas);
    format!(
        "{}\n{}\nUNION ALL\n{}\nUNION ALL\n{}",
        catalog_rels(&list),
        catalog_header(&list),
        catalog_tables(),
        catalog_policies(None)
    )
}

/// [`catalog_query`] as one row with one text column: a JSON array holding each of its
/// rows as an array of [`CATALOG_COLUMNS`] strings or nulls. For a driver whose cost is per
/// row and per field rather than per byte (a callback into Python that builds an object
/// for every field): the server spends a few percent more to build the array, the client
/// parses it in one pass ([`exec::read_catalog_packed`](crate::exec::read_catalog_packed)).
pub fn catalog_query_packed(schemas: &[String]) -> String {
    format!(
        "SELECT pg_catalog.json_agg(pg_catalog.json_build_array(q.k, q.c1, q.c2, q.c3, q.c4, q.c5, q.c6, q.c7, q.c8))::pg_catalog.text\n\
         FROM (\n{}\n) q(k, c1, c2, c3, c4, c5, c6, c7, c8)",
        catalog_query(schemas)
    )
}

/// Feeds `reader` the rows of [`catalog_query_packed`]'s one text, without holding them
/// all: each row is read, handed over and dropped.
pub fn feed_packed(packed: &str, reader: &mut CatalogReader) -> Result<(), Error> {
    use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
    struct Rows<'r>(&'r mut CatalogReader);
    /// A field, borrowed from the text unless it holds an escape.
    #[derive(Deserialize)]
    struct Field<'a>(#[serde(borrow)] Option<std::borrow::Cow<'a, str>>);
    impl<'de> Visitor<'de> for Rows<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of catalog rows")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(row) = seq.next_element::<Vec<Field<'de>>>()? {
                if row.len() != CATALOG_COLUMNS {
                    return Err(serde::de::Error::invalid_length(row.len(), &"9 columns"));
                }
                let fields: Vec<Option<&str>> = row.iter().map(|f| f.0.as_deref()).collect();
                self.0.row(&fields);
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Rows<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    let mut de = serde_json::Deserializer::from_str(packed);
    Rows(reader)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| {
            Error::Database(format!(
                "introspection: the catalog rows are not readable: {e}"
            ))
        })
}

/// The transaction-local setting that holds the exported snapshot's name when the catalog
/// read is split (`''` when it is not).
pub(crate) const SPLIT_SETTING: &str = "pgpolicy.snapshot";

/// Below this many policies (in the whole database) the catalog is read on one
/// connection: a second one costs more than it saves.
pub const SPLIT_MIN_POLICIES: u32 = 4000;

/// The catalog read split over two connections that share one snapshot (see
/// [`crate::exec::Exec::open_and_read_catalog`]):
///
/// - `decide`: one row, the exported snapshot's name when the read is split (a primary,
///   at least `min_policies` policies, [`SPLIT_MIN_POLICIES`] unless a test says
///   otherwise), else `''`; it also records that answer in
///   the transaction's `pgpolicy.snapshot` setting, so that `first` reads it back in the
///   same snapshot instead of deciding again;
/// - `first`: every row of [`catalog_query`] but, when split, only the policies of the
///   tables of one half (by a hash of their oid);
/// - `second`: the policies of the other half, for the second connection.
///
/// The halves go by table, so that each server process prints the expressions of (and
/// builds its cache entries for) half of the tables.
///
/// Together they return exactly the rows of [`catalog_query`].
pub fn catalog_query_split(schemas: &[String], min_policies: u32) -> (String, String, String) {
    let list = schema_list(schemas);
    let decide = format!(
        "SELECT pg_catalog.set_config('{SPLIT_SETTING}', CASE WHEN pg_catalog.pg_is_in_recovery() \
         OR (SELECT pg_catalog.count(*) FROM pg_catalog.pg_policy) OPERATOR(pg_catalog.<) {min_policies} \
         THEN '' ELSE pg_catalog.pg_export_snapshot() END, true)"
    );
    let even = format!(
        "COALESCE(pg_catalog.current_setting('{SPLIT_SETTING}', true), '') OPERATOR(pg_catalog.=) '' \
         OR {}",
        half(0)
    );
    let first = format!(
        "{}\n{}\nUNION ALL\n{}\nUNION ALL\n{}",
        catalog_rels(&list),
        catalog_header(&list),
        catalog_tables(),
        catalog_policies(Some(&even))
    );
    let second = format!(
        "{}\n{}",
        catalog_rels(&list),
        catalog_policies(Some(&half(1)))
    );
    (decide, first, second)
}

/// The policies of one half (0 or 1) of the split: of the tables whose oid hashes to an
/// even or odd number (oids themselves step by the objects each table brings, often all
/// of one parity).
fn half(k: u8) -> String {
    format!("(pg_catalog.hashoid(p.polrelid) OPERATOR(pg_catalog.&) 1) OPERATOR(pg_catalog.=) {k}")
}

/// The tables of the listed schemas (a CTE every part reads).
fn catalog_rels(list: &str) -> String {
    format!(
        r#"WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relowner, c.relacl
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{{r,p}}'::pg_catalog."char"[])
    AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
)
"#
    )
}

/// The session time zone's rules from 1970 to 2037 as the server applies them (what
/// `SessionSettings::zone` holds): the offset and abbreviation at the start, then each
/// change of the offset, found by sampling every 14 days and bisecting each changed span to
/// the second, as `"<unix seconds> <offset east> <abbreviation>"`.
fn zone_rules() -> String {
    use crate::expr::canon::{ZONE_FROM, ZONE_STEP, ZONE_TO};
    let off = |e: &str| {
        format!(
            "pg_catalog.date_part('timezone', pg_catalog.to_timestamp({e}::pg_catalog.float8))::pg_catalog.int4"
        )
    };
    let full = |e: &str| {
        format!(
            "pg_catalog.concat({e}, ' ', {}, ' ', pg_catalog.to_char(pg_catalog.to_timestamp({e}::pg_catalog.float8), 'TZ'))",
            off(e)
        )
    };
    format!(
        r#"(WITH RECURSIVE s(e, z) AS (
      SELECT g.e, {off_g} FROM pg_catalog.generate_series({ZONE_FROM}::pg_catalog.int8, {ZONE_TO}::pg_catalog.int8, {ZONE_STEP}::pg_catalog.int8) g(e)),
    w(lo, hi, zlo, zhi) AS (SELECT pg_catalog.lag(s.e) OVER (ORDER BY s.e), s.e, pg_catalog.lag(s.z) OVER (ORDER BY s.e), s.z FROM s),
    b(lo, hi, zlo) AS (
      SELECT w.lo, w.hi, w.zlo FROM w WHERE w.zlo OPERATOR(pg_catalog.<>) w.zhi
      UNION ALL
      SELECT CASE WHEN m.z OPERATOR(pg_catalog.=) b.zlo THEN m.e ELSE b.lo END,
             CASE WHEN m.z OPERATOR(pg_catalog.=) b.zlo THEN b.hi ELSE m.e END, b.zlo
      FROM b, LATERAL (SELECT x.e, {off_x} AS z
          FROM (SELECT (b.lo OPERATOR(pg_catalog.+) b.hi) OPERATOR(pg_catalog./) 2::pg_catalog.int8 AS e) x) m
      WHERE (b.hi OPERATOR(pg_catalog.-) b.lo) OPERATOR(pg_catalog.>) 1::pg_catalog.int8)
    SELECT pg_catalog.json_agg(t.c ORDER BY t.e) FROM (
      SELECT {ZONE_FROM}::pg_catalog.int8 AS e, {full_0} AS c
      UNION ALL
      SELECT b.hi, {full_b} FROM b
      WHERE (b.hi OPERATOR(pg_catalog.-) b.lo) OPERATOR(pg_catalog.=) 1::pg_catalog.int8) t)"#,
        off_g = off("g.e"),
        off_x = off("x.e"),
        full_0 = full(&format!("{ZONE_FROM}::pg_catalog.int8")),
        full_b = full("b.hi"),
    )
}

/// The `h` row.
fn catalog_header(list: &str) -> String {
    let zone = zone_rules();
    format!(
        r#"SELECT 'h'::pg_catalog.text, pg_catalog.json_build_object(
  'current_user', current_user,
  'server_version_num', pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
  'search_path', pg_catalog.current_setting('search_path'),
  'timezone', pg_catalog.current_setting('TimeZone'), 'datestyle', pg_catalog.current_setting('DateStyle'),
  'intervalstyle', pg_catalog.current_setting('IntervalStyle'),
  'timezone_abbreviations', pg_catalog.current_setting('timezone_abbreviations'),
  'zone', {zone},
  'role_names', (SELECT pg_catalog.json_object_agg(ro.oid, ro.rolname) FROM pg_catalog.pg_roles ro),
  'roles', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', ro.rolname, 'login', ro.rolcanlogin, 'inherit', ro.rolinherit,
      'bypassrls', ro.rolbypassrls, 'connection_limit', ro.rolconnlimit,
      'member_of', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
            'role', g.rolname, 'admin', o.admin, 'inherit', o.inherit, 'set', o.set) ORDER BY g.rolname), '[]')
          FROM (SELECT m.roleid, pg_catalog.bool_or(m.admin_option) AS admin,
                  pg_catalog.bool_or((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::pg_catalog.bool) AS inherit,
                  pg_catalog.bool_or((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'set_option')::pg_catalog.bool) AS set
                FROM pg_catalog.pg_auth_members m WHERE m.member OPERATOR(pg_catalog.=) ro.oid
                GROUP BY m.roleid) o
          JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) o.roleid)
    ) ORDER BY ro.rolname), '[]')
    FROM pg_catalog.pg_roles ro WHERE ro.rolname OPERATOR(pg_catalog.!~) '^pg_'),
  'grants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', g.nspname, 'table', g.relname, 'role', g.grantee, 'grantable', g.grantable,
      'privileges', g.privileges
    ) ORDER BY g.nspname, g.relname, g.grantee), '[]')
    FROM (
      SELECT r.nspname, r.relname,
             CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE ro.rolname END AS grantee,
             a.is_grantable AS grantable,
             pg_catalog.json_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
      FROM rels r CROSS JOIN LATERAL pg_catalog.aclexplode(r.relacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) a.grantee
      WHERE a.grantee OPERATOR(pg_catalog.<>) r.relowner
      GROUP BY r.nspname, r.relname, a.grantee, ro.rolname, a.is_grantable
    ) g),
  'column_grants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', g.nspname, 'table', g.relname, 'column', g.attname, 'role', g.grantee,
      'grantable', g.grantable, 'privileges', g.privileges)), '[]')
    FROM (
      SELECT r.nspname, r.relname, at.attname,
             CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE ro.rolname END AS grantee,
             a.is_grantable AS grantable,
             pg_catalog.json_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
      FROM pg_catalog.pg_attribute at JOIN rels r ON r.oid OPERATOR(pg_catalog.=) at.attrelid
      CROSS JOIN LATERAL pg_catalog.aclexplode(at.attacl) a
      LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) a.grantee
      WHERE at.attacl IS NOT NULL AND at.attnum OPERATOR(pg_catalog.>) 0 AND NOT at.attisdropped
        AND a.grantee OPERATOR(pg_catalog.<>) r.relowner
      GROUP BY r.nspname, r.relname, at.attname, a.grantee, ro.rolname, a.is_grantable
    ) g),
  'object_grants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'on', k.kind, 'schema', k.nspname, 'name', k.name, 'args', k.args,
      'role', CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE ro.rolname END,
      'grantable', g.grantable, 'privileges', g.privileges)), '[]')
    FROM (
      SELECT 'sequence' AS kind, n.nspname, c.relname::pg_catalog.text AS name, NULL::pg_catalog.json AS args,
             c.relowner AS owner, coalesce(c.relacl, pg_catalog.acldefault('s'::pg_catalog."char", c.relowner)) AS acl
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
      WHERE c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char"
        AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
      UNION ALL
      SELECT 'schema', n.nspname, '', NULL, n.nspowner,
             coalesce(n.nspacl, pg_catalog.acldefault('n'::pg_catalog."char", n.nspowner))
      FROM pg_catalog.pg_namespace n
      WHERE n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
      UNION ALL
      SELECT 'function', n.nspname, p.proname::pg_catalog.text,
             (SELECT coalesce(pg_catalog.json_agg(pg_catalog.format_type(a.t, NULL) ORDER BY a.ord), '[]')
              FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, ord)),
             p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f'::pg_catalog."char", p.proowner))
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
      WHERE p.prokind OPERATOR(pg_catalog.=) ANY ('{{f,p}}'::pg_catalog."char"[])
        AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])
    ) k CROSS JOIN LATERAL (
      SELECT a.grantee, a.is_grantable AS grantable,
             pg_catalog.json_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
      FROM pg_catalog.aclexplode(k.acl) a
      WHERE a.grantee OPERATOR(pg_catalog.<>) k.owner
      GROUP BY a.grantee, a.is_grantable
    ) g LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) g.grantee),
  'default_privileges', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'owner', o.rolname, 'schema', n.nspname, 'on', d.defaclobjtype,
      'role', CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE ro.rolname END,
      'grantable', g.grantable, 'privileges', g.privileges)), '[]')
    FROM pg_catalog.pg_default_acl d
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) d.defaclrole
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) d.defaclnamespace
    LEFT JOIN LATERAL (
      SELECT a.grantee, a.is_grantable AS grantable,
             pg_catalog.json_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
      FROM pg_catalog.aclexplode(d.defaclacl) a
      WHERE a.grantee OPERATOR(pg_catalog.<>) d.defaclrole
      GROUP BY a.grantee, a.is_grantable
    ) g ON true LEFT JOIN pg_catalog.pg_roles ro ON ro.oid OPERATOR(pg_catalog.=) g.grantee
    WHERE d.defaclobjtype OPERATOR(pg_catalog.<>) 'T'::pg_catalog."char"
      AND (d.defaclnamespace OPERATOR(pg_catalog.=) 0::pg_catalog.oid
           OR n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[]))),
  'function_defs', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'args', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.format_type(a.t, NULL) ORDER BY a.ord), '[]')
          FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, ord)),
      'arguments', pg_catalog.pg_get_function_arguments(p.oid),
      'returns', pg_catalog.pg_get_function_result(p.oid),
      'language', l.lanname, 'volatility', p.provolatile, 'security_definer', p.prosecdef,
      'strict', p.proisstrict, 'config', p.proconfig, 'body', p.prosrc,
      'parallel', p.proparallel, 'leakproof', p.proleakproof, 'cost', p.procost)), '[]')
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid OPERATOR(pg_catalog.=) p.prolang
    WHERE p.prokind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char"
      AND l.lanname OPERATOR(pg_catalog.<>) ALL ('{{internal,c}}'::pg_catalog.name[])
      AND n.nspname OPERATOR(pg_catalog.=) ANY (ARRAY[{list}]::pg_catalog.name[])),
  'functions', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', n.nspname, 'name', p.proname,
      'args', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.format_type(a.t, NULL) ORDER BY a.ord), '[]')
          FROM pg_catalog.unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, ord)),
      'returns', pg_catalog.format_type(p.prorettype, NULL), 'returns_set', p.proretset,
      'arg_names', (SELECT pg_catalog.json_agg(a.n ORDER BY a.o)
          FROM ROWS FROM (pg_catalog.unnest(p.proargnames), pg_catalog.unnest(p.proargmodes)) WITH ORDINALITY AS a(n, m, o)
          WHERE a.m IS NULL OR a.m OPERATOR(pg_catalog.=) ANY ('{{i,b,v}}'::pg_catalog."char"[])),
      'defaults', p.pronargdefaults, 'variadic', p.provariadic OPERATOR(pg_catalog.<>) 0::pg_catalog.oid
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
)::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text,
  NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text"#
    )
}

/// The `t` rows.
fn catalog_tables() -> String {
    r#"SELECT 't', r.oid::pg_catalog.text, r.nspname::pg_catalog.text, r.relname::pg_catalog.text,
  r.relrowsecurity::pg_catalog.text, r.relforcerowsecurity::pg_catalog.text,
  cl.names::pg_catalog.text, cl.types::pg_catalog.text, cl.notnull::pg_catalog.text
FROM rels r CROSS JOIN LATERAL (
  SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) AS names,
         pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS types,
         pg_catalog.array_agg(a.attnotnull ORDER BY a.attnum) AS notnull
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid OPERATOR(pg_catalog.=) r.oid AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
) cl"#.to_string()
}

/// The `p` rows (those matching `filter`, when given).
fn catalog_policies(filter: Option<&str>) -> String {
    let mut q = r#"SELECT 'p', p.polrelid::pg_catalog.text, p.polname::pg_catalog.text, p.polcmd::pg_catalog.text,
  p.polpermissive::pg_catalog.text, p.polroles::pg_catalog.text,
  pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
  d.description
FROM pg_catalog.pg_policy p JOIN rels r ON r.oid OPERATOR(pg_catalog.=) p.polrelid
LEFT JOIN pg_catalog.pg_description d ON d.objoid OPERATOR(pg_catalog.=) p.oid
  AND d.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_policy'::pg_catalog.regclass
  AND d.objsubid OPERATOR(pg_catalog.=) 0"#.to_string();
    if let Some(f) = filter {
        q.push_str("\nWHERE ");
        q.push_str(f);
    }
    q
}

#[derive(Deserialize)]
struct CatalogRole {
    name: String,
    login: bool,
    inherit: bool,
    bypassrls: bool,
    #[serde(default)]
    connection_limit: Option<i32>,
    member_of: Vec<CatalogMembership>,
}

/// A membership; `inherit` and `set` are NULL before PostgreSQL 16 (the query reads them
/// through `to_jsonb` so that it runs on every version).
#[derive(Deserialize)]
struct CatalogMembership {
    role: String,
    admin: bool,
    inherit: Option<bool>,
    set: Option<bool>,
}

#[derive(Deserialize)]
struct CatalogGrant {
    schema: String,
    table: String,
    role: Option<String>,
    #[serde(default)]
    grantable: bool,
    privileges: Vec<String>,
}

#[derive(Deserialize)]
struct CatalogColumnGrant {
    schema: String,
    table: String,
    column: String,
    role: Option<String>,
    grantable: bool,
    privileges: Vec<String>,
}

/// Privileges on a sequence, a schema or a function (with its argument types), where a
/// missing ACL reads as the kind's defaults (`acldefault`: PUBLIC may execute functions).
#[derive(Deserialize)]
struct CatalogObjectGrant {
    on: ObjectKind,
    schema: String,
    name: String,
    args: Option<Vec<String>>,
    role: Option<String>,
    grantable: bool,
    privileges: Vec<String>,
}

/// A user function's definition as `pg_proc` stores it (`volatility`: `provolatile`,
/// `config`: `proconfig`).
#[derive(Deserialize)]
struct CatalogFunctionDef {
    schema: String,
    name: String,
    args: Vec<String>,
    arguments: String,
    returns: String,
    language: String,
    volatility: String,
    security_definer: bool,
    strict: bool,
    config: Option<Vec<String>>,
    body: String,
    /// `proparallel`: `s`, `r` or `u`.
    #[serde(default)]
    parallel: String,
    #[serde(default)]
    leakproof: bool,
    #[serde(default)]
    cost: Option<f64>,
}

/// The search_path a function's `proconfig` sets (`search_path=public, pg_temp`;
/// `search_path=""` for none), or None.
fn function_search_path(config: &[String]) -> Option<Vec<String>> {
    let value = config.iter().find_map(|c| c.strip_prefix("search_path="))?;
    Some(
        value
            .split(',')
            .map(|s| {
                let s = s.trim();
                match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                    Some(q) => q.replace("\"\"", "\""),
                    None => s.to_string(),
                }
            })
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// A `pg_default_acl` entry's grants to one grantee (`on`: `defaclobjtype`); an entry
/// that grants nobody anything has no `privileges`.
#[derive(Deserialize)]
struct CatalogDefaultPrivilege {
    owner: String,
    schema: Option<String>,
    on: String,
    role: Option<String>,
    grantable: Option<bool>,
    privileges: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CatalogFunction {
    schema: String,
    name: String,
    args: Vec<String>,
    returns: String,
    returns_set: bool,
    /// Input parameter names (`proargnames` without OUT parameters), or null.
    #[serde(default)]
    arg_names: Option<Vec<String>>,
    #[serde(default)]
    defaults: usize,
    #[serde(default)]
    variadic: bool,
}

#[derive(Deserialize)]
struct CatalogType {
    schema: String,
    name: String,
    labels: Option<Vec<String>>,
    base: Option<String>,
}

/// The `h` row: everything but tables, columns and policies.
#[derive(Deserialize)]
struct CatalogHeader {
    current_user: String,
    server_version_num: u32,
    search_path: String,
    /// The session settings literals are printed under (and, for pgpolicy's own
    /// statements, read under).
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    datestyle: Option<String>,
    #[serde(default)]
    intervalstyle: Option<String>,
    #[serde(default)]
    timezone_abbreviations: Option<String>,
    /// The time zone's rules (see `zone_rules`).
    #[serde(default)]
    zone: Option<Vec<String>>,
    /// Every role's name by oid (as text), so that each policy carries only oids.
    role_names: Option<HashMap<String, String>>,
    roles: Vec<CatalogRole>,
    grants: Vec<CatalogGrant>,
    #[serde(default)]
    column_grants: Vec<CatalogColumnGrant>,
    #[serde(default)]
    object_grants: Vec<CatalogObjectGrant>,
    #[serde(default)]
    default_privileges: Vec<CatalogDefaultPrivilege>,
    #[serde(default)]
    function_defs: Vec<CatalogFunctionDef>,
    functions: Vec<CatalogFunction>,
    types: Vec<CatalogType>,
}

/// Builds the IR from the rows of [`catalog_query`], one row at a time, in whatever order
/// they arrive; nothing but the IR under construction is kept.
#[derive(Default)]
pub struct CatalogReader {
    header: Option<CatalogHeader>,
    tables: Vec<Table>,
    /// Table index by oid.
    by_oid: HashMap<u32, usize>,
    /// Policies (table oid, role oids) until every table is known.
    policies: Vec<(u32, Vec<u32>, Policy)>,
    error: Option<Error>,
}

fn bad_row(kind: &str, what: &str) -> Error {
    Error::Database(format!(
        "unexpected catalog result: a {kind:?} row without a valid {what}"
    ))
}

fn field<'a>(row: &[Option<&'a str>], i: usize, kind: &str, what: &str) -> Result<&'a str, Error> {
    row.get(i)
        .copied()
        .flatten()
        .ok_or_else(|| bad_row(kind, what))
}

fn flag(row: &[Option<&str>], i: usize, kind: &str, what: &str) -> Result<bool, Error> {
    match field(row, i, kind, what)? {
        "true" | "t" => Ok(true),
        "false" | "f" => Ok(false),
        _ => Err(bad_row(kind, what)),
    }
}

fn number<T: std::str::FromStr>(
    row: &[Option<&str>],
    i: usize,
    kind: &str,
    what: &str,
) -> Result<T, Error> {
    field(row, i, kind, what)?
        .parse()
        .map_err(|_| bad_row(kind, what))
}

/// A one-dimensional array as PostgreSQL prints it (`{a,"b c","d\"e"}`) as its elements;
/// None for anything else, a NULL element included.
fn text_array(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    if inner.is_empty() {
        return Some(out);
    }
    let mut chars = inner.chars().peekable();
    loop {
        let mut item = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => item.push(chars.next()?),
                    c => item.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if matches!(c, '"' | '{' | '}' | '\\') {
                    return None;
                }
                item.push(c);
                chars.next();
            }
            if item.is_empty() || item.eq_ignore_ascii_case("NULL") {
                return None;
            }
        }
        out.push(item);
        match chars.next() {
            None => return Some(out),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// `{1,2}` (an `oid[]` as text) as oids.
fn oids(text: &str) -> Option<Vec<u32>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner.split(',').map(|o| o.parse().ok()).collect()
}

impl CatalogReader {
    pub fn new() -> CatalogReader {
        CatalogReader::default()
    }

    /// Takes the rows another reader took (the other half of a split read): as if they
    /// had come to this one. An error of either is kept.
    pub fn merge(&mut self, other: CatalogReader) {
        if self.error.is_none() {
            self.error = other.error;
        }
        if let Some(h) = other.header {
            if self.header.is_some() {
                self.error.get_or_insert_with(|| {
                    Error::Database("unexpected catalog result: two \"h\" rows".into())
                });
            }
            self.header = Some(h);
        }
        for (oid, index) in other.by_oid {
            if self.by_oid.insert(oid, index + self.tables.len()).is_some() {
                self.error.get_or_insert_with(|| {
                    Error::Database(format!(
                        "unexpected catalog result: two \"t\" rows of table oid {oid}"
                    ))
                });
            }
        }
        self.tables.extend(other.tables);
        self.policies.extend(other.policies);
    }

    /// Takes one row of the catalog query (columns as text, or NULL). A malformed row is
    /// reported by [`CatalogReader::finish`].
    pub fn row(&mut self, row: &[Option<&str>]) {
        if self.error.is_none() {
            if let Err(e) = self.take(row) {
                self.error = Some(e);
            }
        }
    }

    fn take(&mut self, row: &[Option<&str>]) -> Result<(), Error> {
        let kind = row.first().copied().flatten().unwrap_or("");
        match kind {
            "h" => {
                let text = field(row, 1, kind, "document")?;
                self.header = Some(
                    serde_json::from_str(text)
                        .map_err(|e| Error::Database(format!("unexpected catalog result: {e}")))?,
                );
            }
            "t" => {
                let oid: u32 = number(row, 1, kind, "oid")?;
                let mut table =
                    Table::new(field(row, 2, kind, "schema")?, field(row, 3, kind, "name")?);
                table.rls = Rls::new(
                    flag(row, 4, kind, "relrowsecurity")?,
                    flag(row, 5, kind, "relforcerowsecurity")?,
                );
                let arrays = (6..9)
                    .map(|i| row.get(i).copied().flatten().map(text_array))
                    .collect::<Vec<_>>();
                if let [Some(names), Some(types), Some(notnull)] = arrays.as_slice() {
                    let (Some(names), Some(types), Some(notnull)) = (names, types, notnull) else {
                        return Err(bad_row(kind, "column arrays"));
                    };
                    if names.len() != types.len() || names.len() != notnull.len() {
                        return Err(bad_row(kind, "column arrays"));
                    }
                    table.columns.reserve_exact(names.len());
                    for ((name, ty), nn) in names.iter().zip(types).zip(notnull) {
                        let nullable = match nn.as_str() {
                            "f" | "false" => true,
                            "t" | "true" => false,
                            _ => return Err(bad_row(kind, "column arrays")),
                        };
                        table.columns.push(Column {
                            name: name.clone(),
                            data_type: ty.clone(),
                            nullable,
                        });
                    }
                } else if arrays.iter().any(Option::is_some) {
                    return Err(bad_row(kind, "column arrays"));
                }
                self.by_oid.insert(oid, self.tables.len());
                self.tables.push(table);
            }
            "p" => {
                let oid: u32 = number(row, 1, kind, "table oid")?;
                let cmd = field(row, 3, kind, "polcmd")?;
                let command = Command::parse(cmd)
                    .ok_or_else(|| Error::Database(format!("unknown polcmd {cmd:?}")))?;
                let roles = oids(field(row, 5, kind, "polroles")?)
                    .ok_or_else(|| bad_row(kind, "polroles"))?;
                let text = |i: usize| row.get(i).copied().flatten().map(str::to_string);
                let policy = Policy {
                    name: field(row, 2, kind, "name")?.to_string(),
                    command,
                    permissive: flag(row, 4, kind, "polpermissive")?,
                    roles: Vec::new(),
                    using: text(6),
                    with_check: text(7),
                    comment: text(8),
                    renamed_from: None,
                    lint_allow: Vec::new(),
                };
                self.policies.push((oid, roles, policy));
            }
            _ => return Err(bad_row(kind, "kind")),
        }
        Ok(())
    }

    /// The schema the rows describe.
    pub fn finish(self) -> Result<Schema, Error> {
        use crate::expr::canon::{FunctionSig, TypeDef, TypeKind};
        if let Some(e) = self.error {
            return Err(e);
        }
        let c = self.header.ok_or_else(|| {
            Error::Database("unexpected catalog result: no \"h\" row".to_string())
        })?;
        let mut tables = self.tables;
        let by_oid = self.by_oid;
        let table_of = |oid: u32| {
            by_oid.get(&oid).copied().ok_or_else(|| {
                Error::Database(format!(
                    "unexpected catalog result: a row of table oid {oid}, which has no \"t\" row"
                ))
            })
        };
        let role_names = c.role_names.unwrap_or_default();
        for (oid, roles, mut policy) in self.policies {
            policy.roles = roles
                .into_iter()
                .map(|r| match r {
                    0 => RoleSpec::Public,
                    // A role dropped under the policy has no name: "".
                    _ => {
                        RoleSpec::Named(role_names.get(&r.to_string()).cloned().unwrap_or_default())
                    }
                })
                .collect();
            tables[table_of(oid)?].policies.push(policy);
        }
        for t in &mut tables {
            t.policies.shrink_to_fit();
        }
        let mut schema = Schema {
            database: Some(DatabaseInfo {
                current_user: c.current_user,
                server_version_num: c.server_version_num,
                search_path: c.search_path,
            }),
            tables,
            ..Schema::default()
        };
        for r in c.roles {
            schema.roles.push(Role {
                name: r.name,
                login: r.login,
                inherit: r.inherit,
                bypassrls: r.bypassrls,
                connection_limit: r.connection_limit,
                member_of: r.member_of.iter().map(|m| m.role.clone()).collect(),
                membership_options: r
                    .member_of
                    .into_iter()
                    .map(|m| {
                        let o = MembershipOptions {
                            admin: m.admin,
                            inherit: m.inherit,
                            set: m.set,
                        };
                        (m.role, o)
                    })
                    .collect(),
            });
        }
        let grantee = |r: Option<String>| match r.as_deref() {
            Some("PUBLIC") | None => RoleSpec::Public,
            Some(n) => RoleSpec::Named(n.to_string()),
        };
        let privileges = |v: Vec<String>| -> Vec<Privilege> {
            v.iter().filter_map(|p| Privilege::parse(p)).collect()
        };
        for g in c.grants {
            let mut grant =
                Grant::table(g.schema, g.table, grantee(g.role), privileges(g.privileges));
            grant.grant_option = g.grantable;
            schema.grants.push(grant);
        }
        for g in c.column_grants {
            let mut grant =
                Grant::table(g.schema, g.table, grantee(g.role), privileges(g.privileges));
            grant.columns = vec![g.column];
            grant.grant_option = g.grantable;
            schema.grants.push(grant);
        }
        for g in c.object_grants {
            let mut grant =
                Grant::table(g.schema, g.name, grantee(g.role), privileges(g.privileges));
            grant.on = g.on;
            grant.args = g.args.unwrap_or_default();
            grant.grant_option = g.grantable;
            schema.grants.push(grant);
        }
        // A global entry for functions replaces PostgreSQL's built-in default (PUBLIC may
        // execute): where it does not name PUBLIC, PUBLIC gets nothing, said explicitly.
        let mut public_functions: std::collections::HashMap<String, bool> = Default::default();
        for d in c.default_privileges {
            let on = match d.on.as_str() {
                "r" => ObjectKind::Table,
                "S" => ObjectKind::Sequence,
                "f" => ObjectKind::Function,
                "n" => ObjectKind::Schema,
                _ => continue,
            };
            let role = grantee(d.role);
            if on == ObjectKind::Function && d.schema.is_none() {
                let named = d.privileges.is_some() && role == RoleSpec::Public;
                *public_functions.entry(d.owner.clone()).or_default() |= named;
            }
            let Some(list) = d.privileges else { continue };
            schema.default_privileges.push(DefaultPrivilege {
                owner: Some(d.owner),
                schema: d.schema,
                on,
                role,
                privileges: privileges(list),
                grant_option: d.grantable.unwrap_or(false),
            });
        }
        for (owner, named) in public_functions {
            if !named {
                schema.default_privileges.push(DefaultPrivilege {
                    owner: Some(owner),
                    schema: None,
                    on: ObjectKind::Function,
                    role: RoleSpec::Public,
                    privileges: Vec::new(),
                    grant_option: false,
                });
            }
        }
        for f in c.function_defs {
            schema.functions.push(Function {
                schema: f.schema,
                name: f.name,
                arguments: f.arguments,
                args: f.args,
                returns: f.returns,
                language: f.language,
                volatility: match f.volatility.as_str() {
                    "i" => "IMMUTABLE",
                    "s" => "STABLE",
                    _ => "VOLATILE",
                }
                .into(),
                security_definer: f.security_definer,
                strict: f.strict,
                search_path: function_search_path(f.config.as_deref().unwrap_or(&[])),
                parallel: match f.parallel.as_str() {
                    "s" => "SAFE",
                    "r" => "RESTRICTED",
                    _ => "UNSAFE",
                }
                .into(),
                leakproof: f.leakproof,
                cost: f.cost.and_then(|c| function_cost(c).ok().flatten()),
                body: f.body,
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
                arg_names: f
                    .arg_names
                    .filter(|n| n.iter().any(|x| !x.is_empty()))
                    .unwrap_or_default(),
                defaults: f.defaults,
                variadic: f.variadic,
            })
            .collect();
        if let (Some(timezone), Some(datestyle), Some(intervalstyle)) =
            (c.timezone, c.datestyle, c.intervalstyle)
        {
            let zone = c
                .zone
                .unwrap_or_default()
                .iter()
                .map(|z| crate::ir::catalog::ZoneChange::parse(z))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    Error::Database(
                        "unexpected catalog result: unreadable time zone rules in the \"h\" row"
                            .into(),
                    )
                })?;
            schema.catalog.session = Some(crate::ir::catalog::SessionSettings {
                timezone,
                datestyle,
                intervalstyle,
                zone,
                abbreviations: c.timezone_abbreviations,
            });
        }
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
}

/// Builds the IR from the rows [`catalog_query`] returns (every column as text or NULL).
pub fn from_catalog_rows<R, S>(rows: impl IntoIterator<Item = R>) -> Result<Schema, Error>
where
    R: AsRef<[Option<S>]>,
    S: AsRef<str>,
{
    let mut reader = CatalogReader::new();
    for row in rows {
        let fields: Vec<Option<&str>> = row
            .as_ref()
            .iter()
            .map(|f| f.as_ref().map(AsRef::as_ref))
            .collect();
        reader.row(&fields);
    }
    reader.finish()
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
    referenced.extend(
        schema
            .default_privileges
            .iter()
            .filter_map(|d| d.role.name()),
    );
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
        r.membership_options.retain(|g, _| kept.contains(g));
    }
    out
}

#[cfg(test)]
mod reader_tests {
    use super::*;

    const HEADER: &str = r#"{"current_user":"app","server_version_num":150000,"search_path":"public",
        "role_names":{"16384":"app_user"},"roles":[],"grants":[],"functions":[],"types":[]}"#;

    fn row(fields: &[Option<&str>]) -> Vec<Option<String>> {
        fields.iter().map(|f| f.map(str::to_string)).collect()
    }

    fn table(oid: &str, name: &str, columns: [Option<&str>; 3]) -> Vec<Option<String>> {
        let [names, types, notnull] = columns;
        row(&[
            Some("t"),
            Some(oid),
            Some("public"),
            Some(name),
            Some("true"),
            Some("false"),
            names,
            types,
            notnull,
        ])
    }

    #[test]
    fn rows_are_read_in_any_order() {
        // A policy before its table; columns as PostgreSQL prints arrays (quoted where
        // they must be).
        let rows = vec![
            row(&[
                Some("p"),
                Some("10"),
                Some("own"),
                Some("r"),
                Some("true"),
                Some("{16384,0}"),
                Some("(owner = CURRENT_USER)"),
                None,
                Some("note"),
            ]),
            row(&[Some("h"), Some(HEADER)]),
            table(
                "10",
                "docs",
                [
                    Some(r#"{id,"owner \"x\""}"#),
                    Some(r#"{bigint,"character varying(20)[]"}"#),
                    Some("{t,f}"),
                ],
            ),
            table("11", "empty", [None, None, None]),
        ];
        let s = from_catalog_rows(rows).unwrap();
        let t = s.table("public", "docs").unwrap();
        assert_eq!(t.rls, Rls::new(true, false));
        let cols: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", "bigint", false),
                ("owner \"x\"", "character varying(20)[]", true)
            ]
        );
        assert!(s.table("public", "empty").unwrap().columns.is_empty());
        let p = &t.policies[0];
        assert_eq!(p.command, Command::Select);
        assert_eq!(
            p.roles,
            [RoleSpec::Named("app_user".into()), RoleSpec::Public]
        );
        assert_eq!(p.using.as_deref(), Some("(owner = CURRENT_USER)"));
        assert_eq!(p.with_check, None);
        assert_eq!(p.comment.as_deref(), Some("note"));
    }

    #[test]
    fn a_malformed_row_is_an_error_not_a_guess() {
        let bad = |r: Vec<Option<String>>| {
            let rows = vec![row(&[Some("h"), Some(HEADER)]), r];
            from_catalog_rows(rows).unwrap_err().to_string()
        };
        let ok = [Some("{a}"), Some("{int}"), Some("{t}")];
        assert!(bad(table("x", "t", ok)).contains("oid"));
        assert!(bad(row(&[
            Some("t"),
            Some("1"),
            Some("public"),
            Some("t"),
            Some("yes"),
            Some("false")
        ]))
        .contains("relrowsecurity"));
        assert!(bad(row(&[
            Some("p"),
            Some("99"),
            Some("p"),
            Some("*"),
            Some("true"),
            Some("{0}")
        ]))
        .contains("99"));
        for columns in [
            [Some("{a,b}"), Some("{int}"), Some("{t,f}")],
            [Some("{a,NULL}"), Some("{int,int}"), Some("{t,f}")],
            [Some("{a}"), Some("{int}"), Some("{x}")],
            [Some("{a}"), None, Some("{t}")],
            [Some(r#"{"a}"#), Some("{int}"), Some("{t}")],
        ] {
            assert!(
                bad(table("1", "t", columns)).contains("column arrays"),
                "{columns:?}"
            );
        }
        assert!(bad(row(&[Some("x")])).contains("kind"));
        let no_header = from_catalog_rows(Vec::<Vec<Option<String>>>::new()).unwrap_err();
        assert!(no_header.to_string().contains("\"h\" row"));
    }

    #[test]
    fn arrays_read_as_postgresql_prints_them() {
        assert_eq!(text_array("{}"), Some(vec![]));
        assert_eq!(
            text_array(r#"{a,"b c","d\"e","f\\g",NULLX}"#),
            Some(vec![
                "a".into(),
                "b c".into(),
                "d\"e".into(),
                "f\\g".into(),
                "NULLX".into()
            ])
        );
        assert_eq!(text_array(r#"{"NULL"}"#), Some(vec!["NULL".into()]));
        for bad in ["", "{", "{a", "{NULL}", "{a,}", r#"{"a"b}"#, "[1:1]={a}"] {
            assert_eq!(text_array(bad), None, "{bad}");
        }
    }
}
