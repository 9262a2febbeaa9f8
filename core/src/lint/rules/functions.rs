//! Rules about functions: volatile functions in policies, and SECURITY DEFINER functions.

use std::collections::BTreeSet;

use crate::lint::expr::Call;
use crate::lint::facts::FunctionFacts;
use crate::lint::{At, Cx};
use crate::session::SEARCH_PATH;

/// Built-in functions that are VOLATILE (called for every row, never folded).
const VOLATILE_BUILTINS: &[&str] = &[
    "random",
    "random_normal",
    "setseed",
    "nextval",
    "currval",
    "lastval",
    "setval",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "set_config",
    "txid_current",
    "pg_sleep",
];

/// The database functions a call may name: a qualified call in its schema, an unqualified
/// one in the search_path plans run under; of the overloads with that name, those that
/// take as many arguments (else all of them: parameters with defaults), and of those, the
/// ones whose parameter types match the argument types the call spells out (casts,
/// constants), when any does. More than one when the call does not tell them apart.
pub(crate) fn resolve<'a>(cx: &Cx<'a>, call: &Call) -> Vec<&'a FunctionFacts> {
    let Some(facts) = cx.facts else {
        return Vec::new();
    };
    let schema = call.schema.as_deref().unwrap_or(SEARCH_PATH);
    let named: Vec<&FunctionFacts> = facts
        .functions
        .iter()
        .filter(|f| f.schema == schema && f.name == call.name)
        .collect();
    let arity: Vec<&FunctionFacts> = named
        .iter()
        .copied()
        .filter(|f| {
            let params = parameters(&f.args);
            params.len() == call.args
                || (params.last().is_some_and(|p| p.starts_with("variadic "))
                    && call.args + 1 >= params.len())
        })
        .collect();
    let candidates = if arity.is_empty() { named } else { arity };
    let typed: Vec<&FunctionFacts> = candidates
        .iter()
        .copied()
        .filter(|f| {
            let params = parameters(&f.args);
            call.arg_types
                .iter()
                .enumerate()
                .all(|(i, t)| match (t, params.get(i)) {
                    (Some(t), Some(p)) => type_matches(p, t),
                    _ => true,
                })
        })
        .collect();
    if typed.is_empty() {
        candidates
    } else {
        typed
    }
}

/// The parameters of `pg_get_function_identity_arguments` (`a integer, VARIADIC b text[]`),
/// lower case, split at top-level commas.
fn parameters(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(args[start..i].trim().to_ascii_lowercase());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = args[start..].trim();
    if !last.is_empty() {
        out.push(last.to_ascii_lowercase());
    }
    out
}

/// Whether a parameter (`name type`, `type`, `VARIADIC type`) has the type an argument
/// spells, by PostgreSQL's own names for the common aliases.
fn type_matches(param: &str, arg: &str) -> bool {
    let canonical = |t: &str| -> String {
        let t = t.trim();
        match t {
            "int" | "int4" => "integer",
            "int8" => "bigint",
            "int2" => "smallint",
            "bool" => "boolean",
            "varchar" => "character varying",
            "float8" | "double" => "double precision",
            "float4" => "real",
            "decimal" => "numeric",
            "timestamptz" => "timestamp with time zone",
            "timestamp" => "timestamp without time zone",
            other => other,
        }
        .to_string()
    };
    let want = canonical(arg);
    let p = param.trim();
    p == want || p.ends_with(&format!(" {want}"))
}

pub(crate) fn volatile_function_in_policy(cx: &mut Cx) {
    let schema = cx.schema;
    for (ti, t) in schema.tables.iter().enumerate() {
        for (pi, p) in t.policies.iter().enumerate() {
            let mut found: Vec<String> = Vec::new();
            for check in [false, true] {
                let Some(f) = cx.expr(ti, pi, check) else {
                    continue;
                };
                for call in &f.calls {
                    let builtin = (call.schema.is_none()
                        || call.schema.as_deref() == Some("pg_catalog"))
                        && VOLATILE_BUILTINS.contains(&call.name.as_str());
                    let user = resolve(cx, call).iter().any(|f| f.volatility == "v");
                    let d = call.display();
                    if (builtin || user) && !found.contains(&d) {
                        found.push(d);
                    }
                }
            }
            if !found.is_empty() {
                cx.report(
                    "volatile_function_in_policy",
                    At::policy(t, p),
                    format!(
                        "policy {} on {} calls {}, which {} VOLATILE: called for every row, never once per statement",
                        p.name,
                        t.display_name(),
                        found.join(", "),
                        if found.len() == 1 { "is" } else { "are" }
                    ),
                );
            }
        }
    }
}

/// Schemas whose functions matter: the linted tables' schemas (or `exposed_schemas`),
/// and the schemas of functions policies call.
fn relevant_schemas(cx: &Cx) -> (BTreeSet<String>, BTreeSet<(String, String, String)>) {
    let exposed: BTreeSet<String> = match &cx.config.exposed_schemas {
        Some(s) => s.iter().cloned().collect(),
        None => cx.schema.tables.iter().map(|t| t.schema.clone()).collect(),
    };
    let mut called: BTreeSet<(String, String, String)> = BTreeSet::new();
    for (ti, t) in cx.schema.tables.iter().enumerate() {
        for pi in 0..t.policies.len() {
            for check in [false, true] {
                if let Some(f) = cx.expr(ti, pi, check) {
                    for c in &f.calls {
                        for ff in resolve(cx, c) {
                            called.insert((ff.schema.clone(), ff.name.clone(), ff.args.clone()));
                        }
                    }
                }
            }
        }
    }
    (exposed, called)
}

fn display(f: &FunctionFacts) -> String {
    format!("{}.{}({})", f.schema, f.name, f.args)
}

pub(crate) fn security_definer_function_without_search_path(cx: &mut Cx) {
    let Some(facts) = cx.facts else { return };
    let (exposed, called) = relevant_schemas(cx);
    for f in &facts.functions {
        if !f.security_definer || f.search_path_set {
            continue;
        }
        if !exposed.contains(&f.schema)
            && !called.contains(&(f.schema.clone(), f.name.clone(), f.args.clone()))
        {
            continue;
        }
        cx.report(
            "security_definer_function_without_search_path",
            At::object(format!("{}.{}", f.schema, f.name)),
            format!(
                "function {} is SECURITY DEFINER (runs as {}) and does not set search_path",
                display(f),
                f.owner
            ),
        );
    }
}

pub(crate) fn security_definer_function_in_exposed_schema(cx: &mut Cx) {
    let Some(facts) = cx.facts else { return };
    let (exposed, _) = relevant_schemas(cx);
    for f in &facts.functions {
        if !f.security_definer || !exposed.contains(&f.schema) {
            continue;
        }
        let mut callers: Vec<String> = Vec::new();
        if f.executors.iter().any(|e| e == "PUBLIC") {
            callers.push("PUBLIC".into());
        }
        for r in &cx.app_roles {
            let of = cx.privileges_of(r);
            if f.executors.iter().any(|e| of.contains(e)) {
                callers.push(r.clone());
            }
        }
        if callers.is_empty() || f.executors.iter().all(|e| *e == f.owner) {
            continue;
        }
        let bypass = if cx.bypasses(&f.owner) {
            ", which bypasses row-level security"
        } else {
            ""
        };
        cx.report(
            "security_definer_function_in_exposed_schema",
            At::object(format!("{}.{}", f.schema, f.name)),
            format!(
                "function {} is SECURITY DEFINER, runs as {}{bypass}, and {} may call it",
                display(f),
                f.owner,
                callers.join(", ")
            ),
        );
    }
}
