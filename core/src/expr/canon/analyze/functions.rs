//! Functions: the built-in signatures we model, the catalog's user functions, function
//! resolution (a subset of `func_select_candidate`) and the SQL-syntax functions
//! (COALESCE, GREATEST, NULLIF, ARRAY(...), ...).

use super::*;

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// Built-in functions: name, argument types, result (a leading `*` marks set-returning).
pub(super) const BUILTINS: &[(&str, &[&str], &str)] = &[
    ("current_setting", &["text"], "text"),
    ("current_setting", &["text", "bool"], "text"),
    ("set_config", &["text", "text", "bool"], "text"),
    ("now", &[], "timestamptz"),
    ("statement_timestamp", &[], "timestamptz"),
    ("transaction_timestamp", &[], "timestamptz"),
    ("clock_timestamp", &[], "timestamptz"),
    ("lower", &["text"], "text"),
    ("upper", &["text"], "text"),
    ("initcap", &["text"], "text"),
    ("length", &["text"], "int4"),
    ("length", &["bpchar"], "int4"),
    ("length", &["bytea"], "int4"),
    ("char_length", &["text"], "int4"),
    ("char_length", &["bpchar"], "int4"),
    ("character_length", &["text"], "int4"),
    ("character_length", &["bpchar"], "int4"),
    ("octet_length", &["text"], "int4"),
    ("btrim", &["text"], "text"),
    ("btrim", &["text", "text"], "text"),
    ("ltrim", &["text"], "text"),
    ("ltrim", &["text", "text"], "text"),
    ("rtrim", &["text"], "text"),
    ("rtrim", &["text", "text"], "text"),
    ("split_part", &["text", "text", "int4"], "text"),
    ("string_to_array", &["text", "text"], "text[]"),
    ("string_to_array", &["text", "text", "text"], "text[]"),
    ("array_to_string", &["anyarray", "text"], "text"),
    ("array_to_string", &["anyarray", "text", "text"], "text"),
    (
        "array_position",
        &["anycompatiblearray", "anycompatible"],
        "int4",
    ),
    ("array_length", &["anyarray", "int4"], "int4"),
    ("cardinality", &["anyarray"], "int4"),
    ("unnest", &["anyarray"], "*anyelement"),
    ("date_trunc", &["text", "timestamptz"], "timestamptz"),
    ("date_trunc", &["text", "timestamp"], "timestamp"),
    ("date_trunc", &["text", "interval"], "interval"),
    (
        "date_trunc",
        &["text", "timestamptz", "text"],
        "timestamptz",
    ),
    ("date_part", &["text", "timestamptz"], "float8"),
    ("date_part", &["text", "timestamp"], "float8"),
    ("date_part", &["text", "date"], "float8"),
    ("date_part", &["text", "interval"], "float8"),
    ("timezone", &["text", "timestamptz"], "timestamp"),
    ("timezone", &["text", "timestamp"], "timestamptz"),
    ("age", &["timestamptz", "timestamptz"], "interval"),
    ("age", &["timestamptz"], "interval"),
    ("to_char", &["timestamptz", "text"], "text"),
    ("to_char", &["timestamp", "text"], "text"),
    ("to_char", &["numeric", "text"], "text"),
    ("pg_has_role", &["name", "text"], "bool"),
    ("pg_has_role", &["oid", "text"], "bool"),
    ("pg_has_role", &["name", "name", "text"], "bool"),
    ("pg_has_role", &["name", "oid", "text"], "bool"),
    ("pg_has_role", &["oid", "name", "text"], "bool"),
    ("pg_has_role", &["oid", "oid", "text"], "bool"),
    ("inet_client_addr", &[], "inet"),
    ("inet_server_addr", &[], "inet"),
    ("gen_random_uuid", &[], "uuid"),
    ("jsonb_typeof", &["jsonb"], "text"),
    ("jsonb_array_length", &["jsonb"], "int4"),
    ("jsonb_array_elements_text", &["jsonb"], "*text"),
    ("jsonb_object_keys", &["jsonb"], "*text"),
    ("json_typeof", &["json"], "text"),
    ("left", &["text", "int4"], "text"),
    ("right", &["text", "int4"], "text"),
    ("substr", &["text", "int4"], "text"),
    ("substr", &["text", "int4", "int4"], "text"),
    ("substring", &["text", "int4"], "text"),
    ("substring", &["text", "int4", "int4"], "text"),
    ("substring", &["text", "text"], "text"),
    ("substring", &["text", "text", "text"], "text"),
    ("concat", &["...any"], "text"),
    ("concat_ws", &["text", "...any"], "text"),
    ("format", &["text"], "text"),
    ("format", &["text", "...any"], "text"),
    ("num_nonnulls", &["...any"], "int4"),
    ("num_nulls", &["...any"], "int4"),
    (
        "jsonb_path_exists",
        &["jsonb", "jsonpath", "jsonb=", "bool="],
        "bool",
    ),
    (
        "jsonb_path_match",
        &["jsonb", "jsonpath", "jsonb=", "bool="],
        "bool",
    ),
    ("jsonb_build_object", &["...any"], "jsonb"),
    ("json_build_object", &["...any"], "json"),
    ("jsonb_extract_path", &["jsonb", "...text[]"], "jsonb"),
    ("jsonb_extract_path_text", &["jsonb", "...text[]"], "text"),
    ("json_extract_path_text", &["json", "...text[]"], "text"),
    ("strpos", &["text", "text"], "int4"),
    ("similar_to_escape", &["text"], "text"),
    ("similar_to_escape", &["text", "text"], "text"),
    ("overlay", &["text", "text", "int4", "int4"], "text"),
    ("overlay", &["text", "text", "int4"], "text"),
    ("starts_with", &["text", "text"], "bool"),
    ("replace", &["text", "text", "text"], "text"),
    ("md5", &["text"], "text"),
    ("reverse", &["text"], "text"),
    ("abs", &["int4"], "int4"),
    ("abs", &["int8"], "int8"),
    ("abs", &["numeric"], "numeric"),
    ("abs", &["float8"], "float8"),
    ("random", &[], "float8"),
    ("current_database", &[], "name"),
    ("current_schema", &[], "name"),
    ("pg_backend_pid", &[], "int4"),
    ("txid_current", &[], "int8"),
    ("to_timestamp", &["float8"], "timestamptz"),
    (
        "make_interval",
        &[
            "int4=", "int4=", "int4=", "int4=", "int4=", "int4=", "float8=",
        ],
        "interval",
    ),
    ("make_date", &["int4", "int4", "int4"], "date"),
    (
        "make_timestamp",
        &["int4", "int4", "int4", "int4", "int4", "float8"],
        "timestamp",
    ),
    (
        "make_timestamptz",
        &["int4", "int4", "int4", "int4", "int4", "float8"],
        "timestamptz",
    ),
    (
        "make_timestamptz",
        &["int4", "int4", "int4", "int4", "int4", "float8", "text"],
        "timestamptz",
    ),
    (
        "jsonb_path_query_first",
        &["jsonb", "jsonpath", "jsonb=", "bool="],
        "jsonb",
    ),
    ("jsonb_set", &["jsonb", "text[]", "jsonb", "bool="], "jsonb"),
    (
        "jsonb_insert",
        &["jsonb", "text[]", "jsonb", "bool="],
        "jsonb",
    ),
];

/// The parameter names of built-in functions, by name and parameter count, as
/// `pg_proc.proargnames` has them (the same on PostgreSQL 15 and 16): calls in named
/// notation (`make_interval(days => 1)`) match only these. A built-in not listed has no
/// parameter names.
pub(crate) const BUILTIN_ARG_NAMES: &[(&str, usize, &[&str])] = &[
    (
        "make_interval",
        7,
        &["years", "months", "weeks", "days", "hours", "mins", "secs"],
    ),
    ("make_date", 3, &["year", "month", "day"]),
    (
        "make_timestamp",
        6,
        &["year", "month", "mday", "hour", "min", "sec"],
    ),
    (
        "make_timestamptz",
        6,
        &["year", "month", "mday", "hour", "min", "sec"],
    ),
    (
        "make_timestamptz",
        7,
        &["year", "month", "mday", "hour", "min", "sec", "timezone"],
    ),
    (
        "jsonb_path_exists",
        4,
        &["target", "path", "vars", "silent"],
    ),
    ("jsonb_path_match", 4, &["target", "path", "vars", "silent"]),
    (
        "jsonb_path_query_first",
        4,
        &["target", "path", "vars", "silent"],
    ),
    (
        "jsonb_set",
        4,
        &["jsonb_in", "path", "replacement", "create_if_missing"],
    ),
    (
        "jsonb_insert",
        4,
        &["jsonb_in", "path", "replacement", "insert_after"],
    ),
    ("jsonb_extract_path", 2, &["from_json", "path_elems"]),
    ("jsonb_extract_path_text", 2, &["from_json", "path_elems"]),
    ("json_extract_path_text", 2, &["from_json", "path_elems"]),
];

fn builtin_arg_names(name: &str, nparams: usize) -> Option<&'static [&'static str]> {
    BUILTIN_ARG_NAMES
        .iter()
        .find(|(n, k, _)| *n == name && *k == nparams)
        .map(|(_, _, names)| *names)
}

/// Further pg_catalog function names (only their existence matters: a user function of the
/// same name is shadowed).
pub(super) const OTHER_BUILTIN_NAMES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "concat",
    "concat_ws",
    "format",
    "coalesce",
    "greatest",
    "least",
    "nullif",
    "exists",
    "has_table_privilege",
    "has_schema_privilege",
    "has_column_privilege",
    "has_function_privilege",
    "current_user",
    "session_user",
    "user",
    "version",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path_text",
    "jsonb_path_exists",
    "jsonb_path_match",
    "regexp_replace",
    "regexp_match",
    "regexp_matches",
    "position",
    "overlay",
    "trim",
    "encode",
    "decode",
    "round",
    "floor",
    "ceil",
    "ceiling",
    "trunc",
    "date",
    "make_date",
    "make_interval",
    "extract",
    "array_append",
    "array_prepend",
    "array_cat",
    "array_remove",
    "array_replace",
    "array_dims",
    "array_lower",
    "array_upper",
    "generate_series",
    "row_number",
    "rank",
    "lag",
    "lead",
    "uuid_in",
    "text",
    "int4",
    "int8",
    "numeric",
    "bool",
    "name",
    "inet",
    "host",
    "family",
    "masklen",
    "set_masklen",
    "pg_get_userbyid",
    "obj_description",
    "to_date",
    "to_number",
    "lpad",
    "rpad",
    "repeat",
    "ascii",
    "chr",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "translate",
    "sha256",
    "digest",
    "isfinite",
    "justify_days",
    "justify_hours",
    "localtime",
    "timeofday",
    "pi",
    "sign",
    "sqrt",
    "cbrt",
    "exp",
    "ln",
    "log",
    "log10",
    "power",
    "mod",
    "div",
    "width_bucket",
    "array_ndims",
    "string_to_table",
    "to_tsvector",
    "to_tsquery",
    "plainto_tsquery",
    "websearch_to_tsquery",
    "phraseto_tsquery",
    "ts_rank",
    "setweight",
    "jsonb_set",
    "jsonb_insert",
    "jsonb_strip_nulls",
    "jsonb_pretty",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_array_elements",
    "json_array_elements",
    "json_each",
    "row_to_json",
    "array_to_json",
    "lower_inf",
    "upper_inf",
    "isempty",
    "range_merge",
    "num_nonnulls",
    "num_nulls",
    "current_query",
    "pg_current_xact_id",
    "inet_client_port",
    "session_user",
    "uuid_send",
    "convert_from",
    "convert_to",
    "bit_length",
    "char_length",
    "octet_length",
    "overlaps",
    "date_bin",
    "make_timestamp",
    "make_timestamptz",
    "epoch",
    "hashtext",
    "gen_random_bytes",
];

/// The marker a rewritten token stream calls (see `markers`), if `name` is one.
pub(super) fn marker_name(name: &ObjectName) -> Option<&str> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(id)]
            if id.quote_style.is_some() && id.value.starts_with('\0') =>
        {
            Some(id.value.as_str())
        }
        _ => None,
    }
}

pub(super) fn is_builtin_fn(name: &str) -> bool {
    !builtins_named(name).is_empty() || OTHER_BUILTIN_NAMES.contains(&name)
}

type Builtin = (&'static str, &'static [&'static str], &'static str);

/// The signatures of [`BUILTINS`] named `name`, in their order there (a hash lookup: this
/// runs for every call canonicalized).
pub(super) fn builtins_named(name: &str) -> &'static [&'static Builtin] {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static INDEX: OnceLock<HashMap<&'static str, Vec<&'static Builtin>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut m: HashMap<&'static str, Vec<&'static Builtin>> = HashMap::new();
        for b in BUILTINS {
            m.entry(b.0).or_default().push(b);
        }
        m
    });
    index.get(name).map_or(&[], Vec::as_slice)
}

pub(super) struct Cand {
    schema: String,
    /// The parameter types in the call's argument order (VARIADIC expanded).
    args: Vec<Ty>,
    ret: Ty,
    set: bool,
    /// How many trailing arguments fill an expanded VARIADIC array parameter.
    nvargs: usize,
}

/// How a function's parameters may be filled.
struct Shape<'s> {
    /// Input parameter names (empty: unknown, `""` for an unnamed one).
    names: &'s [String],
    /// How many trailing parameters have defaults.
    defaults: usize,
    /// The last parameter is VARIADIC.
    variadic: bool,
}

/// The parameter types a call fills, in the call's order (`FuncnameGetCandidates` and
/// `MatchNamedCall`), or None when the call cannot be a call of this function.
fn fill(
    params: Vec<Ty>,
    shape: &Shape,
    nargs: usize,
    names: &[Option<String>],
    variadic_written: bool,
) -> Option<Cand> {
    let pronargs = params.len();
    let cand = |args: Vec<Ty>, nvargs: usize| Cand {
        schema: String::new(),
        args,
        ret: t("void"),
        set: false,
        nvargs,
    };
    let named = names.iter().filter(|n| n.is_some()).count();
    if named > 0 {
        // named notation matches a VARIADIC function only as written with VARIADIC
        if shape.variadic && !variadic_written {
            return None;
        }
        if pronargs < nargs || nargs + shape.defaults < pronargs {
            return None;
        }
        if shape.names.len() != pronargs {
            return None;
        }
        let positional = nargs - named;
        if names[..positional].iter().any(Option::is_some) {
            return None;
        }
        let mut used = vec![false; pronargs];
        let mut args = Vec::with_capacity(nargs);
        for (i, n) in names.iter().enumerate() {
            let p = match n {
                None => i,
                Some(n) => shape.names.iter().position(|x| x == n)?,
            };
            if p < positional && n.is_some() || used[p] {
                return None;
            }
            used[p] = true;
            args.push(params[p].clone());
        }
        // every parameter not given has a default
        if used
            .iter()
            .enumerate()
            .any(|(p, u)| !u && p < pronargs - shape.defaults)
        {
            return None;
        }
        return Some(cand(args, 0));
    }
    if variadic_written {
        return (shape.variadic && pronargs == nargs).then(|| cand(params, 0));
    }
    if shape.variadic && pronargs >= 1 && pronargs <= nargs {
        let last = &params[pronargs - 1];
        let elem = if last.is("any") {
            last.clone()
        } else {
            last.elem()?
        };
        let nvargs = nargs - pronargs + 1;
        let mut args = params;
        args.pop();
        args.extend(std::iter::repeat_n(elem.clone(), nvargs));
        return Some(cand(args, if elem.is("any") { 0 } else { nvargs }));
    }
    if pronargs > nargs {
        if nargs + shape.defaults < pronargs {
            return None;
        }
        let mut args = params;
        args.truncate(nargs);
        return Some(cand(args, 0));
    }
    (pronargs == nargs).then(|| cand(params, 0))
}

/// `func_select_candidate`: the one candidate the arguments select, by coercibility, exact
/// matches, preferred types and the categories of untyped literals.
fn select_candidate(cands: &[Cand], ins: &[In], name: &str) -> R<usize> {
    let ambiguous = || Undecidable::signature(name, SignatureProblem::Ambiguous);
    // filter by coercibility, counting exact matches
    let mut ok: Vec<(usize, usize)> = Vec::new(); // (index, exact matches)
    'c: for (ci, c) in cands.iter().enumerate() {
        let mut exact = 0;
        for (x, p) in ins.iter().zip(&c.args) {
            match x {
                In::U | In::O => {}
                In::K(_) if p.is("any") => {}
                In::K(k) => match poly(p) {
                    Some("array") => {
                        if !k.array {
                            continue 'c;
                        }
                    }
                    Some(_) => {
                        if p.name == "anynonarray" && k.array {
                            continue 'c;
                        }
                    }
                    _ => {
                        if k.same_base(p) {
                            exact += 1;
                        } else if !can_implicit(k, p) {
                            continue 'c;
                        }
                    }
                },
            }
        }
        ok.push((ci, exact));
    }
    if cands.len() > 1 && ins.iter().any(|x| matches!(x, In::O)) {
        return Err(ambiguous());
    }
    if ok.len() > 1 {
        let best = ok.iter().map(|x| x.1).max().unwrap();
        ok.retain(|x| x.1 == best);
    }
    if ok.len() > 1 {
        // exact or preferred types where a known argument needs a coercion
        let score = |ci: usize| {
            ins.iter()
                .zip(&cands[ci].args)
                .filter(|(x, p)| {
                    matches!(x, In::K(k) if k.same_base(p)
                        || (p.preferred() && p.category() == k.category()))
                })
                .count()
        };
        let best = ok.iter().map(|x| score(x.0)).max().unwrap();
        ok.retain(|x| score(x.0) == best);
    }
    if ok.len() > 1 && ins.iter().any(|x| matches!(x, In::U)) {
        // untyped literals: the category every remaining candidate agrees on (string
        // wins a conflict), its preferred type if a candidate has it there
        let mut slots: Vec<Option<(Cat, bool)>> = vec![None; ins.len()];
        let mut resolved = true;
        for (pos, x) in ins.iter().enumerate() {
            if !matches!(x, In::U) {
                continue;
            }
            let mut slot: Option<(Cat, bool)> = None;
            for (ci, _) in &ok {
                let p = &cands[*ci].args[pos];
                let (cat, pref) = (p.category(), p.preferred());
                slot = match slot {
                    None => Some((cat, pref)),
                    Some((c, hp)) if c == cat => Some((c, hp || pref)),
                    Some(_) if cat == Cat::String => Some((cat, pref)),
                    Some((c, hp)) if c == Cat::String => Some((c, hp)),
                    Some(_) => {
                        resolved = false;
                        break;
                    }
                };
            }
            slots[pos] = slot;
        }
        if resolved {
            let keep: Vec<(usize, usize)> = ok
                .iter()
                .copied()
                .filter(|(ci, _)| {
                    slots.iter().enumerate().all(|(pos, s)| match s {
                        None => true,
                        Some((cat, pref)) => {
                            let p = &cands[*ci].args[pos];
                            p.category() == *cat && (!pref || p.preferred())
                        }
                    })
                })
                .collect();
            if !keep.is_empty() {
                ok = keep;
            }
        }
    }
    if ok.len() != 1 {
        return Err(ambiguous());
    }
    Ok(ok[0].0)
}

pub(super) fn poly(t: &Ty) -> Option<&'static str> {
    // `"any"` is not polymorphic: it takes each argument as it is
    if t.schema.is_some() || t.array {
        return None;
    }
    match &*t.name {
        "anyarray" | "anycompatiblearray" => Some("array"),
        "anyelement" | "anycompatible" | "anynonarray" => Some("elem"),
        _ => None,
    }
}

/// The aggregates of pg_catalog a policy may call.
pub(super) const BUILTIN_AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "xmlagg",
    "any_value",
    "range_agg",
    "range_intersect_agg",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "mode",
    "percentile_cont",
    "percentile_disc",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
];

impl<'a> Analyzer<'a> {
    /// PostgreSQL refuses an aggregate of a recursive term's own level; which level an
    /// aggregate belongs to is not modelled, so in a recursive term only calls known not
    /// to be aggregates are settled: none of pg_catalog's aggregates, and no function
    /// the catalog does not describe (a user aggregate is not in it).
    fn plain_function_in_recursive_term(&self, name: &ObjectName) -> R<()> {
        let parts = name_parts(name)?;
        let last = parts.last().map(|(n, _)| n.as_str()).unwrap_or_default();
        let schema = match parts.as_slice() {
            [(s, _), _] => Some(s.as_str()),
            _ => None,
        };
        let builtin = matches!(schema, None | Some("pg_catalog")) && is_builtin_fn(last);
        let known_user = schema != Some("pg_catalog")
            && self
                .cat
                .functions
                .iter()
                .any(|f| f.name == last && schema.is_none_or(|s| f.schema == s));
        if BUILTIN_AGGREGATES.contains(&last) || !(builtin || known_user) {
            return Err(Undecidable::not_modelled(
                "a function call in a recursive term that may be an aggregate",
            ));
        }
        Ok(())
    }

    pub(super) fn function(&mut self, f: &sq::Function) -> R<Node> {
        if !self.recursive_terms.is_empty() {
            self.plain_function_in_recursive_term(&f.name)?;
        }
        if f.filter.is_some()
            || f.over.is_some()
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
            || !matches!(f.parameters, FunctionArguments::None)
            || f.uses_odbc_syntax
        {
            return Err(Undecidable::not_modelled("aggregate and window syntax"));
        }
        if marker_name(&f.name).is_some() {
            return Err(Undecidable::unsupported("function syntax"));
        }
        let parts = name_parts(&f.name)?;
        let single = if parts.len() == 1 && !parts[0].1 {
            Some(parts[0].0.as_str())
        } else {
            None
        };
        match &f.args {
            FunctionArguments::None => {
                let (kw, ty) = match single {
                    Some("current_user") => ("CURRENT_USER", "name"),
                    Some("session_user") => ("SESSION_USER", "name"),
                    Some("current_role") => ("CURRENT_ROLE", "name"),
                    Some("user") => ("USER", "name"),
                    Some("current_catalog") => ("CURRENT_CATALOG", "name"),
                    Some("current_schema") => ("CURRENT_SCHEMA", "name"),
                    Some("current_date") => ("CURRENT_DATE", "date"),
                    Some("current_timestamp") => ("CURRENT_TIMESTAMP", "timestamptz"),
                    Some("localtimestamp") => ("LOCALTIMESTAMP", "timestamp"),
                    Some("current_time") => ("CURRENT_TIME", "timetz"),
                    Some("localtime") => ("LOCALTIME", "time"),
                    _ => return Err(Undecidable::unsupported("function syntax")),
                };
                Ok(Node::SqlValue { kw, ty: t(ty) })
            }
            FunctionArguments::Subquery(q) => {
                if single != Some("array") {
                    return Err(Undecidable::unsupported("function syntax"));
                }
                let (q, tys) = self.sublink(q)?;
                if tys.len() != 1 {
                    return Err(Undecidable::mismatch(
                        "ARRAY() sub-select must return one column",
                    ));
                }
                let ty = match &tys[0] {
                    Some(t) if !t.array => Some(t.without_mods().array_of()),
                    Some(_) => return Err(Undecidable::not_modelled("ARRAY() of arrays")),
                    None => None,
                };
                Ok(Node::Sublink {
                    kind: SubKind::Array,
                    query: Box::new(q),
                    ty,
                })
            }
            FunctionArguments::List(list) => {
                if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                    return Err(Undecidable::not_modelled("aggregate syntax"));
                }
                let mut args = Vec::new();
                let mut names: Vec<Option<String>> = Vec::new();
                let mut variadic = false;
                let mut star = false;
                for (i, a) in list.args.iter().enumerate() {
                    // `VARIADIC x` (the last argument), as the token rewrite marks it
                    let mut a = a;
                    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Function(m))) = a {
                        if marker_name(&m.name) == Some(markers::VARIADIC) {
                            let FunctionArguments::List(inner) = &m.args else {
                                return Err(Undecidable::unsupported("VARIADIC"));
                            };
                            if i + 1 != list.args.len() || inner.args.len() != 1 {
                                return Err(Undecidable::unsupported("VARIADIC"));
                            }
                            variadic = true;
                            a = &inner.args[0];
                        }
                    }
                    let (name, x) = match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => (None, x),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if list.args.len() == 1 => {
                            star = true;
                            continue;
                        }
                        FunctionArg::ExprNamed {
                            name: Expr::Identifier(id),
                            arg: FunctionArgExpr::Expr(x),
                            operator:
                                sq::FunctionArgOperator::RightArrow
                                | sq::FunctionArgOperator::Assignment,
                        }
                        | FunctionArg::Named {
                            name: id,
                            arg: FunctionArgExpr::Expr(x),
                            operator:
                                sq::FunctionArgOperator::RightArrow
                                | sq::FunctionArgOperator::Assignment,
                        } if !id.value.starts_with('\0') => (Some(fold(id)), x),
                        _ => {
                            return Err(Undecidable::are_not_modelled(
                                "named or wildcard function arguments",
                            ))
                        }
                    };
                    // names only from the first named argument on (most calls have none)
                    match name {
                        Some(n) => {
                            if names.is_empty() {
                                names.resize(args.len(), None);
                            }
                            names.push(Some(n));
                        }
                        None if !names.is_empty() => {
                            return Err(Undecidable::mismatch(
                                "a positional argument cannot follow a named argument",
                            ));
                        }
                        None => {}
                    }
                    args.push(self.expr(x)?);
                }
                if variadic || !names.is_empty() {
                    if star
                        || single.is_some_and(|n| {
                            matches!(
                                n,
                                "coalesce"
                                    | "greatest"
                                    | "least"
                                    | "nullif"
                                    | "exists"
                                    | "row"
                                    | "array"
                            )
                        })
                    {
                        return Err(Undecidable::unsupported("function syntax"));
                    }
                    return Ok(self.resolve_call_with(&parts, args, names, variadic)?.0);
                }
                if star {
                    if single != Some("count") {
                        return Err(Undecidable::unsupported("* argument"));
                    }
                    return Ok(Node::Func {
                        name: "count".into(),
                        args: vec![],
                        star: true,
                        ty: Some(t("int8")),
                    });
                }
                match single {
                    Some("coalesce") | Some("greatest") | Some("least") => {
                        let ins: Vec<In> = args.iter().map(inp).collect();
                        let ct = common_type(&ins)?;
                        let mut out = Vec::new();
                        for a in args {
                            out.push(self.apply(a, Some(ct.clone()))?);
                        }
                        return Ok(match single {
                            Some("coalesce") => Node::Coalesce {
                                args: out,
                                ty: Some(ct),
                            },
                            Some("greatest") => Node::MinMax {
                                name: "GREATEST",
                                args: out,
                                ty: Some(ct),
                            },
                            _ => Node::MinMax {
                                name: "LEAST",
                                args: out,
                                ty: Some(ct),
                            },
                        });
                    }
                    Some("nullif") => {
                        if args.len() != 2 {
                            return Err(Undecidable::mismatch("NULLIF takes two arguments"));
                        }
                        let r = args.pop().unwrap();
                        let l = args.pop().unwrap();
                        let rs = resolve_cmp(inp(&l), inp(&r))?;
                        let l = self.apply(l, rs.l)?;
                        let r = self.apply(r, rs.r)?;
                        let ty = l.ty().cloned();
                        return Ok(Node::NullIf {
                            l: Box::new(l),
                            r: Box::new(r),
                            ty,
                        });
                    }
                    Some("exists") | Some("row") | Some("array") => {
                        return Err(Undecidable::unsupported("function syntax"))
                    }
                    _ => {}
                }
                self.call(&parts, args)
            }
        }
    }

    pub(super) fn call(&self, parts: &[(String, bool)], args: Vec<Node>) -> R<Node> {
        Ok(self.resolve_call(parts, args)?.0)
    }

    /// Function resolution of a call in positional notation.
    pub(super) fn resolve_call(
        &self,
        parts: &[(String, bool)],
        args: Vec<Node>,
    ) -> R<(Node, bool)> {
        self.resolve_call_with(parts, args, Vec::new(), false)
    }

    /// The candidates for a call of `name` (`FuncnameGetCandidates`): each visible
    /// function whose parameters the call's arguments can fill, by position, by name
    /// (`names`, in the call's order), with defaults or by expanding a VARIADIC parameter.
    fn candidates(
        &self,
        schema: Option<&str>,
        name: &str,
        nargs: usize,
        names: &[Option<String>],
        variadic_written: bool,
    ) -> R<(Vec<Cand>, bool)> {
        let sp = self.ctx.search_path;
        let mut cands: Vec<Cand> = Vec::new();
        let mut user_found = false;
        let want_builtin = schema.is_none() || schema == Some("pg_catalog");
        if want_builtin {
            // named notation matches only the builtins whose parameter names are listed
            let named = !names.is_empty();
            for (_, a, r) in builtins_named(name) {
                let param_names: Vec<String> = match builtin_arg_names(name, a.len()) {
                    Some(n) if named => n.iter().map(|x| x.to_string()).collect(),
                    None if named => continue,
                    _ => Vec::new(),
                };
                let special = a.iter().any(|x| x.ends_with('=') || x.starts_with("..."));
                if !special && a.len() != nargs {
                    continue;
                }
                let (set, r) = match r.strip_prefix('*') {
                    Some(x) => (true, x),
                    None => (false, *r),
                };
                let mut params = Vec::with_capacity(a.len());
                let (mut defaults, mut variadic) = (0, false);
                for x in a.iter() {
                    let x = match x.strip_suffix('=') {
                        Some(x) => {
                            defaults += 1;
                            x
                        }
                        None => x,
                    };
                    let x = match x.strip_prefix("...") {
                        Some(x) => {
                            variadic = true;
                            x
                        }
                        None => x,
                    };
                    params.push(if x == "any" { t("any") } else { self.ty(x)? });
                }
                let shape = Shape {
                    names: &param_names,
                    defaults,
                    variadic,
                };
                if let Some(c) = fill(params, &shape, nargs, names, variadic_written) {
                    cands.push(Cand {
                        schema: "pg_catalog".into(),
                        ret: self.ty(r)?,
                        set,
                        ..c
                    });
                }
            }
        }
        for f in &self.cat.functions {
            if f.name != name {
                continue;
            }
            let visible = match schema {
                Some(s) => f.schema == s,
                None => sp.contains(&f.schema),
            };
            if !visible {
                continue;
            }
            user_found = true;
            if !f.variadic && f.defaults == 0 && f.args.len() != nargs {
                continue;
            }
            let Ok(params) = f.args.iter().map(|x| self.ty(x)).collect::<R<Vec<_>>>() else {
                continue;
            };
            let Ok(ret) = self.ty(&f.returns) else {
                continue;
            };
            let shape = Shape {
                names: &f.arg_names,
                defaults: f.defaults,
                variadic: f.variadic,
            };
            if let Some(c) = fill(params, &shape, nargs, names, variadic_written) {
                cands.push(Cand {
                    schema: f.schema.clone(),
                    ret,
                    set: f.returns_set,
                    ..c
                });
            }
        }
        Ok((cands, user_found))
    }

    /// Function resolution (`func_get_detail` and `func_select_candidate`) of a call whose
    /// arguments may be named (`names`, in the call's order; empty when none is) and whose
    /// last argument may be marked VARIADIC.
    pub(super) fn resolve_call_with(
        &self,
        parts: &[(String, bool)],
        args: Vec<Node>,
        names: Vec<Option<String>>,
        variadic_written: bool,
    ) -> R<(Node, bool)> {
        let (schema, name) = match parts {
            [(n, _)] => (None, n.as_str()),
            [(s, _), (n, _)] => (Some(s.as_str()), n.as_str()),
            _ => return Err(Undecidable::unsupported("function name")),
        };
        let want_builtin = schema.is_none() || schema == Some("pg_catalog");
        let (cands, user_found) =
            self.candidates(schema, name, args.len(), &names, variadic_written)?;
        let builtin_name = is_builtin_fn(name);
        let plain = !variadic_written && names.is_empty();
        if cands.is_empty() {
            if user_found
                || !plain
                || (builtin_name && want_builtin && !builtins_named(name).is_empty())
            {
                return Err(Undecidable::signature(name, SignatureProblem::NoMatch));
            }
            // unknown function: no argument may need typing
            if args.iter().any(|a| a.is_unknown_lit()) {
                return Err(Undecidable::signature(
                    name,
                    SignatureProblem::UnknownArgumentTypes,
                ));
            }
            let printed = self.fn_name(schema, name, None);
            return Ok((
                Node::Func {
                    name: printed,
                    args,
                    star: false,
                    ty: None,
                },
                false,
            ));
        }
        let ins: Vec<In> = args.iter().map(inp).collect();
        let chosen = select_candidate(&cands, &ins, name)?;
        let c = &cands[chosen];
        // resolve polymorphic types
        let mut elem: Option<Ty> = None;
        for (x, p) in ins.iter().zip(&c.args) {
            if let (In::K(k), Some(kind)) = (x, poly(p)) {
                let e = if kind == "array" {
                    k.elem().unwrap()
                } else {
                    k.without_mods()
                };
                match &elem {
                    None => elem = Some(e),
                    Some(prev) if prev.same_base(&e) => {}
                    Some(_) => {
                        return Err(Undecidable::signature(name, SignatureProblem::Polymorphic))
                    }
                }
            }
        }
        let subst = |p: &Ty| -> R<Option<Ty>> {
            Ok(match poly(p) {
                None => Some(p.clone()),
                Some(kind) => elem.as_ref().map(|e| {
                    if kind == "array" {
                        e.clone().array_of()
                    } else {
                        e.clone()
                    }
                }),
            })
        };
        let mut out = Vec::new();
        for (a, p) in args.into_iter().zip(&c.args) {
            if p.is("any") {
                // `"any"` takes its argument as it is: a literal stays of type unknown
                out.push(match a {
                    Node::Const { text, ty: None } => Node::Const {
                        text,
                        ty: Some(t("unknown")),
                    },
                    a => a,
                });
                continue;
            }
            let target = subst(p)?;
            if target.is_none() && a.is_unknown_lit() {
                return Err(Undecidable::signature(name, SignatureProblem::Polymorphic));
            }
            out.push(self.apply(a, target)?);
        }
        if c.nvargs > 0 {
            // the expanded arguments become one array, passed as VARIADIC (never with
            // named arguments: `fill` matches those only as written with VARIADIC)
            let at = out.len() - c.nvargs;
            let elems = out.split_off(at);
            let ty = match elems[0].ty() {
                Some(e) => e.without_mods().array_of(),
                None => return Err(Undecidable::signature(name, SignatureProblem::Polymorphic)),
            };
            out.push(Node::Array { elems, ty });
        }
        if !names.is_empty() {
            out = out
                .into_iter()
                .zip(names)
                .map(|(a, n)| match n {
                    Some(name) => Node::NamedArg {
                        name,
                        arg: Box::new(a),
                    },
                    None => a,
                })
                .collect();
        }
        if c.nvargs > 0 || variadic_written {
            let last = out.pop().expect("a VARIADIC argument");
            out.push(Node::Variadic(Box::new(last)));
        }
        let ret = subst(&c.ret)?;
        let _ = c.set;
        let printed = self.fn_name(schema, name, Some(&c.schema));
        Ok((
            Node::Func {
                name: printed,
                args: out,
                star: false,
                ty: ret,
            },
            true,
        ))
    }

    /// `generate_function_name`: qualified only when not visible on the search path.
    pub(super) fn fn_name(
        &self,
        written_schema: Option<&str>,
        name: &str,
        resolved: Option<&str>,
    ) -> String {
        let sp = self.ctx.search_path;
        let schema = resolved.or(written_schema);
        let visible = match schema {
            None => true,
            Some("pg_catalog") => true,
            Some(s) => {
                if is_builtin_fn(name) {
                    false
                } else {
                    // the first schema on the path that has a function of this name
                    let first = sp.iter().find(|p| {
                        self.cat
                            .functions
                            .iter()
                            .any(|f| f.schema == **p && f.name == name)
                    });
                    match first {
                        Some(f) => f == s,
                        None => sp.first().map(|f| f == s).unwrap_or(false) && resolved.is_none(),
                    }
                }
            }
        };
        if visible {
            quote::ident(name)
        } else {
            format!("{}.{}", quote::ident(schema.unwrap()), quote::ident(name))
        }
    }
}
