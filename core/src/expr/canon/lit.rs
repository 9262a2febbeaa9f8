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
        "date" | "timestamp" | "timestamptz" if session.is_some_and(|s| !s.iso_dates()) => {
            Err(setting("DateStyle", session))
        }
        "timestamptz" if session.is_some_and(|s| !s.utc()) => Err(setting("TimeZone", session)),
        "interval" if session.is_some_and(|s| !s.postgres_intervals()) => {
            Err(setting("IntervalStyle", session))
        }
        "date" => date(value.trim()).ok_or_else(bad),
        "timestamp" => timestamp(value.trim(), false, false).ok_or_else(bad),
        // with the session known (UTC), a literal without an offset is read in UTC
        "timestamptz" => timestamp(value.trim(), true, session.is_some()).ok_or_else(bad),
        "interval" if ty.mods.is_empty() => interval(value).ok_or_else(bad),
        "jsonb" => jsonb(value).ok_or_else(bad),
        "jsonpath" => super::jsonpath::normalize(value).ok_or_else(bad),
        "inet" | "cidr" => inet(value.trim(), ty.name == "cidr").ok_or_else(bad),
        _ => Err(Undecidable::Literal(format!(
            "cannot interpret a literal of type {}",
            ty.name
        ))),
    }
}

/// A literal whose text depends on a session setting pgpolicy does not model.
fn setting(name: &str, session: Option<&SessionSettings>) -> Undecidable {
    let value = session.map(|s| match name {
        "TimeZone" => s.timezone.as_str(),
        "DateStyle" => s.datestyle.as_str(),
        _ => s.intervalstyle.as_str(),
    });
    Undecidable::Literal(format!(
        "its text depends on {name} ({}), which is not modelled offline",
        value.unwrap_or("")
    ))
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

fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let p: Vec<&str> = s.split('-').collect();
    if p.len() != 3
        || p[0].len() != 4
        || p[1].is_empty()
        || p[1].len() > 2
        || p[2].is_empty()
        || p[2].len() > 2
    {
        return None;
    }
    let y: i32 = p[0].parse().ok()?;
    let m: u32 = p[1].parse().ok()?;
    let d: u32 = p[2].parse().ok()?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || y < 1 {
        return None;
    }
    Some((y, m, d))
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

fn date(s: &str) -> Option<String> {
    match s.to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => return Some("infinity".into()),
        "-infinity" => return Some("-infinity".into()),
        _ => {}
    }
    let (y, m, d) = parse_date(s)?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// ISO timestamps only. A timestamptz literal needs an explicit offset (otherwise its value
/// depends on the creating session's time zone) unless `utc_session` (read in UTC); it is
/// printed in UTC.
fn timestamp(s: &str, tz: bool, utc_session: bool) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    if lower == "infinity" || lower == "-infinity" {
        return Some(lower);
    }
    let (dpart, rest) = match s.find([' ', 'T', 't']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let (y, mo, d) = parse_date(dpart)?;
    let (mut h, mut mi, mut sec, mut usec) = (0i64, 0i64, 0i64, 0i64);
    let mut offset: Option<i64> = None; // seconds east of UTC
    if !rest.is_empty() {
        let cut = rest.find(['+', '-', 'Z', 'z', ' ']).unwrap_or(rest.len());
        let (time, mut zone) = (&rest[..cut], rest[cut..].trim());
        let tp: Vec<&str> = time.split(':').collect();
        if tp.len() < 2 || tp.len() > 3 {
            return None;
        }
        h = tp[0].parse().ok()?;
        mi = tp[1].parse().ok()?;
        if tp.len() == 3 {
            let (si, sf) = match tp[2].split_once('.') {
                Some((a, b)) => (a, b),
                None => (tp[2], ""),
            };
            sec = si.parse().ok()?;
            if !sf.is_empty() {
                if sf.len() > 6 || !sf.chars().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                usec = format!("{sf:0<6}").parse().ok()?;
            }
        }
        if h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi, sec, usec) != (0, 0, 0)) || sec == 60 {
            return None;
        }
        if !zone.is_empty() {
            if zone.eq_ignore_ascii_case("z") || zone.eq_ignore_ascii_case("utc") {
                offset = Some(0);
            } else {
                let sign = match zone.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                zone = &zone[1..];
                let (zh, zm) = match zone.split_once(':') {
                    Some((a, b)) => (a, b),
                    None if zone.len() == 4 => (&zone[..2], &zone[2..]),
                    None => (zone, "0"),
                };
                let zh: i64 = zh.parse().ok()?;
                let zm: i64 = zm.parse().ok()?;
                if zh > 15 || zm > 59 {
                    return None;
                }
                offset = Some(sign * (zh * 3600 + zm * 60));
            }
        }
    }
    if !tz && offset.is_some() {
        // timestamp without time zone ignores the offset
    }
    if tz && offset.is_none() {
        if !utc_session {
            return None;
        }
        offset = Some(0);
    }
    let mut days = days_from_civil(y as i64, mo as i64, d as i64);
    let mut secs = h * 3600 + mi * 60 + sec;
    if tz {
        secs -= offset.unwrap();
    }
    days += secs.div_euclid(86400);
    secs = secs.rem_euclid(86400);
    let (y, mo, d) = civil_from_days(days);
    if y < 1 {
        return None;
    }
    let mut out = format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if usec != 0 {
        let f = format!("{usec:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    if tz {
        out.push_str("+00");
    }
    Some(out)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// interval_in (postgres-style verbose input, `hh:mm:ss`) + interval_out (IntervalStyle
/// postgres).
pub fn interval(s: &str) -> Option<String> {
    let mut months: i64 = 0;
    let mut days: i64 = 0;
    let mut usecs: i128 = 0;
    let lower = s.trim().to_ascii_lowercase();
    let mut toks: Vec<&str> = lower.split_whitespace().collect();
    if toks.first() == Some(&"@") {
        toks.remove(0);
    }
    let mut ago = false;
    if toks.last() == Some(&"ago") {
        ago = true;
        toks.pop();
    }
    if toks.is_empty() {
        return None;
    }
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t.contains(':') {
            let (neg, body) = match t.as_bytes()[0] {
                b'-' => (true, &t[1..]),
                b'+' => (false, &t[1..]),
                _ => (false, t),
            };
            let p: Vec<&str> = body.split(':').collect();
            if p.len() < 2 || p.len() > 3 {
                return None;
            }
            let h: i128 = p[0].parse().ok()?;
            let m: i128 = p[1].parse().ok()?;
            let mut us: i128 = h * 3_600_000_000 + m * 60_000_000;
            if p.len() == 3 {
                us += frac_to_usec(p[2], 1_000_000)?;
            }
            usecs += if neg { -us } else { us };
            i += 1;
            continue;
        }
        // number, possibly glued to the unit ("15min")
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (num, mut unit) = (&t[..split], &t[split..]);
        if num.is_empty() {
            return None;
        }
        if unit.is_empty() {
            if i + 1 < toks.len() && toks[i + 1].chars().all(|c| c.is_ascii_alphabetic()) {
                unit = toks[i + 1];
                i += 1;
            } else {
                unit = "second";
            }
        }
        let (neg, body) = match num.as_bytes()[0] {
            b'-' => (true, &num[1..]),
            b'+' => (false, &num[1..]),
            _ => (false, num),
        };
        let (ip, fp) = match body.split_once('.') {
            Some((a, b)) => (a, b),
            None => (body, ""),
        };
        if (ip.is_empty() && fp.is_empty())
            || !ip.chars().all(|c| c.is_ascii_digit())
            || !fp.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let whole: i64 = if ip.is_empty() { 0 } else { ip.parse().ok()? };
        let sg: i64 = if neg { -1 } else { 1 };
        let frac_num: i128 = if fp.is_empty() { 0 } else { fp.parse().ok()? };
        let frac_den: i128 = 10i128.pow(fp.len() as u32);
        let fr = |mult: i128| -> i128 { frac_num * mult / frac_den };
        match unit {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => {
                if frac_num != 0 {
                    return None;
                }
                usecs += (sg * whole) as i128;
            }
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
                usecs += sg as i128 * (whole as i128 * 1000 + fr(1000));
            }
            "second" | "seconds" | "s" | "sec" | "secs" => {
                usecs += sg as i128 * (whole as i128 * 1_000_000 + fr(1_000_000));
            }
            "minute" | "minutes" | "m" | "min" | "mins" => {
                usecs += sg as i128 * (whole as i128 * 60_000_000 + fr(60_000_000));
            }
            "hour" | "hours" | "h" | "hr" | "hrs" => {
                usecs += sg as i128 * (whole as i128 * 3_600_000_000 + fr(3_600_000_000));
            }
            "day" | "days" | "d" => {
                days += sg * whole;
                usecs += sg as i128 * fr(86_400_000_000);
            }
            "week" | "weeks" | "w" => {
                days += sg * whole * 7;
                if frac_num != 0 {
                    let fd = fr(7 * 86_400_000_000);
                    days += sg * (fd / 86_400_000_000) as i64;
                    usecs += sg as i128 * (fd % 86_400_000_000);
                }
            }
            "month" | "months" | "mon" | "mons" => {
                months += sg * whole;
                if frac_num != 0 {
                    let fd = fr(30 * 86_400_000_000);
                    days += sg * (fd / 86_400_000_000) as i64;
                    usecs += sg as i128 * (fd % 86_400_000_000);
                }
            }
            "year" | "years" | "y" | "yr" | "yrs" => {
                months += sg * whole * 12;
                if frac_num != 0 {
                    // rint(fraction * 12)
                    let m2 = frac_num * 12 * 2 / frac_den;
                    months += sg * ((m2 + 1) / 2) as i64;
                }
            }
            "decade" | "decades" => {
                if frac_num != 0 {
                    return None;
                }
                months += sg * whole * 120
            }
            "century" | "centuries" => {
                if frac_num != 0 {
                    return None;
                }
                months += sg * whole * 1200
            }
            _ => return None,
        }
        i += 1;
    }
    if ago {
        months = -months;
        days = -days;
        usecs = -usecs;
    }
    Some(interval_out(months, days, usecs))
}

fn frac_to_usec(s: &str, unit: i128) -> Option<i128> {
    let (ip, fp) = match s.split_once('.') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    if ip.is_empty()
        || !ip.chars().all(|c| c.is_ascii_digit())
        || !fp.chars().all(|c| c.is_ascii_digit())
        || fp.len() > 6
    {
        return None;
    }
    let w: i128 = ip.parse().ok()?;
    let f: i128 = if fp.is_empty() {
        0
    } else {
        format!("{fp:0<6}").parse().ok()?
    };
    Some(w * unit + f)
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
    let hour = usecs / 3_600_000_000;
    let rem = usecs % 3_600_000_000;
    let min = rem / 60_000_000;
    let rem = rem % 60_000_000;
    let sec = rem / 1_000_000;
    let fsec = rem % 1_000_000;
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
    fn intervals() {
        for (i, o) in [
            ("1 day", "1 day"),
            ("7 days", "7 days"),
            ("15 minutes", "00:15:00"),
            ("900 seconds", "00:15:00"),
            ("1 hour", "01:00:00"),
            ("30 days", "30 days"),
            ("2 weeks", "14 days"),
            ("1 month", "1 mon"),
            ("2 months", "2 mons"),
            ("1 year 2 months", "1 year 2 mons"),
            ("1.5 days", "1 day 12:00:00"),
            ("90 min", "01:30:00"),
            ("1 day 02:00:00", "1 day 02:00:00"),
            ("1 day ago", "-1 days"),
            ("0", "00:00:00"),
            ("48 hours", "48:00:00"),
            ("1.5 years", "1 year 6 mons"),
        ] {
            assert_eq!(interval(i).as_deref(), Some(o), "{i}");
        }
        assert!(interval("banana").is_none());
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
        assert_eq!(date("2024-04-01").unwrap(), "2024-04-01");
        assert!(date("2024-02-30").is_none());
        assert_eq!(
            timestamp("2024-01-01 10:00:00+02", true, false).unwrap(),
            "2024-01-01 08:00:00+00"
        );
        assert!(timestamp("2024-01-01 10:00:00", true, false).is_none());
        let session = |tz: &str, ds: &str, is: &str| SessionSettings {
            timezone: tz.into(),
            datestyle: ds.into(),
            intervalstyle: is.into(),
        };
        let none = |_: &Ty| UserKind::Unknown;
        let tstz = Ty::builtin("timestamptz");
        let utc = session("Etc/UTC", "ISO, DMY", "postgres");
        assert_eq!(
            output("2024-01-01", &tstz, &none, Some(&utc)).unwrap(),
            "2024-01-01 00:00:00+00"
        );
        assert!(output("2024-01-01", &tstz, &none, None).is_err());
        let paris = session("Europe/Paris", "ISO, MDY", "postgres");
        assert!(output("2024-01-01 10:00+02", &tstz, &none, Some(&paris)).is_err());
        let german = session("UTC", "German, DMY", "postgres");
        assert!(output("2024-01-01", &Ty::builtin("date"), &none, Some(&german)).is_err());
        let iso = session("UTC", "ISO, MDY", "iso_8601");
        assert!(output("1 day", &Ty::builtin("interval"), &none, Some(&iso)).is_err());
        assert_eq!(
            output("1 day", &Ty::builtin("interval"), &none, Some(&utc)).unwrap(),
            "1 day"
        );
        // read in a session known to be in UTC
        assert_eq!(
            timestamp("2024-01-01 10:00", true, true).unwrap(),
            "2024-01-01 10:00:00+00"
        );
        assert_eq!(
            timestamp("2024-01-01T10:00", false, false).unwrap(),
            "2024-01-01 10:00:00"
        );
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
