//! PostgreSQL's expression grammar, construct by construct, on a live server: each case is
//! a policy expression as a developer writes it and the exact text `pg_get_expr` prints
//! for it (the same on PostgreSQL 15 and 16 unless the case says otherwise). For each, the
//! offline canonicalizer either produces exactly that text from the written expression
//! and from the stored one (`Exact`), or says that it cannot decide (`Undecidable`) and
//! the round trip settles the pair. Never a wrong text: a stored text that canonicalizes
//! offline canonicalizes to itself.
//!
//! `PGPOLICY_PG_BIN` selects the server (scripts/test.sh runs this file on 15 and 16).

mod common;

use common::*;
use pgpolicy::expr::canon::{canonicalize_declared, canonicalize_stored, Context};
use pgpolicy::introspect::LiveDb;
use pgpolicy::ir::TableName;
use pgpolicy::{Change, DiffOptions, Schema};

/// What the offline layer does with a case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Offline {
    /// The written and the stored text both canonicalize to the stored text.
    Exact,
    /// The written text is undecidable offline (the stored text, if it canonicalizes,
    /// canonicalizes to itself); the round trip decides.
    Undecidable,
}
use Offline::*;

struct Case {
    written: &'static str,
    stored: &'static str,
    /// The first major version whose grammar has the construct.
    since: u32,
    offline: Offline,
}

const fn case(written: &'static str, stored: &'static str, offline: Offline) -> Case {
    Case {
        written,
        stored,
        since: 15,
        offline,
    }
}

const fn pg16(written: &'static str, stored: &'static str, offline: Offline) -> Case {
    Case {
        written,
        stored,
        since: 16,
        offline,
    }
}

/// Every case is a USING expression of a policy on `g`.
const SCHEMA: &str = r#"
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE g (
  id integer PRIMARY KEY, owner_id uuid, name text, code varchar(10), region char(2),
  price numeric, qty bigint, score double precision, flag boolean,
  created_at timestamptz, day date, starts timestamp, ends timestamp, span interval,
  tags text[], ids integer[], data jsonb, doc json, m mood, note text
);
CREATE TABLE h (id integer PRIMARY KEY, g_id integer, owner_id uuid, label text, kind text, weight integer);
ALTER TABLE g ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION has_role(r text, tenant integer DEFAULT 0) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT true $$;
CREATE FUNCTION any_of(VARIADIC labels text[]) RETURNS boolean
  LANGUAGE sql STABLE AS $$ SELECT true $$;
"#;

const CASES: &[Case] = &[
    // BETWEEN [NOT] [SYMMETRIC]
    case(
        "price BETWEEN 1 AND 10",
        "((price >= (1)::numeric) AND (price <= (10)::numeric))",
        Exact,
    ),
    case(
        "price NOT BETWEEN 1 AND 10",
        "((price < (1)::numeric) OR (price > (10)::numeric))",
        Exact,
    ),
    case(
        "id BETWEEN SYMMETRIC 10 AND 1",
        "(((id >= 10) AND (id <= 1)) OR ((id >= 1) AND (id <= 10)))",
        Undecidable,
    ),
    case(
        "id NOT BETWEEN SYMMETRIC 10 AND 1",
        "(((id < 10) OR (id > 1)) AND ((id < 1) OR (id > 10)))",
        Undecidable,
    ),
    // SIMILAR TO [ESCAPE]
    case(
        "name SIMILAR TO 'a%'",
        "(name ~ similar_to_escape('a%'::text))",
        Exact,
    ),
    case(
        "name NOT SIMILAR TO 'a%'",
        "(name !~ similar_to_escape('a%'::text))",
        Exact,
    ),
    case(
        "name SIMILAR TO 'a!%%' ESCAPE '!'",
        "(name ~ similar_to_escape('a!%%'::text, '!'::text))",
        Exact,
    ),
    // IS [NOT] DISTINCT FROM
    case(
        "id IS DISTINCT FROM 3",
        "(id IS DISTINCT FROM 3)",
        Exact,
    ),
    case(
        "name IS NOT DISTINCT FROM 'x'",
        "(NOT (name IS DISTINCT FROM 'x'::text))",
        Exact,
    ),
    // IS [NOT] TRUE/FALSE/UNKNOWN
    case(
        "flag IS TRUE",
        "(flag IS TRUE)",
        Exact,
    ),
    case(
        "flag IS NOT FALSE",
        "(flag IS NOT FALSE)",
        Exact,
    ),
    case(
        "(id > 1) IS UNKNOWN",
        "((id > 1) IS UNKNOWN)",
        Exact,
    ),
    case(
        "flag IS NOT UNKNOWN",
        "(flag IS NOT UNKNOWN)",
        Exact,
    ),
    // OVERLAPS
    case(
        "(starts, ends) OVERLAPS ('2024-01-01'::timestamp, '2024-02-01'::timestamp)",
        "((starts, ends) OVERLAPS ('2024-01-01 00:00:00'::timestamp without time zone, '2024-02-01 00:00:00'::timestamp without time zone))",
        Exact,
    ),
    // AT TIME ZONE
    case(
        "(created_at AT TIME ZONE 'UTC') > starts",
        "((created_at AT TIME ZONE 'UTC'::text) > starts)",
        Exact,
    ),
    case(
        "starts AT TIME ZONE 'Europe/Paris' < now()",
        "((starts AT TIME ZONE 'Europe/Paris'::text) < now())",
        Exact,
    ),
    // COLLATE
    case(
        "name COLLATE \"C\" < 'm'",
        "((name COLLATE \"C\") < 'm'::text)",
        Exact,
    ),
    case(
        "name < 'm' COLLATE \"C\"",
        "(name < ('m'::text COLLATE \"C\"))",
        Undecidable,
    ),
    // row constructors and row comparisons
    case(
        "(id, name) = (1, 'x')",
        "((id = 1) AND (name = 'x'::text))",
        Exact,
    ),
    case(
        "(id, name) < (1, 'x')",
        "(ROW(id, name) < ROW(1, 'x'::text))",
        Exact,
    ),
    case(
        "ROW(id, qty) <> ROW(1, 2)",
        "((id <> 1) OR (qty <> 2))",
        Exact,
    ),
    case(
        "(id, name) IN ((1, 'a'), (2, 'b'))",
        "(((id = 1) AND (name = 'a'::text)) OR ((id = 2) AND (name = 'b'::text)))",
        Exact,
    ),
    // ARRAY[...], subscripts and slices
    case(
        "tags = ARRAY['a', 'b']",
        "(tags = ARRAY['a'::text, 'b'::text])",
        Exact,
    ),
    case(
        "tags[1] = 'x'",
        "(tags[1] = 'x'::text)",
        Exact,
    ),
    case(
        "tags[1:2] = ARRAY['a', 'b']",
        "(tags[1:2] = ARRAY['a'::text, 'b'::text])",
        Exact,
    ),
    case(
        "ids[2:] = '{1}'",
        "(ids[2:] = '{1}'::integer[])",
        Exact,
    ),
    // ANY/ALL/SOME over arrays and sub-selects
    case(
        "'x' = ANY (tags)",
        "('x'::text = ANY (tags))",
        Exact,
    ),
    case(
        "id = ANY (ids)",
        "(id = ANY (ids))",
        Exact,
    ),
    case(
        "id <> ALL (ids)",
        "(id <> ALL (ids))",
        Exact,
    ),
    case(
        "id = SOME (ids)",
        "(id = ANY (ids))",
        Exact,
    ),
    case(
        "id = ANY (ARRAY[1, 2])",
        "(id = ANY (ARRAY[1, 2]))",
        Exact,
    ),
    case(
        "id > ALL (SELECT weight FROM h)",
        "(id > ALL ( SELECT h.weight\n   FROM h))",
        Exact,
    ),
    case(
        "id = ANY (SELECT g_id FROM h)",
        "(id IN ( SELECT h.g_id\n   FROM h))",
        Exact,
    ),
    // array operators and functions
    case(
        "tags @> ARRAY['a']",
        "(tags @> ARRAY['a'::text])",
        Exact,
    ),
    case(
        "tags && '{a,b}'",
        "(tags && '{a,b}'::text[])",
        Exact,
    ),
    case(
        "array_length(tags, 1) > 0",
        "(array_length(tags, 1) > 0)",
        Exact,
    ),
    case(
        "cardinality(tags) > 0",
        "(cardinality(tags) > 0)",
        Exact,
    ),
    // CASE
    case(
        "CASE WHEN flag THEN id > 0 ELSE false END",
        "\nCASE\n    WHEN flag THEN (id > 0)\n    ELSE false\nEND",
        Exact,
    ),
    case(
        "CASE m WHEN 'happy' THEN true ELSE false END",
        "\nCASE m\n    WHEN 'happy'::mood THEN true\n    ELSE false\nEND",
        Exact,
    ),
    // COALESCE/NULLIF/GREATEST/LEAST
    case(
        "coalesce(flag, false)",
        "COALESCE(flag, false)",
        Exact,
    ),
    case(
        "nullif(name, '') IS NOT NULL",
        "(NULLIF(name, ''::text) IS NOT NULL)",
        Exact,
    ),
    case(
        "greatest(id, qty) > 3",
        "(GREATEST((id)::bigint, qty) > 3)",
        Exact,
    ),
    case(
        "least(price, 10) < 5",
        "(LEAST(price, (10)::numeric) < (5)::numeric)",
        Exact,
    ),
    // EXTRACT
    case(
        "extract(year from created_at) = 2024",
        "(EXTRACT(year FROM created_at) = (2024)::numeric)",
        Exact,
    ),
    case(
        "extract(dow from day) between 1 and 5",
        "((EXTRACT(dow FROM day) >= (1)::numeric) AND (EXTRACT(dow FROM day) <= (5)::numeric))",
        Exact,
    ),
    case(
        "date_part('year', created_at) = 2024",
        "(date_part('year'::text, created_at) = (2024)::double precision)",
        Exact,
    ),
    // POSITION
    case(
        "position('a' in name) > 0",
        "(POSITION(('a'::text) IN (name)) > 0)",
        Exact,
    ),
    // SUBSTRING
    case(
        "substring(name from 1 for 3) = 'abc'",
        "(SUBSTRING(name FROM 1 FOR 3) = 'abc'::text)",
        Exact,
    ),
    case(
        "substring(name, 1, 3) = 'abc'",
        "(\"substring\"(name, 1, 3) = 'abc'::text)",
        Exact,
    ),
    case(
        "substring(name from 'a.c') is not null",
        "(\"substring\"(name, 'a.c'::text) IS NOT NULL)",
        Undecidable,
    ),
    // TRIM
    case(
        "trim(name) <> ''",
        "(TRIM(BOTH FROM name) <> ''::text)",
        Exact,
    ),
    case(
        "trim(leading 'x' from name) = 'y'",
        "(TRIM(LEADING 'x'::text FROM name) = 'y'::text)",
        Exact,
    ),
    case(
        "trim(both from name) = 'a'",
        "(TRIM(BOTH FROM name) = 'a'::text)",
        Exact,
    ),
    case(
        "btrim(name) <> ''",
        "(btrim(name) <> ''::text)",
        Exact,
    ),
    // OVERLAY
    case(
        "overlay(name placing 'x' from 1 for 1) = 'xbc'",
        "(OVERLAY(name PLACING 'x'::text FROM 1 FOR 1) = 'xbc'::text)",
        Exact,
    ),
    // JSON operators
    case(
        "data ->> 'tenant' = 'a'",
        "((data ->> 'tenant'::text) = 'a'::text)",
        Exact,
    ),
    case(
        "data -> 'a' ->> 'b' = 'c'",
        "(((data -> 'a'::text) ->> 'b'::text) = 'c'::text)",
        Exact,
    ),
    case(
        "(data ->> 'n')::int > 3",
        "(((data ->> 'n'::text))::integer > 3)",
        Exact,
    ),
    case(
        "data @> '{\"a\": 1}'",
        "(data @> '{\"a\": 1}'::jsonb)",
        Exact,
    ),
    case(
        "data ? 'key'",
        "(data ? 'key'::text)",
        Exact,
    ),
    case(
        "data ?| array['a', 'b']",
        "(data ?| ARRAY['a'::text, 'b'::text])",
        Exact,
    ),
    case(
        "data #>> '{a,b}' = 'x'",
        "((data #>> '{a,b}'::text[]) = 'x'::text)",
        Exact,
    ),
    case(
        "doc ->> 'a' = 'b'",
        "((doc ->> 'a'::text) = 'b'::text)",
        Exact,
    ),
    case(
        "data @? '$.a'",
        "(data @? '$.\"a\"'::jsonpath)",
        Exact,
    ),
    case(
        "jsonb_path_exists(data, '$.a ? (@ > 1)')",
        "jsonb_path_exists(data, '$.\"a\"?(@ > 1)'::jsonpath)",
        Undecidable,
    ),
    // IS JSON (PostgreSQL 16)
    pg16(
        "note IS JSON",
        "(note IS JSON)",
        Undecidable,
    ),
    pg16(
        "note IS NOT JSON OBJECT",
        "(NOT (note IS JSON OBJECT))",
        Undecidable,
    ),
    // named arguments, defaults, VARIADIC
    case(
        "has_role(r => 'admin')",
        "has_role(r => 'admin'::text)",
        Undecidable,
    ),
    case(
        "has_role('admin', tenant => 3)",
        "has_role('admin'::text, tenant => 3)",
        Undecidable,
    ),
    case(
        "has_role('admin')",
        "has_role('admin'::text)",
        Undecidable,
    ),
    case(
        "any_of('a', 'b')",
        "any_of(VARIADIC ARRAY['a'::text, 'b'::text])",
        Undecidable,
    ),
    case(
        "any_of(VARIADIC ARRAY['a', 'b'])",
        "any_of(VARIADIC ARRAY['a'::text, 'b'::text])",
        Undecidable,
    ),
    // literal arguments of pg_catalog functions
    case(
        "upper(name) = 'X'",
        "(upper(name) = 'X'::text)",
        Exact,
    ),
    case(
        "lower('ABC') = name",
        "(lower('ABC'::text) = name)",
        Exact,
    ),
    case(
        "concat('a', name) = 'ab'",
        "(concat('a', name) = 'ab'::text)",
        Undecidable,
    ),
    case(
        "left(name, 2) = 'ab'",
        "(\"left\"(name, 2) = 'ab'::text)",
        Exact,
    ),
    case(
        "starts_with(name, 'a')",
        "starts_with(name, 'a'::text)",
        Exact,
    ),
    case(
        "char_length(name) > 2",
        "(char_length(name) > 2)",
        Exact,
    ),
    case(
        "to_char(created_at, 'YYYY') = '2024'",
        "(to_char(created_at, 'YYYY'::text) = '2024'::text)",
        Exact,
    ),
    case(
        "format('%s', name) = 'a'",
        "(format('%s'::text, name) = 'a'::text)",
        Undecidable,
    ),
    case(
        "split_part(name, '.', 1) = 'a'",
        "(split_part(name, '.'::text, 1) = 'a'::text)",
        Exact,
    ),
    case(
        "length('abc') = id",
        "(length('abc'::text) = id)",
        Undecidable,
    ),
    // sub-selects: set operations, ORDER BY, LIMIT, DISTINCT, joins, LATERAL, CTEs
    case(
        "id IN (SELECT g_id FROM h UNION SELECT weight FROM h)",
        "(id IN ( SELECT h.g_id\n   FROM h\nUNION\n SELECT h.weight\n   FROM h))",
        Exact,
    ),
    case(
        "id IN (SELECT g_id FROM h INTERSECT SELECT id FROM h)",
        "(id IN ( SELECT h.g_id\n   FROM h\nINTERSECT\n SELECT h.id\n   FROM h))",
        Exact,
    ),
    case(
        "id IN (SELECT g_id FROM h EXCEPT ALL SELECT id FROM h)",
        "(id IN ( SELECT h.g_id\n   FROM h\nEXCEPT ALL\n SELECT h.id\n   FROM h))",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h WHERE h.g_id = g.id ORDER BY h.weight LIMIT 1)",
        "(EXISTS ( SELECT 1\n   FROM h\n  WHERE (h.g_id = g.id)\n  ORDER BY h.weight\n LIMIT 1))",
        Exact,
    ),
    case(
        "EXISTS (SELECT DISTINCT kind FROM h WHERE h.g_id = id)",
        "(EXISTS ( SELECT DISTINCT h.kind\n   FROM h\n  WHERE (h.g_id = h.id)))",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h JOIN h h2 ON h2.id = h.g_id WHERE h.g_id = g.id)",
        "(EXISTS ( SELECT 1\n   FROM (h\n     JOIN h h2 ON ((h2.id = h.g_id)))\n  WHERE (h.g_id = g.id)))",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h AS x LEFT JOIN h y ON y.id = x.g_id WHERE x.g_id = g.id)",
        "(EXISTS ( SELECT 1\n   FROM (h x\n     LEFT JOIN h y ON ((y.id = x.g_id)))\n  WHERE (x.g_id = g.id)))",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h, LATERAL (SELECT h.weight AS w) l WHERE l.w > id)",
        "(EXISTS ( SELECT 1\n   FROM h,\n    LATERAL ( SELECT h.weight AS w) l\n  WHERE (l.w > h.id)))",
        Undecidable,
    ),
    case(
        "EXISTS (WITH c AS (SELECT g_id FROM h) SELECT 1 FROM c WHERE c.g_id = id)",
        "(EXISTS ( WITH c AS (\n         SELECT h.g_id\n           FROM h\n        )\n SELECT 1\n   FROM c\n  WHERE (c.g_id = g.id)))",
        Undecidable,
    ),
    case(
        "(SELECT count(*) FROM h WHERE h.g_id = g.id) < 10",
        "(( SELECT count(*) AS count\n   FROM h\n  WHERE (h.g_id = g.id)) < 10)",
        Exact,
    ),
    case(
        "(SELECT max(weight) FROM h) > id",
        "(( SELECT max(h.weight) AS max\n   FROM h) > id)",
        Exact,
    ),
    // typed literals
    case(
        "created_at > '2024-01-01'::timestamptz",
        "(created_at > '2024-01-01 00:00:00+00'::timestamp with time zone)",
        Undecidable,
    ),
    case(
        "created_at > timestamptz '2024-01-01 10:00+02'",
        "(created_at > '2024-01-01 08:00:00+00'::timestamp with time zone)",
        Exact,
    ),
    case(
        "span > interval '1 day'",
        "(span > '1 day'::interval)",
        Exact,
    ),
    case(
        "span < '90 minutes'::interval",
        "(span < '01:30:00'::interval)",
        Exact,
    ),
    case(
        "day > date '2024-01-31'",
        "(day > '2024-01-31'::date)",
        Exact,
    ),
    case(
        "created_at > now() - interval '1 hour'",
        "(created_at > (now() - '01:00:00'::interval))",
        Exact,
    ),
    case(
        "day = current_date",
        "(day = CURRENT_DATE)",
        Exact,
    ),
    // more: SIMILAR TO, COLLATE, OVERLAY
    case(
        "code SIMILAR TO 'a_%'",
        "((code)::text ~ similar_to_escape('a_%'::text))",
        Exact,
    ),
    case(
        "code COLLATE \"C\" = 'x'",
        "(((code)::text COLLATE \"C\") = 'x'::text)",
        Exact,
    ),
    case(
        "name COLLATE \"default\" >= 'a'",
        "((name COLLATE \"default\") >= 'a'::text)",
        Exact,
    ),
    case(
        "lower(name COLLATE \"C\") = 'x'",
        "(lower((name COLLATE \"C\")) = 'x'::text)",
        Exact,
    ),
    case(
        "name COLLATE pg_catalog.\"POSIX\" < note",
        "((name COLLATE \"POSIX\") < note)",
        Exact,
    ),
    case(
        "overlay(name placing 'xy' from 2) = 'axy'",
        "(OVERLAY(name PLACING 'xy'::text FROM 2) = 'axy'::text)",
        Exact,
    ),
    case(
        "region COLLATE \"C\" = 'EU'",
        "((region COLLATE \"C\") = 'EU'::bpchar)",
        Exact,
    ),
    case(
        "coalesce(name COLLATE \"C\", 'x') = 'y'",
        "(COALESCE((name COLLATE \"C\"), 'x'::text) = 'y'::text)",
        Exact,
    ),
    // more: rows
    case(
        "(id, qty) >= (1, 2)",
        "(ROW(id, qty) >= ROW(1, 2))",
        Exact,
    ),
    case(
        "ROW(name, code) > ROW('a', 'b')",
        "(ROW(name, (code)::text) > ROW('a'::text, 'b'::text))",
        Exact,
    ),
    case(
        "(id, name) NOT IN ((1, 'a'), (2, 'b'), (3, 'c'))",
        "((((id <> 1) OR (name <> 'a'::text)) AND ((id <> 2) OR (name <> 'b'::text))) AND ((id <> 3) OR (name <> 'c'::text)))",
        Exact,
    ),
    case(
        "ROW(id) = ROW(1)",
        "(id = 1)",
        Exact,
    ),
    case(
        "(price, id) < (1.5, 2)",
        "(ROW(price, id) < ROW(1.5, 2))",
        Exact,
    ),
    // more: ORDER BY, DISTINCT
    case(
        "(SELECT h.label FROM h WHERE h.g_id = g.id ORDER BY h.weight DESC, 1 LIMIT 1) = 'x'",
        "(( SELECT h.label\n   FROM h\n  WHERE (h.g_id = g.id)\n  ORDER BY h.weight DESC, h.label\n LIMIT 1) = 'x'::text)",
        Exact,
    ),
    case(
        "(SELECT h.kind AS k FROM h ORDER BY k NULLS FIRST LIMIT 1) = name",
        "(( SELECT h.kind AS k\n   FROM h\n  ORDER BY h.kind NULLS FIRST\n LIMIT 1) = name)",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h WHERE h.owner_id = g.owner_id ORDER BY lower(h.label) DESC NULLS LAST, h.id ASC NULLS FIRST)",
        "(EXISTS ( SELECT 1\n   FROM h\n  WHERE (h.owner_id = g.owner_id)\n  ORDER BY (lower(h.label)) DESC NULLS LAST, h.id NULLS FIRST))",
        Exact,
    ),
    case(
        "(SELECT DISTINCT h.weight FROM h WHERE h.g_id = g.id ORDER BY h.weight LIMIT 1) > 2",
        "(( SELECT DISTINCT h.weight\n   FROM h\n  WHERE (h.g_id = g.id)\n  ORDER BY h.weight\n LIMIT 1) > 2)",
        Exact,
    ),
    case(
        "EXISTS (SELECT 1 FROM h ORDER BY 1)",
        "(EXISTS ( SELECT 1\n   FROM h\n  ORDER BY 1::integer))",
        Exact,
    ),
    case(
        "(SELECT 'a' AS v FROM h ORDER BY 1 LIMIT 1) = name",
        "(( SELECT 'a'::text AS v\n   FROM h\n  ORDER BY 'a'::text\n LIMIT 1) = name)",
        Exact,
    ),
    // more: set operations
    case(
        "id IN (SELECT g_id FROM h UNION ALL SELECT weight FROM h WHERE h.kind = 'x' UNION ALL SELECT id FROM h)",
        "(id IN ( SELECT h.g_id\n   FROM h\nUNION ALL\n SELECT h.weight\n   FROM h\n  WHERE (h.kind = 'x'::text)\nUNION ALL\n SELECT h.id\n   FROM h))",
        Exact,
    ),
    case(
        "id IN (SELECT g_id FROM h UNION SELECT weight FROM h EXCEPT SELECT id FROM h)",
        "(id IN ((\n         SELECT h.g_id\n           FROM h\n        UNION\n         SELECT h.weight\n           FROM h\n) EXCEPT\n SELECT h.id\n   FROM h))",
        Exact,
    ),
    case(
        "id IN (SELECT g_id FROM h EXCEPT (SELECT weight FROM h UNION SELECT id FROM h))",
        "(id IN ( SELECT h.g_id\n   FROM h\nEXCEPT (\n         SELECT h.weight\n           FROM h\n        UNION\n         SELECT h.id\n           FROM h\n)))",
        Exact,
    ),
    case(
        "owner_id IN (SELECT h.owner_id FROM h WHERE h.g_id = g.id INTERSECT SELECT h.owner_id FROM h WHERE h.kind = g.name)",
        "(owner_id IN ( SELECT h.owner_id\n   FROM h\n  WHERE (h.g_id = g.id)\nINTERSECT\n SELECT h.owner_id\n   FROM h\n  WHERE (h.kind = g.name)))",
        Exact,
    ),
    case(
        "qty IN (SELECT g_id FROM h UNION SELECT 5)",
        "(qty IN ( SELECT h.g_id\n   FROM h\nUNION\n SELECT 5))",
        Exact,
    ),
];

fn policy_name(i: usize) -> String {
    format!("case_{i:03}")
}

#[test]
fn each_construct_is_stored_as_expected_and_canonicalized_exactly_or_left_to_the_round_trip() {
    let db = Db::start();
    db.sql(SCHEMA);
    let mut live = LiveDb::connect(&db.url).unwrap();
    let probe = live.introspect(&["public".to_string()]).unwrap();
    let version = probe.database.as_ref().unwrap().server_version_num / 10000;
    if let Ok(major) = std::env::var("PGPOLICY_EXPECT_SERVER_MAJOR") {
        assert_eq!(version.to_string(), major, "the expected server runs");
    }
    let mut created = Vec::new();
    for (i, c) in CASES.iter().enumerate() {
        let sql = format!(
            "CREATE POLICY {} ON g USING ({})",
            policy_name(i),
            c.written
        );
        if version < c.since {
            // The construct is not in this server's grammar.
            assert!(
                db.try_sql(&sql).is_err(),
                "{} is refused on {version}",
                c.written
            );
            continue;
        }
        db.sql(&sql);
        created.push(i);
    }
    let current = live.introspect(&["public".to_string()]).unwrap();
    let g = current.table("public", "g").unwrap();
    let table = TableName::new("public", "g");
    let search_path = vec!["public".to_string()];
    let ctx = Context {
        table: &table,
        schema: &current,
        search_path: &search_path,
    };
    let mut failures = Vec::new();
    for &i in &created {
        let c = &CASES[i];
        let p = g
            .policies
            .iter()
            .find(|p| p.name == policy_name(i))
            .unwrap();
        let stored = p.using.as_deref().unwrap();
        if stored != c.stored {
            failures.push(format!(
                "{}: PostgreSQL {version} stores {stored:?}, the table says {:?}",
                c.written, c.stored
            ));
            continue;
        }
        let declared = canonicalize_declared(c.written, &ctx, &current.catalog);
        let restored = canonicalize_stored(stored, &ctx, &current.catalog);
        // Never a wrong text, whatever the expectation.
        for (what, r) in [("written", &declared), ("stored", &restored)] {
            if let Ok(text) = r {
                if text != stored {
                    failures.push(format!(
                        "{}: the {what} text canonicalizes to {text:?}, PostgreSQL stores {stored:?}",
                        c.written
                    ));
                }
            }
        }
        match c.offline {
            Exact => {
                for (what, r) in [("written", &declared), ("stored", &restored)] {
                    if let Err(e) = r {
                        failures.push(format!(
                            "{}: the {what} text is undecidable offline ({e})",
                            c.written
                        ));
                    }
                }
            }
            Undecidable => {
                if declared.is_ok() {
                    failures.push(format!(
                        "{}: now canonicalized exactly offline; mark the case Exact",
                        c.written
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The declaration with every case as written: offline, exactly the undecidable cases
    // count as changed; with the round trip, nothing changed.
    let mut desired: Schema = current.clone();
    desired.database = None;
    let t = desired.tables.iter_mut().find(|t| t.name == "g").unwrap();
    for p in &mut t.policies {
        let i: usize = p.name["case_".len()..].parse().unwrap();
        p.using = Some(CASES[i].written.to_string());
    }
    let offline = pgpolicy::diff(&current, &desired, &DiffOptions::default()).unwrap();
    let mut altered: Vec<String> = offline
        .changes
        .iter()
        .map(|c| match c {
            Change::AlterPolicy { to, .. } => to.name.clone(),
            other => panic!("unexpected change {other:?}"),
        })
        .collect();
    altered.sort();
    let undecidable: Vec<String> = created
        .iter()
        .filter(|&&i| CASES[i].offline == Undecidable)
        .map(|&i| policy_name(i))
        .collect();
    assert_eq!(altered, undecidable);
    let exact =
        pgpolicy::diff_with(&current, &desired, &DiffOptions::default(), Some(&mut live)).unwrap();
    assert!(exact.is_empty(), "round trip plan:\n{}", exact.sql());
    println!(
        "PostgreSQL {version}: {} constructs, {} exact offline, {} left to the round trip",
        created.len(),
        created.len() - undecidable.len(),
        undecidable.len()
    );
}

/// Grammar pgpolicy's parser does not read is never refused: without a database, such a
/// pair counts as changed and the plan says so, naming the table, the policy, the clause
/// and the side it cannot read.
#[test]
fn unreadable_grammar_without_a_database_is_a_named_warning_not_a_refusal() {
    let schema = |using: &str| {
        let sql = format!(
            "CREATE TABLE g (id integer, name text);\n\
             ALTER TABLE g ENABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY p ON g USING ({using});"
        );
        let (s, warnings) = pgpolicy::sql::read_sql(&sql).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        s
    };
    let symmetric = schema("id BETWEEN SYMMETRIC 10 AND 1");
    let plain = schema("id BETWEEN 1 AND 10");
    let plan = pgpolicy::diff(&symmetric, &plain, &DiffOptions::default()).unwrap();
    assert_eq!(plan.changes.len(), 1, "{}", plan.sql());
    let w = plan.warnings.join("\n");
    assert!(
        w.contains("table public.g, policy \"p\", clause USING: pgpolicy's parser cannot read the current expression")
            && w.contains("no database was given to compare on"),
        "{w}"
    );
    assert!(!w.contains("not a valid SQL expression"), "{w}");
    let plan = pgpolicy::diff(&plain, &symmetric, &DiffOptions::default()).unwrap();
    assert_eq!(plan.changes.len(), 1, "{}", plan.sql());
    let w = plan.warnings.join("\n");
    assert!(
        w.contains("table public.g, policy \"p\", clause USING: pgpolicy's parser cannot read the declared expression"),
        "{w}"
    );
    // A text the parser cannot read is proven equal to nothing offline, not even to itself
    // spelled differently; an identical text is equal.
    let plan = pgpolicy::diff(&symmetric, &symmetric, &DiffOptions::default()).unwrap();
    assert!(
        plan.is_empty() && plan.warnings.is_empty(),
        "{:?}",
        plan.warnings
    );
}

/// The parser's fast paths (tokenizer and prefixes) read every case, written and stored,
/// exactly as sqlparser's PostgreSQL dialect does.
#[test]
fn fast_paths_read_every_case_as_sqlparser_does() {
    for c in CASES {
        for t in [c.written, c.stored] {
            if let Err(e) = pgpolicy::expr::canon::fast_path_agrees(t) {
                panic!("text: {t}\n{e}");
            }
        }
    }
}
