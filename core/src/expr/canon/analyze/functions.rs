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
];

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
    args: Vec<Ty>,
    ret: Ty,
    set: bool,
}

pub(super) fn poly(t: &Ty) -> Option<&'static str> {
    if t.schema.is_some() || t.array {
        return None;
    }
    match &*t.name {
        "anyarray" | "anycompatiblearray" => Some("array"),
        "anyelement" | "anycompatible" | "anynonarray" => Some("elem"),
        _ => None,
    }
}

impl<'a> Analyzer<'a> {
    pub(super) fn function(&mut self, f: &sq::Function) -> R<Node> {
        if f.filter.is_some()
            || f.over.is_some()
            || !f.within_group.is_empty()
            || f.null_treatment.is_some()
            || !matches!(f.parameters, FunctionArguments::None)
            || f.uses_odbc_syntax
        {
            return Err(Undecidable::not_modelled("aggregate and window syntax"));
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
                let (q, tys) = self.query(q)?;
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
                let mut star = false;
                for a in &list.args {
                    match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => args.push(self.expr(x)?),
                        FunctionArg::Unnamed(FunctionArgExpr::Wildcard) if list.args.len() == 1 => {
                            star = true
                        }
                        _ => {
                            return Err(Undecidable::are_not_modelled(
                                "named or wildcard function arguments",
                            ))
                        }
                    }
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

    /// Function resolution (a subset of `func_select_candidate`).
    pub(super) fn resolve_call(
        &self,
        parts: &[(String, bool)],
        args: Vec<Node>,
    ) -> R<(Node, bool)> {
        let (schema, name) = match parts {
            [(n, _)] => (None, n.as_str()),
            [(s, _), (n, _)] => (Some(s.as_str()), n.as_str()),
            _ => return Err(Undecidable::unsupported("function name")),
        };
        let sp = self.ctx.search_path;
        let mut cands: Vec<Cand> = Vec::new();
        let want_builtin = schema.is_none() || schema == Some("pg_catalog");
        if want_builtin {
            for (_, a, r) in builtins_named(name) {
                if a.len() == args.len() {
                    let (set, r) = match r.strip_prefix('*') {
                        Some(x) => (true, x),
                        None => (false, *r),
                    };
                    cands.push(Cand {
                        schema: "pg_catalog".into(),
                        args: a.iter().map(|x| self.ty(x)).collect::<R<Vec<_>>>()?,
                        ret: self.ty(r)?,
                        set,
                    });
                }
            }
        }
        let mut user_found = false;
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
            if f.args.len() != args.len() {
                continue;
            }
            let Ok(atys) = f.args.iter().map(|x| self.ty(x)).collect::<R<Vec<_>>>() else {
                continue;
            };
            let Ok(ret) = self.ty(&f.returns) else {
                continue;
            };
            cands.push(Cand {
                schema: f.schema.clone(),
                args: atys,
                ret,
                set: f.returns_set,
            });
        }
        let builtin_name = is_builtin_fn(name);
        if cands.is_empty() {
            if user_found || (builtin_name && want_builtin && !builtins_named(name).is_empty()) {
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
        // filter by coercibility
        let mut ok: Vec<(usize, usize)> = Vec::new(); // (index, exact matches)
        'c: for (ci, c) in cands.iter().enumerate() {
            let mut exact = 0;
            for (x, p) in ins.iter().zip(&c.args) {
                match x {
                    In::U | In::O => {}
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
        if ok.len() > 1 {
            let best = ok.iter().map(|x| x.1).max().unwrap();
            ok.retain(|x| x.1 == best);
        }
        if ok.len() > 1 {
            // unknown literals prefer string-category parameters
            for (pos, x) in ins.iter().enumerate() {
                if matches!(x, In::U) {
                    let any_string = ok
                        .iter()
                        .any(|(ci, _)| cands[*ci].args[pos].category() == Cat::String);
                    if any_string {
                        ok.retain(|(ci, _)| cands[*ci].args[pos].category() == Cat::String);
                    }
                }
            }
            if ok.len() > 1 {
                let any_pref = ok.iter().any(|(ci, _)| {
                    cands[*ci]
                        .args
                        .iter()
                        .zip(&ins)
                        .any(|(p, x)| !matches!(x, In::K(k) if k.same_base(p)) && p.preferred())
                });
                if any_pref && ok.len() == 2 {
                    // fall through to ambiguity
                }
            }
        }
        if ok.len() != 1 {
            return Err(Undecidable::signature(name, SignatureProblem::Ambiguous));
        }
        if ins.iter().any(|x| matches!(x, In::O)) && cands.len() > 1 {
            return Err(Undecidable::signature(name, SignatureProblem::Ambiguous));
        }
        let c = &cands[ok[0].0];
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
            let target = subst(p)?;
            if target.is_none() && a.is_unknown_lit() {
                return Err(Undecidable::signature(name, SignatureProblem::Polymorphic));
            }
            out.push(self.apply(a, target)?);
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
