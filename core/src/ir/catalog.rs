//! User-defined functions and types that policy expressions use: read from a database's
//! catalog or from `CREATE FUNCTION` / `CREATE TYPE` / `CREATE DOMAIN` in a `.sql` source,
//! carried on [`crate::Schema`], and used by the offline comparison to type literals.

/// A user-defined function signature (argument and result types as written in SQL).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionSig {
    pub schema: String,
    pub name: String,
    pub args: Vec<String>,
    pub returns: String,
    pub returns_set: bool,
    /// The input parameters' names, in order (`""` for an unnamed one; empty when no
    /// parameter has a name): what a call in named notation (`f(a => 1)`) matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub arg_names: Vec<String>,
    /// How many trailing parameters have defaults (`pronargdefaults`): a call may leave
    /// them out, and PostgreSQL stores the call without them.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "ts", ts(as = "Option<usize>", optional))]
    pub defaults: usize,
    /// The last parameter is `VARIADIC` (its type is the array type).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub variadic: bool,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    Enum(Vec<String>),
    Domain(String),
    Other,
}

/// A user-defined type.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeDef {
    pub schema: String,
    pub name: String,
    pub kind: TypeKind,
}

/// User-defined functions and types: what the canonicalizer needs beyond tables to type
/// literals (`auth.role() = 'x'` gets `'x'::text` because `auth.role()` returns text;
/// `role = 'owner'` gets `'owner'::team_role` for an enum column).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    pub functions: Vec<FunctionSig>,
    pub types: Vec<TypeDef>,
    /// The settings literals of date and time types are read and printed under (read at
    /// introspection). Without them, the offline default applies (see [`SessionSettings`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub session: Option<SessionSettings>,
}

/// The settings the stored text of a date or time literal depends on, as `current_setting`
/// reports them: `TimeZone` (how a `timestamptz` without an offset is read and how every
/// `timestamptz` is printed), `DateStyle` (how dates and timestamps are printed, and the
/// field order ambiguous input such as `01/02/2024` is read in) and `IntervalStyle` (how
/// intervals are printed, and how a leading minus of SQL-standard input reads).
///
/// Offline, without them, pgpolicy prints as PostgreSQL does under `TimeZone=UTC`,
/// `DateStyle=ISO, MDY` and `IntervalStyle=postgres`, and a `timestamptz` literal without an
/// offset is undecidable (its value depends on the creating session's time zone).
///
/// With them, every `DateStyle` (ISO, SQL, Postgres, German with DMY, MDY or YMD order) and
/// every `IntervalStyle` is printed offline. A `timestamptz` is settled offline when the
/// time zone is known exactly: UTC or an `Etc/` zone, or a POSIX-style fixed offset as
/// `current_setting` shows it (`<+02>-02`, `UTC+3`: three hours west), at every instant; or
/// a named zone of the IANA database bundled with pgpolicy whose rules agree with the
/// server's (`zone`, read at introspection), for instants from 1970 to 2037. Anything else
/// (a zone name the bundled database lacks, rules that differ or were not read, an instant
/// outside that range) is left to the round trip; see docs/core-api.md for the input forms
/// read offline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SessionSettings {
    pub timezone: String,
    pub datestyle: String,
    pub intervalstyle: String,
    /// The server's rules for `timezone` from 1970 to 2037, as PostgreSQL applies them: the
    /// UTC offset and abbreviation at 1970-01-01 00:00 UTC, then every change of the offset
    /// (found by sampling every 14 days and bisecting to the second). Empty: not read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<ZoneChange>>", optional))]
    pub zone: Vec<ZoneChange>,
    /// `timezone_abbreviations`: the abbreviations (`CEST`, `EST`) a literal may carry are
    /// read with this set; only `Default` is modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub abbreviations: Option<String>,
}

/// From the instant `at` (seconds since 1970-01-01 00:00 UTC) on, the time zone is
/// `utc_offset` seconds east of UTC and abbreviated `abbreviation`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ZoneChange {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    pub utc_offset: i32,
    pub abbreviation: String,
}

impl ZoneChange {
    /// Reads `"<at> <utc_offset> <abbreviation>"`, the catalog query's form.
    pub fn parse(text: &str) -> Option<ZoneChange> {
        let mut it = text.splitn(3, ' ');
        let at = it.next()?.parse().ok()?;
        let utc_offset = it.next()?.parse().ok()?;
        let abbreviation = it.next()?.to_string();
        Some(ZoneChange {
            at,
            utc_offset,
            abbreviation,
        })
    }
}

impl SessionSettings {
    /// Whether `TimeZone` names UTC (no offset, no daylight saving time).
    pub fn utc(&self) -> bool {
        const UTC: &[&str] = &[
            "utc",
            "uct",
            "gmt",
            "gmt0",
            "gmt+0",
            "gmt-0",
            "greenwich",
            "universal",
            "zulu",
        ];
        let z = self.timezone.trim().to_ascii_lowercase();
        let z = z.strip_prefix("etc/").unwrap_or(&z);
        UTC.contains(&z)
    }
}

impl Catalog {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.types.is_empty() && self.session.is_none()
    }

    /// This catalog with the signatures of declared functions (those it lacks), so that
    /// policies calling them are typed offline.
    pub fn with_functions(mut self, functions: &[crate::ir::Function]) -> Catalog {
        use std::collections::HashSet;
        let have: HashSet<(String, String, Vec<String>)> = self
            .functions
            .iter()
            .map(|f| (f.schema.clone(), f.name.clone(), f.args.clone()))
            .collect();
        for f in functions {
            if have.contains(&(f.schema.clone(), f.name.clone(), f.args.clone())) {
                continue;
            }
            let (returns, returns_set) = match f.returns.strip_prefix("SETOF ") {
                Some(t) => (t.to_string(), true),
                None => (f.returns.clone(), false),
            };
            let shape = crate::sql::read::call_shape(&f.arguments).unwrap_or_default();
            self.functions.push(FunctionSig {
                schema: f.schema.clone(),
                name: f.name.clone(),
                args: f.args.clone(),
                returns,
                returns_set,
                arg_names: shape.names,
                defaults: shape.defaults,
                variadic: shape.variadic,
            });
        }
        self
    }

    /// Both catalogs; `other`'s entries are added where `self` has none of that name.
    pub fn merged(&self, other: &Catalog) -> Catalog {
        let mut out = self.clone();
        if out.session.is_none() {
            out.session = other.session.clone();
        }
        for f in &other.functions {
            if !out
                .functions
                .iter()
                .any(|g| g.schema == f.schema && g.name == f.name && g.args == f.args)
            {
                out.functions.push(f.clone());
            }
        }
        for t in &other.types {
            if !out
                .types
                .iter()
                .any(|u| u.schema == t.schema && u.name == t.name)
            {
                out.types.push(t.clone());
            }
        }
        out
    }

    /// Reads `CREATE FUNCTION`, `CREATE TYPE ... AS ENUM` and `CREATE DOMAIN` statements
    /// from SQL text (other statements are skipped). `default_schema` qualifies
    /// unqualified names.
    pub fn from_sql(sql: &str, default_schema: &str) -> Catalog {
        let mut cat = Catalog::default();
        let toks = words(sql);
        let mut i = 0;
        while i < toks.len() {
            if !toks[i].eq_kw("create") {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            if toks.get(j).map(|t| t.eq_kw("or")).unwrap_or(false)
                && toks.get(j + 1).map(|t| t.eq_kw("replace")).unwrap_or(false)
            {
                j += 2;
            }
            let Some(kind) = toks.get(j) else { break };
            if kind.eq_kw("function") {
                if let Some((f, next)) = parse_function(&toks, j + 1, default_schema) {
                    cat.functions.push(f);
                    i = next;
                    continue;
                }
            } else if kind.eq_kw("type") || kind.eq_kw("domain") {
                if let Some((t, next)) =
                    parse_typedef(&toks, j + 1, default_schema, kind.eq_kw("domain"))
                {
                    cat.types.push(t);
                    i = next;
                    continue;
                }
            }
            i = j + 1;
        }
        cat
    }
}

// ---------------------------------------------------------------------------------------
// A small reader for CREATE FUNCTION / CREATE TYPE / CREATE DOMAIN
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum W {
    Word(String, bool),
    Str(String),
    Punct(char),
    Dollar,
}

impl W {
    fn eq_kw(&self, k: &str) -> bool {
        matches!(self, W::Word(w, false) if w == k)
    }
}

/// The project's SQL lexer's tokens in the reader's shape: words folded to lower case,
/// strings with their value, dollar-quoted bodies (function bodies) opaque, and operator
/// characters one by one. Text the lexer cannot read gives no declarations.
fn words(sql: &str) -> Vec<W> {
    use crate::sql::lex::{tokenize, Kind};
    let Ok(tokens) = tokenize(sql) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(tokens.len());
    for t in &tokens {
        let text = t.text(sql);
        match t.kind {
            Kind::Word | Kind::Number => out.push(W::Word(text.to_ascii_lowercase(), false)),
            Kind::Quoted => out.push(W::Word(t.ident(sql).unwrap_or_default(), true)),
            Kind::String if text.starts_with('$') => out.push(W::Dollar),
            Kind::String => out.push(W::Str(t.string_value(sql).unwrap_or_default())),
            Kind::Op | Kind::LParen | Kind::RParen | Kind::Comma | Kind::Semicolon | Kind::Dot => {
                out.extend(text.chars().map(W::Punct))
            }
        }
    }
    out
}

fn qualified(toks: &[W], mut i: usize, default_schema: &str) -> Option<(String, String, usize)> {
    let first = match toks.get(i)? {
        W::Word(w, _) => w.clone(),
        _ => return None,
    };
    i += 1;
    if matches!(toks.get(i), Some(W::Punct('.'))) {
        let second = match toks.get(i + 1)? {
            W::Word(w, _) => w.clone(),
            _ => return None,
        };
        return Some((first, second, i + 2));
    }
    Some((default_schema.to_string(), first, i))
}

fn render(toks: &[W]) -> String {
    let mut s = String::new();
    for (k, t) in toks.iter().enumerate() {
        match t {
            W::Word(w, q) => {
                if k > 0 && !matches!(toks[k - 1], W::Punct('.') | W::Punct('(')) {
                    s.push(' ');
                }
                if *q {
                    s.push('"');
                    s.push_str(&w.replace('"', "\"\""));
                    s.push('"');
                } else {
                    s.push_str(w);
                }
            }
            W::Punct(c) => s.push(*c),
            W::Str(_) | W::Dollar => s.push('?'),
        }
    }
    s
}

fn parse_function(toks: &[W], i: usize, default_schema: &str) -> Option<(FunctionSig, usize)> {
    let (schema, name, mut i) = qualified(toks, i, default_schema)?;
    if !matches!(toks.get(i), Some(W::Punct('('))) {
        return None;
    }
    i += 1;
    let mut args: Vec<Vec<W>> = vec![Vec::new()];
    let mut depth = 0;
    loop {
        let t = toks.get(i)?;
        i += 1;
        match t {
            W::Punct('(') => {
                depth += 1;
                args.last_mut().unwrap().push(t.clone());
            }
            W::Punct(')') if depth == 0 => break,
            W::Punct(')') => {
                depth -= 1;
                args.last_mut().unwrap().push(t.clone());
            }
            W::Punct(',') if depth == 0 => args.push(Vec::new()),
            _ => args.last_mut().unwrap().push(t.clone()),
        }
    }
    if args.len() == 1 && args[0].is_empty() {
        args.clear();
    }
    let mut arg_types = Vec::new();
    let mut arg_names = Vec::new();
    let (mut defaults, mut variadic) = (0, false);
    for a in args {
        let mut a: &[W] = &a;
        if let Some(f) = a.first() {
            if f.eq_kw("out") {
                continue; // not an input parameter
            }
        }
        if variadic {
            return None; // VARIADIC is the last input parameter
        }
        if let Some(f) = a.first() {
            if f.eq_kw("in") || f.eq_kw("inout") || f.eq_kw("variadic") {
                variadic = f.eq_kw("variadic");
                a = &a[1..];
            }
        }
        // a default ends the type
        if let Some(end) = a
            .iter()
            .position(|w| w.eq_kw("default") || matches!(w, W::Punct('=')))
        {
            a = &a[..end];
            defaults += 1;
        } else if defaults > 0 {
            return None; // only trailing parameters have defaults
        }
        // "name type" or "type": drop a leading name when the rest is a type
        let whole = render(a);
        let nt = struct_types_ok(&whole);
        let (name, ty) = if nt {
            (String::new(), whole)
        } else if a.len() > 1 {
            let rest = render(&a[1..]);
            if !struct_types_ok(&rest) {
                return None;
            }
            match &a[0] {
                W::Word(w, _) => (w.clone(), rest),
                _ => return None,
            }
        } else {
            return None;
        };
        arg_types.push(ty);
        arg_names.push(name);
    }
    if arg_names.iter().all(String::is_empty) {
        arg_names.clear();
    }
    if !toks.get(i)?.eq_kw("returns") {
        return None;
    }
    i += 1;
    let mut set = false;
    if toks.get(i)?.eq_kw("setof") {
        set = true;
        i += 1;
    }
    if toks.get(i)?.eq_kw("table") {
        return None;
    }
    let st = i;
    const STOP: &[&str] = &[
        "language",
        "as",
        "immutable",
        "stable",
        "volatile",
        "security",
        "set",
        "strict",
        "called",
        "parallel",
        "cost",
        "rows",
        "leakproof",
        "not",
        "external",
        "window",
        "support",
        "begin",
        "return",
        "transform",
    ];
    while let Some(t) = toks.get(i) {
        match t {
            W::Word(w, false) if STOP.contains(&w.as_str()) => break,
            W::Punct(';') | W::Dollar | W::Str(_) => break,
            _ => i += 1,
        }
    }
    let returns = render(&toks[st..i]);
    if !struct_types_ok(&returns) {
        return None;
    }
    Some((
        FunctionSig {
            schema,
            name,
            args: arg_types,
            returns,
            returns_set: set,
            arg_names,
            defaults,
            variadic,
        },
        i,
    ))
}

/// Whether `s` reads as a type name (see [`crate::validate::type_name`]).
fn struct_types_ok(s: &str) -> bool {
    crate::validate::type_name(s).is_ok()
}

fn parse_typedef(
    toks: &[W],
    i: usize,
    default_schema: &str,
    domain: bool,
) -> Option<(TypeDef, usize)> {
    let (schema, name, mut i) = qualified(toks, i, default_schema)?;
    if toks.get(i).map(|t| t.eq_kw("as")).unwrap_or(false) {
        i += 1;
    }
    if domain {
        let st = i;
        while let Some(t) = toks.get(i) {
            match t {
                W::Punct(';') => break,
                W::Word(w, false)
                    if matches!(
                        w.as_str(),
                        "check" | "default" | "not" | "null" | "constraint" | "collate"
                    ) =>
                {
                    break
                }
                _ => i += 1,
            }
        }
        let base = render(&toks[st..i]);
        return Some((
            TypeDef {
                schema,
                name,
                kind: TypeKind::Domain(base),
            },
            i,
        ));
    }
    if toks.get(i)?.eq_kw("enum") {
        i += 1;
        if !matches!(toks.get(i), Some(W::Punct('('))) {
            return None;
        }
        i += 1;
        let mut labels = Vec::new();
        loop {
            match toks.get(i)? {
                W::Str(s) => labels.push(s.clone()),
                W::Punct(',') => {}
                W::Punct(')') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
            i += 1;
        }
        return Some((
            TypeDef {
                schema,
                name,
                kind: TypeKind::Enum(labels),
            },
            i,
        ));
    }
    Some((
        TypeDef {
            schema,
            name,
            kind: TypeKind::Other,
        },
        i,
    ))
}
