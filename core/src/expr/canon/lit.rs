//! Literal values: what a type's input function followed by its output function makes of
//! a string (uuid case, interval units, jsonb key order, array quoting, ...). Anything not
//! modelled exactly is an error, so that it is never judged equal by accident.

use super::types::Ty;
use super::undecidable::Undecidable;
use super::SessionSettings;

/// What a user-defined type is, as far as literal input is concerned.
pub enum UserKind<'a> {
    Enum(&'a [String]),
    Unknown,
}

/// The text `value` prints as after input as `ty`. `session`: the settings date and time
/// literals depend on (None: the offline default, see [`SessionSettings`]).
pub fn output<'u>(
    value: &str,
    ty: &Ty,
    user: &dyn Fn(&Ty) -> UserKind<'u>,
    session: Option<&SessionSettings>,
) -> Result<String, Undecidable> {
    if ty.array {
        let elem = ty.elem().unwrap();
        return array_out(value, &elem, user, session);
    }
    if ty.schema.is_some() {
        return match user(ty) {
            UserKind::Enum(labels) => {
                if labels.iter().any(|l| l == value) {
                    Ok(value.to_string())
                } else {
                    Err(Undecidable::Literal(format!(
                        "invalid input value for enum {}: {value:?}",
                        ty.name
                    )))
                }
            }
            UserKind::Unknown => Err(Undecidable::NeedsCatalog {
                type_name: ty.name.to_string(),
            }),
        };
    }
    let bad = || Undecidable::Literal(format!("cannot interpret {value:?} as {}", ty.name));
    match &*ty.name {
        "text" | "varchar" | "bpchar" | "name" | "json" => {
            if ty.name == "name" && value.len() >= 64 {
                return Err(bad());
            }
            Ok(value.to_string())
        }
        "int2" | "int4" | "int8" => {
            let v: i64 = value.trim().parse().map_err(|_| bad())?;
            let ok = match &*ty.name {
                "int2" => i16::try_from(v).is_ok(),
                "int4" => i32::try_from(v).is_ok(),
                _ => true,
            };
            if !ok || value.trim().starts_with('+') && value.trim().len() == 1 {
                return Err(bad());
            }
            Ok(v.to_string())
        }
        "numeric" => numeric(value.trim()).ok_or_else(bad),
        "float4" | "float8" => float(value.trim()).ok_or_else(bad),
        "bool" => boolean(value)
            .map(|b| if b { "true" } else { "false" }.to_string())
            .ok_or_else(bad),
        "uuid" => uuid(value).ok_or_else(bad),
        "date" => super::datetime::date(value, session),
        "timestamp" => super::datetime::timestamp(value, false, session),
        "timestamptz" => super::datetime::timestamp(value, true, session),
        "interval" if ty.mods.is_empty() => super::datetime::interval(value, session),
        "jsonb" => jsonb(value).ok_or_else(bad),
        "jsonpath" => super::jsonpath::normalize(value).ok_or_else(bad),
        "inet" | "cidr" => inet(value.trim(), ty.name == "cidr").ok_or_else(bad),
        _ => Err(Undecidable::Literal(format!(
            "cannot interpret a literal of type {}",
            ty.name
        ))),
    }
}

/// numeric_in + numeric_out: keeps the scale, expands exponents.
pub fn numeric(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "nan" => return Some("NaN".into()),
        "infinity" | "+infinity" | "inf" | "+inf" => return Some("Infinity".into()),
        "-infinity" | "-inf" => return Some("-Infinity".into()),
        _ => {}
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut digits = String::new();
    let mut frac = 0i64;
    let mut seen_dot = false;
    let mut any = false;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => {
                digits.push(b[i] as char);
                if seen_dot {
                    frac += 1;
                }
                any = true;
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    let mut exp = 0i64;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let st = i;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = &s[st..i + s[i..].bytes().take_while(|c| c.is_ascii_digit()).count()];
        i = st + e.len();
        exp = e.parse().ok()?;
        if exp.abs() > 1000 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    // value = digits * 10^(exp - frac)
    let scale = (frac - exp).max(0);
    let shift = exp - frac; // digits * 10^shift
    let mut int_digits: String;
    let mut frac_digits: String;
    if shift >= 0 {
        int_digits = digits.clone();
        int_digits.extend(std::iter::repeat_n('0', shift as usize));
        frac_digits = String::new();
    } else {
        let k = (-shift) as usize;
        if digits.len() > k {
            int_digits = digits[..digits.len() - k].to_string();
            frac_digits = digits[digits.len() - k..].to_string();
        } else {
            int_digits = String::new();
            frac_digits = "0".repeat(k - digits.len()) + &digits;
        }
    }
    // frac_digits has exactly -shift digits when shift < 0; scale = that count.
    while frac_digits.len() < scale as usize {
        frac_digits.push('0');
    }
    frac_digits.truncate(scale as usize);
    let int_trim = int_digits.trim_start_matches('0');
    let int_part = if int_trim.is_empty() { "0" } else { int_trim };
    let zero = int_part == "0" && frac_digits.chars().all(|c| c == '0');
    let mut out = String::new();
    if neg && !zero {
        out.push('-');
    }
    out.push_str(int_part);
    if !frac_digits.is_empty() {
        out.push('.');
        out.push_str(&frac_digits);
    }
    Some(out)
}

fn float(s: &str) -> Option<String> {
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    if v != 0.0 && !(1e-4..1e15).contains(&a) {
        return None;
    }
    Some(format!("{v}"))
}

pub fn boolean(s: &str) -> Option<bool> {
    let t = s.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    let pre = |w: &str| w.starts_with(t.as_str());
    match t.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "o" => None,
        _ if pre("true") || pre("yes") => Some(true),
        _ if pre("false") || pre("no") => Some(false),
        "on" => Some(true),
        "of" | "off" => Some(false),
        _ => None,
    }
}

fn uuid(s: &str) -> Option<String> {
    let mut t = s.trim();
    if t.starts_with('{') {
        t = t.strip_prefix('{')?.strip_suffix('}')?;
    }
    let mut hex = String::with_capacity(32);
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'-' {
            // a hyphen may follow any group of four digits
            if hex.is_empty()
                || !hex.len().is_multiple_of(4)
                || i + 1 >= b.len()
                || b[i + 1] == b'-'
            {
                return None;
            }
        } else if b[i].is_ascii_hexdigit() {
            hex.push((b[i] as char).to_ascii_lowercase());
        } else {
            return None;
        }
        i += 1;
    }
    if hex.len() != 32 {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// An interval's time part as hours, minutes, seconds and microseconds, each carrying the
/// sign of the whole (PostgreSQL's `interval2itm`).
pub(super) fn time_fields(usecs: i128) -> (i128, i128, i128, i128) {
    let hour = usecs / 3_600_000_000;
    let rem = usecs % 3_600_000_000;
    let min = rem / 60_000_000;
    let rem = rem % 60_000_000;
    (hour, min, rem / 1_000_000, rem % 1_000_000)
}

pub fn interval_out(months: i64, days: i64, usecs: i128) -> String {
    let year = months / 12;
    let mon = months % 12;
    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |v: i64, unit: &str, out: &mut String| {
        if v == 0 {
            return;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && v > 0 {
            out.push('+');
        }
        out.push_str(&format!("{v} {unit}{}", if v != 1 { "s" } else { "" }));
        is_before = v < 0;
        is_zero = false;
    };
    part(year, "year", &mut out);
    part(mon, "mon", &mut out);
    part(days, "day", &mut out);
    let (hour, min, sec, fsec) = time_fields(usecs);
    if is_zero || usecs != 0 {
        let minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        if !is_zero {
            out.push(' ');
        }
        out.push_str(if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        });
        out.push_str(&format!(
            "{:02}:{:02}:{:02}",
            hour.abs(),
            min.abs(),
            sec.abs()
        ));
        if fsec != 0 {
            let f = format!("{:06}", fsec.abs());
            out.push('.');
            out.push_str(f.trim_end_matches('0'));
        }
    }
    out
}

fn inet(s: &str, cidr: bool) -> Option<String> {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u32>().ok()?)),
        None => (s, None),
    };
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut v: u32 = 0;
    for p in &parts {
        if p.is_empty() || p.len() > 3 || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if n > 255 {
            return None;
        }
        v = v << 8 | n;
    }
    let bits = bits.unwrap_or(32);
    if bits > 32 {
        return None;
    }
    if cidr && bits < 32 && v & (u32::MAX >> bits) != 0 {
        return None;
    }
    let a = format!("{}.{}.{}.{}", v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255);
    Some(if bits == 32 && !cidr {
        a
    } else {
        format!("{a}/{bits}")
    })
}

// ---------------------------------------------------------------------------------------
// Arrays
// ---------------------------------------------------------------------------------------

fn array_out<'u>(
    s: &str,
    elem: &Ty,
    user: &dyn Fn(&Ty) -> UserKind<'u>,
    session: Option<&SessionSettings>,
) -> Result<String, Undecidable> {
    let bad = || Undecidable::Literal(format!("malformed array literal {s:?}"));
    let t = s.trim();
    let inner = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .ok_or_else(bad)?;
    let b = inner.as_bytes();
    let mut items: Vec<Option<String>> = Vec::new();
    let mut i = 0;
    if inner.trim().is_empty() {
        return Ok("{}".into());
    }
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Err(bad());
        }
        let mut v = String::new();
        let mut quoted = false;
        if b[i] == b'{' {
            return Err(Undecidable::Literal(
                "multidimensional array literals are not supported".into(),
            ));
        }
        if b[i] == b'"' {
            quoted = true;
            i += 1;
            loop {
                if i >= b.len() {
                    return Err(bad());
                }
                match b[i] {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' => {
                        i += 1;
                        if i >= b.len() {
                            return Err(bad());
                        }
                        let ch = inner[i..].chars().next().unwrap();
                        v.push(ch);
                        i += ch.len_utf8();
                    }
                    _ => {
                        let ch = inner[i..].chars().next().unwrap();
                        v.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            let mut trail_ws_from: Option<usize> = None;
            while i < b.len() && b[i] != b',' {
                match b[i] {
                    b'"' | b'{' | b'}' => return Err(bad()),
                    b'\\' => {
                        i += 1;
                        if i >= b.len() {
                            return Err(bad());
                        }
                        let ch = inner[i..].chars().next().unwrap();
                        v.push(ch);
                        i += ch.len_utf8();
                        trail_ws_from = None;
                    }
                    c => {
                        if c.is_ascii_whitespace() {
                            if trail_ws_from.is_none() {
                                trail_ws_from = Some(v.len());
                            }
                        } else {
                            trail_ws_from = None;
                        }
                        let ch = inner[i..].chars().next().unwrap();
                        v.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            if let Some(k) = trail_ws_from {
                v.truncate(k);
            }
        }
        if !quoted && v.eq_ignore_ascii_case("null") {
            items.push(None);
        } else {
            items.push(Some(output(&v, elem, user, session)?));
        }
        if i >= b.len() {
            break;
        }
        if b[i] != b',' {
            return Err(bad());
        }
        i += 1;
    }
    let mut out = String::from("{");
    for (k, it) in items.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        match it {
            None => out.push_str("NULL"),
            Some(v) => {
                let needs = v.is_empty()
                    || v.eq_ignore_ascii_case("null")
                    || v.bytes().any(|c| {
                        matches!(c, b'{' | b'}' | b',' | b'"' | b'\\')
                            || c.is_ascii_whitespace()
                            || c == 0x0b
                    });
                if needs {
                    out.push('"');
                    for ch in v.chars() {
                        if ch == '"' || ch == '\\' {
                            out.push('\\');
                        }
                        out.push(ch);
                    }
                    out.push('"');
                } else {
                    out.push_str(v);
                }
            }
        }
    }
    out.push('}');
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// jsonb
// ---------------------------------------------------------------------------------------

enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

pub(super) struct JsonParser<'a> {
    pub s: &'a [u8],
    pub i: usize,
}

impl<'a> JsonParser<'a> {
    pub fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    pub fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                            let mut cp = u32::from_str_radix(h, 16).ok()?;
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.s.get(self.i..self.i + 2)? != b"\\u" {
                                    return None;
                                }
                                let h2 = std::str::from_utf8(self.s.get(self.i + 2..self.i + 6)?)
                                    .ok()?;
                                let lo = u32::from_str_radix(h2, 16).ok()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                self.i += 6;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            if cp == 0 {
                                return None;
                            }
                            let ch = char::from_u32(cp)?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
        String::from_utf8(out).ok()
    }
    pub fn number(&mut self) -> Option<String> {
        let st = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let d0 = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i == d0 || (self.s[d0] == b'0' && self.i - d0 > 1) {
            return None;
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            let f0 = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == f0 {
                return None;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            let e0 = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == e0 {
                return None;
            }
        }
        numeric(std::str::from_utf8(&self.s[st..self.i]).ok()?)
    }
    fn value(&mut self, depth: usize) -> Option<J> {
        if depth > 200 {
            return None;
        }
        self.ws();
        let c = *self.s.get(self.i)?;
        let v = match c {
            b'{' => {
                self.i += 1;
                let mut items: Vec<(String, J)> = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return None;
                        }
                        self.i += 1;
                        let v = self.value(depth + 1)?;
                        items.push((k, v));
                        self.ws();
                        match self.s.get(self.i)? {
                            b',' => self.i += 1,
                            b'}' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                // jsonb: last duplicate wins, keys ordered by length then bytes
                let mut uniq: Vec<(String, J)> = Vec::new();
                for (k, v) in items {
                    if let Some(p) = uniq.iter().position(|(k2, _)| *k2 == k) {
                        uniq[p].1 = v;
                    } else {
                        uniq.push((k, v));
                    }
                }
                uniq.sort_by(|a, b| {
                    a.0.len()
                        .cmp(&b.0.len())
                        .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
                });
                J::Obj(uniq)
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.s.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                J::Arr(items)
            }
            b'"' => J::Str(self.string()?),
            b't' if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                J::Bool(true)
            }
            b'f' if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                J::Bool(false)
            }
            b'n' if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                J::Null
            }
            b'-' | b'0'..=b'9' => J::Num(self.number()?),
            _ => return None,
        };
        Some(v)
    }
}

pub fn json_quote(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn jprint(v: &J, out: &mut String) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => json_quote(s, out),
        J::Arr(items) => {
            out.push('[');
            for (k, it) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                jprint(it, out);
            }
            out.push(']');
        }
        J::Obj(items) => {
            out.push('{');
            for (k, (key, it)) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                json_quote(key, out);
                out.push_str(": ");
                jprint(it, out);
            }
            out.push('}');
        }
    }
}

fn jsonb(s: &str) -> Option<String> {
    let mut p = JsonParser {
        s: s.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != s.len() {
        return None;
    }
    let mut out = String::new();
    jprint(&v, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics() {
        for (i, o) in [
            ("0.50", "0.50"),
            ("1e3", "1000"),
            ("1.50e1", "15.0"),
            ("1.5e-3", "0.0015"),
            ("-0.0", "0.0"),
            ("007", "7"),
            (".5", "0.5"),
            ("5.", "5"),
        ] {
            assert_eq!(numeric(i).as_deref(), Some(o), "{i}");
        }
    }

    #[test]
    fn jsonb_values() {
        assert_eq!(
            jsonb(r#"{"theme": "dark", "beta": true}"#).unwrap(),
            r#"{"beta": true, "theme": "dark"}"#
        );
        assert_eq!(
            jsonb(r#"{"beta":true,"theme":"dark"}"#).unwrap(),
            r#"{"beta": true, "theme": "dark"}"#
        );
        assert_eq!(
            jsonb(r#"[1, 1.0, 1e2, "a\u0041"]"#).unwrap(),
            r#"[1, 1.0, 100, "aA"]"#
        );
        assert_eq!(jsonb(r#"{"a":1,"a":2}"#).unwrap(), r#"{"a": 2}"#);
        assert!(jsonb("{").is_none());
    }

    #[test]
    fn uuids_dates() {
        assert_eq!(
            uuid("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}").unwrap(),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
        assert_eq!(
            uuid("a0eebc999c0b4ef8bb6d6bb9bd380a11").unwrap(),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
        assert!(uuid("a0eebc99").is_none());
    }

    #[test]
    fn arrays() {
        let none = |_: &Ty| UserKind::Unknown;
        let text = Ty::builtin("text");
        assert_eq!(
            array_out(r#"{ "pro" , enterprise }"#, &text, &none, None).unwrap(),
            "{pro,enterprise}"
        );
        assert_eq!(
            array_out(r#"{"a b",""}"#, &text, &none, None).unwrap(),
            r#"{"a b",""}"#
        );
        assert_eq!(
            array_out(r#"{1, 02}"#, &Ty::builtin("int4"), &none, None).unwrap(),
            "{1,2}"
        );
        assert_eq!(
            array_out(r#"{"null",NULL}"#, &text, &none, None).unwrap(),
            r#"{"null",NULL}"#
        );
    }
}
