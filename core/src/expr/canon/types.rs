//! Type names: parsing every spelling (SQL syntax, internal names, `format_type` output)
//! into one internal form, and printing it back the way PostgreSQL's `format_type` does.

use crate::sql::quote;
use std::borrow::Cow;

/// A resolved type. `name` is PostgreSQL's internal name (`int4`, `varchar`,
/// `timestamptz`) for built-in types; `schema` is set only for user-defined types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ty {
    pub schema: Option<String>,
    pub name: Cow<'static, str>,
    /// Type modifiers as printed, e.g. `(10)` or `(12,2)`; empty when absent.
    pub mods: String,
    pub array: bool,
    /// A user-defined enum (known from the catalog).
    pub is_enum: bool,
}

/// Type categories (`pg_type.typcategory`) for the built-in types we model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cat {
    Numeric,
    String,
    DateTime,
    Timespan,
    Boolean,
    Array,
    Network,
    User,
    Other,
}

impl Ty {
    pub const fn builtin(name: &'static str) -> Ty {
        Ty {
            schema: None,
            name: Cow::Borrowed(name),
            mods: String::new(),
            array: false,
            is_enum: false,
        }
    }
    pub fn named(name: &str) -> Ty {
        Ty {
            schema: None,
            name: Cow::Owned(name.to_string()),
            mods: String::new(),
            array: false,
            is_enum: false,
        }
    }
    pub fn array_of(mut self) -> Ty {
        self.array = true;
        self.mods.clear();
        self
    }
    pub fn elem(&self) -> Option<Ty> {
        if !self.array {
            return None;
        }
        let mut t = self.clone();
        t.array = false;
        Some(t)
    }
    pub fn is(&self, name: &str) -> bool {
        !self.array && self.schema.is_none() && *self.name == *name
    }
    pub fn is_user(&self) -> bool {
        self.schema.is_some()
    }
    /// Same type, ignoring type modifiers (what `exprType` compares).
    pub fn same_base(&self, o: &Ty) -> bool {
        self.schema == o.schema && self.name == o.name && self.array == o.array
    }
    pub fn without_mods(&self) -> Ty {
        let mut t = self.clone();
        t.mods.clear();
        t
    }
    pub fn category(&self) -> Cat {
        if self.array {
            return Cat::Array;
        }
        if self.schema.is_some() {
            return Cat::User;
        }
        match &*self.name {
            "int2" | "int4" | "int8" | "numeric" | "float4" | "float8" | "oid" => Cat::Numeric,
            "text" | "varchar" | "bpchar" | "name" => Cat::String,
            "date" | "time" | "timetz" | "timestamp" | "timestamptz" => Cat::DateTime,
            "interval" => Cat::Timespan,
            "bool" => Cat::Boolean,
            "inet" | "cidr" => Cat::Network,
            "uuid" | "json" | "jsonb" | "jsonpath" => Cat::User,
            _ => Cat::Other,
        }
    }
    pub fn preferred(&self) -> bool {
        !self.array
            && self.schema.is_none()
            && matches!(
                &*self.name,
                "float8" | "text" | "timestamptz" | "interval" | "bool" | "inet" | "oid"
            )
    }
    pub fn is_int(&self) -> bool {
        !self.array && self.schema.is_none() && matches!(&*self.name, "int2" | "int4" | "int8")
    }
    pub fn is_stringish(&self) -> bool {
        self.category() == Cat::String
    }
    pub fn is_datetime(&self) -> bool {
        !self.array
            && self.schema.is_none()
            && matches!(&*self.name, "date" | "timestamp" | "timestamptz")
    }
    /// Numeric ladder rank for implicit casts (int2 < int4 < int8 < numeric < float4 < float8).
    pub fn num_rank(&self) -> Option<u8> {
        if self.array || self.schema.is_some() {
            return None;
        }
        Some(match &*self.name {
            "int2" => 0,
            "int4" => 1,
            "int8" => 2,
            "numeric" => 3,
            "float4" => 4,
            "float8" => 5,
            _ => return None,
        })
    }

    /// `format_type_with_typemod`.
    pub fn format(&self, search_path: &[String]) -> String {
        let mut s = self.format_base(search_path);
        if self.array {
            s.push_str("[]");
        }
        s
    }

    fn format_base(&self, search_path: &[String]) -> String {
        if let Some(schema) = &self.schema {
            let visible = search_path.first().map(|f| f == schema).unwrap_or(false)
                && !is_builtin_type_name(&self.name);
            return if visible {
                quote::ident(&self.name)
            } else {
                format!("{}.{}", quote::ident(schema), quote::ident(&self.name))
            };
        }
        let m = self.mods.as_str();
        match &*self.name {
            "int2" => "smallint".into(),
            "int4" => "integer".into(),
            "int8" => "bigint".into(),
            "float4" => "real".into(),
            "float8" => "double precision".into(),
            "bool" => "boolean".into(),
            "varchar" => format!("character varying{m}"),
            "bpchar" => {
                if m.is_empty() {
                    "bpchar".into()
                } else {
                    format!("character{m}")
                }
            }
            "numeric" => format!("numeric{m}"),
            "timestamp" => format!("timestamp{m} without time zone"),
            "timestamptz" => format!("timestamp{m} with time zone"),
            "time" => format!("time{m} without time zone"),
            "timetz" => format!("time{m} with time zone"),
            "interval" => format!("interval{m}"),
            "bit" => format!("bit{m}"),
            "varbit" => format!("bit varying{m}"),
            "char" => "\"char\"".into(),
            other => format!("{}{m}", quote::ident(other)),
        }
    }
}

pub fn is_builtin_type_name(n: &str) -> bool {
    matches!(
        n,
        "int2"
            | "int4"
            | "int8"
            | "numeric"
            | "float4"
            | "float8"
            | "bool"
            | "text"
            | "varchar"
            | "bpchar"
            | "name"
            | "char"
            | "uuid"
            | "json"
            | "jsonb"
            | "jsonpath"
            | "date"
            | "time"
            | "timetz"
            | "timestamp"
            | "timestamptz"
            | "interval"
            | "bytea"
            | "inet"
            | "cidr"
            | "macaddr"
            | "macaddr8"
            | "oid"
            | "regclass"
            | "regtype"
            | "regproc"
            | "regprocedure"
            | "regrole"
            | "regnamespace"
            | "regoper"
            | "money"
            | "xml"
            | "tsvector"
            | "tsquery"
            | "bit"
            | "varbit"
            | "record"
            | "void"
            | "point"
            | "line"
            | "lseg"
            | "box"
            | "path"
            | "polygon"
            | "circle"
            | "int4range"
            | "int8range"
            | "numrange"
            | "tsrange"
            | "tstzrange"
            | "daterange"
            | "pg_lsn"
            | "txid_snapshot"
            | "unknown"
            | "anyelement"
            | "anyarray"
            | "tid"
            | "xid"
            | "cid"
            | "anynonarray"
            | "anycompatible"
            | "anycompatiblearray"
    )
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String, bool), // text, quoted
    Num(String),
    LParen,
    RParen,
    Comma,
    Dot,
    Brackets,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push(Tok::LParen);
                i += 1
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1
            }
            b'.' => {
                out.push(Tok::Dot);
                i += 1
            }
            b'[' => {
                let j = s[i..].find(']').ok_or("unbalanced [")? + i;
                let inner = s[i + 1..j].trim();
                if !inner.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!("bad array bound in type {s}"));
                }
                out.push(Tok::Brackets);
                i = j + 1;
            }
            b'"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    if i >= b.len() {
                        return Err("unterminated quoted identifier".into());
                    }
                    if b[i] == b'"' {
                        if i + 1 < b.len() && b[i + 1] == b'"' {
                            v.push('"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    let ch = s[i..].chars().next().unwrap();
                    v.push(ch);
                    i += ch.len_utf8();
                }
                out.push(Tok::Word(v, true));
            }
            c if c.is_ascii_digit() => {
                let st = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                out.push(Tok::Num(s[st..i].to_string()));
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let st = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Tok::Word(s[st..i].to_ascii_lowercase(), false));
            }
            _ => return Err(format!("unexpected character in type name {s:?}")),
        }
    }
    Ok(out)
}

/// A user type known to the catalog (for resolving unqualified names).
pub trait TypeLookup {
    /// The schema that an unqualified user type name resolves to, if known.
    fn resolve_type_schema(&self, name: &str) -> Option<String>;
    /// Whether `schema.name` is an enum type.
    fn is_enum(&self, _schema: &str, _name: &str) -> bool {
        false
    }
}

/// Parses any spelling of a type name. `lookup` resolves unqualified user types.
pub fn parse_type(s: &str, lookup: &dyn TypeLookup, search_path: &[String]) -> Result<Ty, String> {
    // fast paths: format_type spellings of common types, one lower-case word
    match s {
        "timestamp with time zone" => return Ok(Ty::builtin("timestamptz")),
        "timestamp without time zone" => return Ok(Ty::builtin("timestamp")),
        "character varying" => return Ok(Ty::builtin("varchar")),
        "double precision" => return Ok(Ty::builtin("float8")),
        _ => {}
    }
    let (word, arr) = match s.strip_suffix("[]") {
        Some(w) => (w, true),
        None => (s, false),
    };
    if !word.is_empty()
        && word
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        && !word.as_bytes()[0].is_ascii_digit()
        && !matches!(
            word,
            "array" | "double" | "character" | "timestamp" | "time" | "bit" | "national"
        )
    {
        let mut t = match builtin_single(word, "") {
            Ok(t) => t,
            Err(_) => user_type(word, "", lookup, search_path),
        };
        t.array |= arr;
        return Ok(t);
    }
    let toks = lex(s)?;
    let mut i = 0;
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut mods: Vec<String> = Vec::new();
    let mut array = false;
    let mut dotted = false;
    let mut after_mods: Vec<String> = Vec::new();
    while i < toks.len() {
        match &toks[i] {
            Tok::Word(w, q) => {
                if !mods.is_empty() {
                    after_mods.push(w.clone());
                } else if w == "array" && !q && !words.is_empty() {
                    array = true;
                } else {
                    words.push((w.clone(), *q));
                }
                i += 1;
            }
            Tok::Dot => {
                dotted = true;
                i += 1;
            }
            Tok::LParen => {
                i += 1;
                loop {
                    match toks.get(i) {
                        Some(Tok::Num(n)) => mods.push(n.trim_start_matches('0').to_string()),
                        _ => return Err(format!("unsupported type modifier in {s:?}")),
                    }
                    i += 1;
                    match toks.get(i) {
                        Some(Tok::Comma) => i += 1,
                        Some(Tok::RParen) => {
                            i += 1;
                            break;
                        }
                        _ => return Err(format!("bad type modifier in {s:?}")),
                    }
                }
                for m in mods.iter_mut() {
                    if m.is_empty() {
                        *m = "0".into();
                    }
                }
            }
            Tok::Brackets => {
                array = true;
                i += 1;
            }
            _ => return Err(format!("bad type name {s:?}")),
        }
    }
    if words.is_empty() {
        return Err(format!("empty type name {s:?}"));
    }
    let modstr = if mods.is_empty() {
        String::new()
    } else {
        format!("({})", mods.join(","))
    };
    // Qualified names.
    if dotted {
        if words.len() != 2 || !after_mods.is_empty() {
            return Err(format!("unsupported qualified type {s:?}"));
        }
        let (schema, name) = (&words[0].0, &words[1].0);
        if schema == "pg_catalog" {
            let mut t = builtin_single(name, &modstr)?;
            t.array |= array;
            return Ok(t);
        }
        let is_enum = lookup.is_enum(schema, name);
        return Ok(Ty {
            schema: Some(schema.clone()),
            name: Cow::Owned(name.clone()),
            mods: modstr,
            array,
            is_enum,
        });
    }
    let all: Vec<&str> = words
        .iter()
        .map(|(w, _)| w.as_str())
        .chain(after_mods.iter().map(|s| s.as_str()))
        .collect();
    let quoted = words[0].1;
    let tz = |rest: &[&str]| -> Result<Option<bool>, String> {
        match rest {
            [] => Ok(None),
            ["with", "time", "zone"] => Ok(Some(true)),
            ["without", "time", "zone"] => Ok(Some(false)),
            _ => Err(format!("bad type name {s:?}")),
        }
    };
    let mut t = if quoted {
        if words.len() != 1 {
            return Err(format!("bad type name {s:?}"));
        }
        let n = &words[0].0;
        if n == "char" {
            Ty::builtin("char")
        } else if is_builtin_type_name(n) && n != "char" {
            let mut t = Ty::named(n);
            t.mods = modstr.clone();
            t
        } else {
            user_type(n, &modstr, lookup, search_path)
        }
    } else {
        match all.as_slice() {
            ["double", "precision"] => Ty::builtin("float8"),
            ["character", "varying"]
            | ["char", "varying"]
            | ["national", "character", "varying"] => {
                let mut t = Ty::builtin("varchar");
                t.mods = modstr.clone();
                t
            }
            ["bit", "varying"] => {
                let mut t = Ty::builtin("varbit");
                t.mods = modstr.clone();
                t
            }
            ["timestamp", rest @ ..] => {
                let mut t = Ty::builtin(if tz(rest)? == Some(true) {
                    "timestamptz"
                } else {
                    "timestamp"
                });
                t.mods = modstr.clone();
                t
            }
            ["time", rest @ ..] => {
                let mut t = Ty::builtin(if tz(rest)? == Some(true) {
                    "timetz"
                } else {
                    "time"
                });
                t.mods = modstr.clone();
                t
            }
            [one] => builtin_single(one, &modstr).or_else(|_| -> Result<Ty, String> {
                Ok(user_type(one, &modstr, lookup, search_path))
            })?,
            _ => return Err(format!("unsupported type name {s:?}")),
        }
    };
    t.array |= array;
    if t.array && t.name == "bpchar" && t.mods.is_empty() {
        // char[] means character(1)[]
    }
    Ok(t)
}

fn user_type(n: &str, mods: &str, lookup: &dyn TypeLookup, search_path: &[String]) -> Ty {
    let schema = lookup
        .resolve_type_schema(n)
        .or_else(|| search_path.first().cloned())
        .unwrap_or_else(|| "public".into());
    let is_enum = lookup.is_enum(&schema, n);
    Ty {
        schema: Some(schema),
        name: Cow::Owned(n.to_string()),
        mods: mods.to_string(),
        array: false,
        is_enum,
    }
}

fn builtin_single(one: &str, modstr: &str) -> Result<Ty, String> {
    let (name, keep_mods): (&str, bool) = match one {
        "int" | "integer" | "int4" | "serial" | "serial4" => ("int4", false),
        "smallint" | "int2" | "smallserial" | "serial2" => ("int2", false),
        "bigint" | "int8" | "bigserial" | "serial8" => ("int8", false),
        "real" | "float4" => ("float4", false),
        "float8" => ("float8", false),
        "float" => {
            let p: u32 = modstr
                .trim_matches(|c| c == '(' || c == ')')
                .parse()
                .unwrap_or(53);
            return Ok(Ty::builtin(if p <= 24 { "float4" } else { "float8" }));
        }
        "numeric" | "decimal" | "dec" => ("numeric", true),
        "boolean" | "bool" => ("bool", false),
        "text" => ("text", false),
        "varchar" => ("varchar", true),
        "char" | "character" => {
            let mut t = Ty::builtin("bpchar");
            t.mods = if modstr.is_empty() {
                "(1)".into()
            } else {
                modstr.to_string()
            };
            return Ok(t);
        }
        "bpchar" => ("bpchar", true),
        "timestamptz" => ("timestamptz", true),
        "timestamp" => ("timestamp", true),
        "timetz" => ("timetz", true),
        "time" => ("time", true),
        "interval" => ("interval", true),
        "bit" => {
            let mut t = Ty::builtin("bit");
            t.mods = if modstr.is_empty() {
                "(1)".into()
            } else {
                modstr.to_string()
            };
            return Ok(t);
        }
        "varbit" => ("varbit", true),
        n if is_builtin_type_name(n) && n != "char" => (n, false),
        _ => return Err(format!("unknown type {one}")),
    };
    if !keep_mods && !modstr.is_empty() {
        return Err(format!("type {one} does not take modifiers"));
    }
    let mut t = Ty::named(name);
    if keep_mods {
        t.mods = modstr.to_string();
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    struct NoTypes;
    impl TypeLookup for NoTypes {
        fn resolve_type_schema(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn spellings() {
        let sp = vec!["public".to_string()];
        let cases = [
            ("int", "integer"),
            ("INT4", "integer"),
            ("integer", "integer"),
            ("int8", "bigint"),
            ("BIGINT", "bigint"),
            ("varchar(30)", "character varying(30)"),
            ("character varying(30)", "character varying(30)"),
            ("varchar", "character varying"),
            ("bool", "boolean"),
            ("timestamptz", "timestamp with time zone"),
            ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
            ("timestamp(3)", "timestamp(3) without time zone"),
            ("timestamp", "timestamp without time zone"),
            ("text[]", "text[]"),
            ("TEXT[]", "text[]"),
            ("integer[]", "integer[]"),
            ("int ARRAY", "integer[]"),
            ("char(3)", "character(3)"),
            ("char", "character(1)"),
            ("bpchar", "bpchar"),
            ("\"char\"", "\"char\""),
            ("numeric(12,2)", "numeric(12,2)"),
            ("decimal", "numeric"),
            ("double precision", "double precision"),
            ("float", "double precision"),
            ("team_role", "team_role"),
            ("public.team_role", "team_role"),
            ("app.thing", "app.thing"),
            ("pg_catalog.int4", "integer"),
            ("uuid", "uuid"),
            ("jsonb", "jsonb"),
            ("serial", "integer"),
        ];
        for (input, want) in cases {
            let t = parse_type(input, &NoTypes, &sp).unwrap();
            assert_eq!(t.format(&sp), want, "{input}");
        }
    }
}
