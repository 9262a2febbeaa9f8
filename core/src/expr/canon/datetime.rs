//! Date and time literals (`date`, `timestamp`, `timestamptz`, `interval`): what their
//! input function reads under the session's `DateStyle` (field order), `TimeZone` and
//! `IntervalStyle`, and what their output function prints under them. Input forms not
//! modelled here, settings not recognised, and time zones not known exactly are
//! undecidable: never a wrong text.
//!
//! Time zones: a UTC name, a POSIX-style fixed offset (`<+02>-02`, `UTC+3`, as
//! `current_setting('TimeZone')` shows it), or a name of the IANA database bundled with
//! pgpolicy (jiff's) whose rules agree with the server's ([`SessionSettings::zone`], read at
//! introspection) — then only instants in `[ZONE_FROM, ZONE_TO]` are settled, the range the
//! server's rules were read over.

use std::cell::RefCell;
use std::collections::HashMap;

use super::undecidable::Undecidable;
use super::SessionSettings;
use crate::ir::catalog::ZoneChange;

/// The range (seconds since 1970-01-01 00:00 UTC) over which the catalog query reads the
/// server's time zone rules: every 14 days from 1970-01-01 to 2037-12-31, each change
/// bisected to the second. Keep in step with `introspect::catalog_header`.
pub const ZONE_FROM: i64 = 0;
pub const ZONE_TO: i64 = 2_145_830_400;
pub const ZONE_STEP: i64 = 1_209_600;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Iso,
    Sql,
    Postgres,
    German,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    Dmy,
    Mdy,
    Ymd,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IntervalStyle {
    Postgres,
    Verbose,
    SqlStandard,
    Iso8601,
}

struct Settings {
    style: Style,
    order: Order,
    interval: IntervalStyle,
}

fn unmodelled(name: &str, value: &str) -> Undecidable {
    Undecidable::Literal(format!(
        "its text depends on {name} ({value}), which is not modelled offline"
    ))
}

fn settings(session: Option<&SessionSettings>) -> Result<Settings, Undecidable> {
    let Some(s) = session else {
        return Ok(Settings {
            style: Style::Iso,
            order: Order::Mdy,
            interval: IntervalStyle::Postgres,
        });
    };
    let mut style = None;
    let mut order = None;
    for w in s.datestyle.split(',') {
        match w.trim().to_ascii_lowercase().as_str() {
            "iso" => style = Some(Style::Iso),
            "sql" => style = Some(Style::Sql),
            "postgres" => style = Some(Style::Postgres),
            "german" => style = Some(Style::German),
            "dmy" | "euro" | "european" => order = Some(Order::Dmy),
            "mdy" | "us" | "noneuro" | "noneuropean" => order = Some(Order::Mdy),
            "ymd" => order = Some(Order::Ymd),
            _ => return Err(unmodelled("DateStyle", &s.datestyle)),
        }
    }
    let (Some(style), Some(order)) = (style, order) else {
        return Err(unmodelled("DateStyle", &s.datestyle));
    };
    let interval = match s.intervalstyle.trim().to_ascii_lowercase().as_str() {
        "postgres" => IntervalStyle::Postgres,
        "postgres_verbose" => IntervalStyle::Verbose,
        "sql_standard" => IntervalStyle::SqlStandard,
        "iso_8601" => IntervalStyle::Iso8601,
        _ => return Err(unmodelled("IntervalStyle", &s.intervalstyle)),
    };
    Ok(Settings {
        style,
        order,
        interval,
    })
}

// ---------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
enum Zone {
    /// A fixed offset (seconds east of UTC); its abbreviation where known exactly.
    Fixed {
        offset: i32,
        abbreviation: Option<String>,
    },
    /// A bundled IANA zone whose rules agree with the server's over
    /// `[ZONE_FROM, ZONE_TO]`; `abbreviations`: whether its abbreviations do too.
    Named {
        tz: jiff::tz::TimeZone,
        abbreviations: bool,
    },
}

/// Zones resolved so far, by setting and server rules (a literal does not repeat the check
/// of the rules): by hash, with the settings they were resolved for.
type ZoneCache = HashMap<u64, Vec<(String, Vec<ZoneChange>, Result<Zone, String>)>>;

thread_local! {
    static ZONES: RefCell<ZoneCache> = RefCell::new(HashMap::new());
}

fn zone(session: Option<&SessionSettings>) -> Result<Zone, Undecidable> {
    use std::hash::{Hash, Hasher};
    let Some(s) = session else {
        // offline default: printed as in UTC; an offset-less literal stays undecidable
        return Ok(Zone::Fixed {
            offset: 0,
            abbreviation: Some("UTC".into()),
        });
    };
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&s.timezone, &s.zone).hash(&mut h);
    let key = h.finish();
    let found = ZONES.with(|c| {
        c.borrow().get(&key).and_then(|v| {
            v.iter()
                .find(|(tz, rules, _)| *tz == s.timezone && *rules == s.zone)
                .map(|(_, _, z)| z.clone())
        })
    });
    let z = match found {
        Some(z) => z,
        None => {
            let z = resolve_zone(s);
            ZONES.with(|c| {
                c.borrow_mut().entry(key).or_default().push((
                    s.timezone.clone(),
                    s.zone.clone(),
                    z.clone(),
                ))
            });
            z
        }
    };
    z.map_err(|why| {
        Undecidable::Literal(format!(
            "its text depends on TimeZone ({}), which is not known exactly offline: {why}",
            s.timezone
        ))
    })
}

fn resolve_zone(s: &SessionSettings) -> Result<Zone, String> {
    let name = s.timezone.trim();
    let named = jiff::tz::db().get(name).ok();
    if named.is_none() {
        if let Some((abbreviation, west)) = posix_fixed(name) {
            let offset = -west;
            // the server's reading, where known, must say the same
            if !s.zone.is_empty()
                && (s.zone.len() != 1
                    || s.zone[0].utc_offset != offset
                    || s.zone[0].abbreviation != abbreviation)
            {
                return Err("the server's offsets differ from the POSIX rule".into());
            }
            return Ok(Zone::Fixed {
                offset,
                abbreviation: Some(abbreviation),
            });
        }
    }
    if s.zone.is_empty() {
        if s.utc() {
            return Ok(Zone::Fixed {
                offset: 0,
                abbreviation: None,
            });
        }
        return Err("the server's rules for it were not read".into());
    }
    let Some(tz) = named else {
        return Err("the bundled time zone database does not know it".into());
    };
    let (offsets, abbreviations) = agrees(&tz, &s.zone);
    if !offsets {
        return Err("the bundled time zone database and the server's differ on it".into());
    }
    // UTC and the Etc/ zones are one offset by definition, at every instant
    let etc = name
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("etc/"));
    let zero = jiff::Timestamp::UNIX_EPOCH;
    let fixed = tz.following(zero).next().is_none() && tz.preceding(zero).next().is_none();
    if (s.utc() || etc) && fixed && s.zone.len() == 1 {
        return Ok(Zone::Fixed {
            offset: s.zone[0].utc_offset,
            abbreviation: abbreviations.then(|| s.zone[0].abbreviation.clone()),
        });
    }
    Ok(Zone::Named { tz, abbreviations })
}

/// Whether the bundled rules give the server's offsets (and abbreviations) over the range.
fn agrees(tz: &jiff::tz::TimeZone, server: &[ZoneChange]) -> (bool, bool) {
    let info = |at: i64| {
        let i = tz.to_offset_info(jiff::Timestamp::from_second(at).unwrap());
        (i.offset().seconds(), i.abbreviation().to_string())
    };
    let (o0, a0) = info(ZONE_FROM);
    let mut ours = vec![ZoneChange {
        at: ZONE_FROM,
        utc_offset: o0,
        abbreviation: a0,
    }];
    let mut abbreviations = true;
    let start = jiff::Timestamp::from_second(ZONE_FROM).unwrap();
    for t in tz.following(start) {
        let at = t.timestamp().as_second();
        if at > ZONE_TO {
            break;
        }
        let last = ours.last().unwrap();
        let (o, a) = (t.offset().seconds(), t.abbreviation().to_string());
        if o == last.utc_offset {
            if a != last.abbreviation {
                // the server's reading sees offset changes only
                abbreviations = false;
            }
            continue;
        }
        ours.push(ZoneChange {
            at,
            utc_offset: o,
            abbreviation: a,
        });
    }
    // the server sees a change only where two samples 14 days apart differ: bundled rules
    // that change and change back within that span cannot be checked
    if ours.windows(2).any(|w| w[1].at - w[0].at < ZONE_STEP) && ours.len() > 1 {
        return (false, false);
    }
    let offsets = ours.len() == server.len()
        && ours
            .iter()
            .zip(server)
            .all(|(a, b)| a.at == b.at && a.utc_offset == b.utc_offset);
    let abbreviations = abbreviations
        && offsets
        && ours
            .iter()
            .zip(server)
            .all(|(a, b)| a.abbreviation == b.abbreviation);
    (offsets, abbreviations)
}

/// A POSIX TZ string with a standard time only (`UTC+3`, `<+02>-02`, `<-03:30>+03:30`): its
/// abbreviation and its offset in seconds west of UTC (POSIX's sign).
fn posix_fixed(s: &str) -> Option<(String, i32)> {
    let (abbr, rest) = if let Some(r) = s.strip_prefix('<') {
        let end = r.find('>')?;
        let a = &r[..end];
        if a.is_empty()
            || !a
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b':'))
        {
            return None;
        }
        (a.to_string(), &r[end + 1..])
    } else {
        let end = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(s.len());
        if end < 3 {
            return None;
        }
        (s[..end].to_string(), &s[end..])
    };
    let (sign, body) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        b'0'..=b'9' => (1, rest),
        _ => return None,
    };
    let mut parts = body.split(':');
    let mut secs = 0i32;
    let mut mult = 3600;
    for (k, p) in parts.by_ref().enumerate() {
        if k > 2 || p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: i32 = p.parse().ok()?;
        if (k == 0 && v > 24) || (k > 0 && v > 59) {
            return None;
        }
        secs += v * mult;
        mult /= 60;
    }
    Some((abbr, sign * secs))
}

impl Zone {
    /// The offset (east) and abbreviation at the instant `utc` (seconds since 1970).
    fn at(&self, utc: i64) -> Option<(i32, Option<String>)> {
        match self {
            Zone::Fixed {
                offset,
                abbreviation,
            } => Some((*offset, abbreviation.clone())),
            Zone::Named { tz, abbreviations } => {
                if !(ZONE_FROM..=ZONE_TO).contains(&utc) {
                    return None;
                }
                let i = tz.to_offset_info(jiff::Timestamp::from_second(utc).ok()?);
                let a = abbreviations.then(|| i.abbreviation().to_string());
                Some((i.offset().seconds(), a))
            }
        }
    }

    /// The offset (east) a local time (seconds since 1970, as if UTC) is read with:
    /// PostgreSQL's rule reads a time in a spring-forward gap with the offset before the
    /// transition and an ambiguous time of a fall-back with the offset after it.
    fn local(&self, local: i64) -> Option<i32> {
        match self {
            Zone::Fixed { offset, .. } => Some(*offset),
            Zone::Named { tz, .. } => {
                if !(ZONE_FROM - 86_400..=ZONE_TO + 86_400).contains(&local) {
                    return None;
                }
                let dt =
                    jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::from_second(local).ok()?);
                use jiff::tz::AmbiguousOffset::*;
                let off = match tz.to_ambiguous_timestamp(dt).offset() {
                    Unambiguous { offset } => offset,
                    Gap { before, .. } => before,
                    Fold { after, .. } => after,
                };
                let off = off.seconds();
                (ZONE_FROM..=ZONE_TO)
                    .contains(&(local - off as i64))
                    .then_some(off)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reading dates and timestamps
// ---------------------------------------------------------------------------------------

/// A date and time as read: local `days` since 1970-01-01, `secs` into the day (86400 for
/// `24:00`), microseconds, and the offset written with it (seconds east).
struct Read {
    days: i64,
    secs: i64,
    usec: i64,
    offset: Option<i32>,
    /// A zone name written in the literal (`Europe/Paris`), lowercased.
    zone_name: Option<String>,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn month_word(w: &str) -> Option<u32> {
    if let Some(i) = MONTHS.iter().position(|m| *m == w) {
        return Some(i as u32 + 1);
    }
    if w == "sept" {
        return Some(9);
    }
    MONTH_NAMES
        .iter()
        .position(|m| *m == w)
        .map(|i| i as u32 + 1)
}

fn weekday_word(w: &str) -> bool {
    matches!(
        w,
        "sun"
            | "sunday"
            | "mon"
            | "monday"
            | "tue"
            | "tues"
            | "tuesday"
            | "wed"
            | "wednesday"
            | "thu"
            | "thur"
            | "thurs"
            | "thursday"
            | "fri"
            | "friday"
            | "sat"
            | "saturday"
    )
}

/// Abbreviations of PostgreSQL's `Default` set (timezone_abbreviations) that are fixed
/// offsets, in seconds east; checked against `pg_timezone_abbrevs` by the tests.
pub const DEFAULT_ABBREVIATIONS: &[(&str, i32)] = &[
    ("acdt", 37800),
    ("acst", 34200),
    ("adt", -10800),
    ("aedt", 39600),
    ("aest", 36000),
    ("akdt", -28800),
    ("akst", -32400),
    ("ast", -14400),
    ("awst", 28800),
    ("bst", 3600),
    ("cdt", -18000),
    ("cest", 7200),
    ("cet", 3600),
    ("cst", -21600),
    ("edt", -14400),
    ("eest", 10800),
    ("eet", 7200),
    ("est", -18000),
    ("gmt", 0),
    ("hst", -36000),
    ("jst", 32400),
    ("kst", 32400),
    ("mdt", -21600),
    ("mest", 7200),
    ("met", 3600),
    ("mst", -25200),
    ("ndt", -9000),
    ("nst", -12600),
    ("nzdt", 46800),
    ("nzst", 43200),
    ("pdt", -25200),
    ("pst", -28800),
    ("ut", 0),
    ("utc", 0),
    ("wet", 0),
    ("z", 0),
    ("zulu", 0),
];

fn abbreviation(w: &str, session: Option<&SessionSettings>) -> Option<i32> {
    // offline, PostgreSQL's default set; with a session, the set it reports (not read:
    // unknown)
    let set = match session {
        None => Some("Default"),
        Some(s) => s.abbreviations.as_deref(),
    };
    let default = set.is_some_and(|s| s.eq_ignore_ascii_case("default"));
    if !default {
        // only the names every set shares
        return matches!(w, "z" | "utc" | "ut" | "zulu" | "gmt").then_some(0);
    }
    DEFAULT_ABBREVIATIONS
        .iter()
        .find(|(a, _)| *a == w)
        .map(|(_, o)| *o)
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// PostgreSQL's `rint`: round to nearest, ties to even (the C library's default mode).
fn rint(x: f64) -> f64 {
    x.round_ties_even()
}

/// ParseFraction: `.` followed by digits only (as ParseDateTime collects them), read by
/// `strtod` (correctly rounded, as Rust's parser).
fn parse_fraction(s: &str) -> Option<f64> {
    let d = s.strip_prefix('.')?;
    if !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if d.is_empty() {
        return Some(0.0);
    }
    format!("0.{d}").parse().ok()
}

/// ParseFractionalSecond: microseconds, rounded as the server rounds them (`rint`).
fn fractional_second(s: &str) -> Option<i64> {
    Some(rint(parse_fraction(s)? * 1_000_000.0) as i64)
}

/// The leading digits of `s` as a number (strtoint; at least one digit, in range) and the
/// rest.
fn leading_int(s: &str) -> Option<(i64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 || end > 9 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// DecodeTimezone: `[+-]hh`, `[+-]hhmm` (run together), `[+-]hh:mm[:ss]`: seconds east.
fn numeric_offset(s: &str) -> Option<i32> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (mut hr, rest) = leading_int(&s[1..])?;
    let (mut min, mut sec) = (0, 0);
    if let Some(r) = rest.strip_prefix(':') {
        let (m, r) = leading_int(r)?;
        min = m;
        if let Some(r) = r.strip_prefix(':') {
            let (x, r) = leading_int(r)?;
            sec = x;
            if !r.is_empty() {
                return None;
            }
        } else if !r.is_empty() {
            return None;
        }
    } else if rest.is_empty() && s.len() > 3 {
        min = hr % 100;
        hr /= 100;
    } else if !rest.is_empty() {
        return None;
    }
    if hr > 15 || min >= 60 || sec >= 60 {
        return None;
    }
    Some(sign * (hr * 3600 + min * 60 + sec) as i32)
}

/// DecodeTimeCommon, for times of day and intervals alike: `hh:mm`, `hh:mm:ss[.f]`, and
/// `mm:ss.f` (a fraction after the second field makes it minutes and seconds), as hour,
/// minute, second (up to 60) and microseconds (up to a whole second, rounded).
fn time_common(s: &str) -> Option<(i64, i64, i64, i64)> {
    let (mut h, rest) = leading_int(s)?;
    let rest = rest.strip_prefix(':')?;
    let (mut mi, rest) = leading_int(rest)?;
    let (mut sec, mut fsec) = (0, 0);
    if rest.is_empty() {
    } else if rest.starts_with('.') {
        fsec = fractional_second(rest)?;
        sec = mi;
        mi = h;
        h = 0;
    } else if let Some(r) = rest.strip_prefix(':') {
        let (x, r) = leading_int(r)?;
        sec = x;
        if !r.is_empty() {
            fsec = fractional_second(r)?;
        }
    } else {
        return None;
    }
    if mi > 59 || sec > 60 || fsec > 1_000_000 {
        return None;
    }
    Some((h, mi, sec, fsec))
}

/// DecodeTimeCommon + time_overflows: `hh:mm`, `hh:mm:ss[.f]`, and `mm:ss.f` (a fraction
/// after the second field makes it minutes and seconds): hour, minute, second (up to 60)
/// and microseconds (up to a whole second, rounded).
fn time_of_day(s: &str) -> Option<(i64, i64, i64, i64)> {
    let (h, mi, sec, fsec) = time_common(s)?;
    // time_overflows
    if h > 24 || ((h * 60 + mi) * 60 + sec) * 1_000_000 + fsec > 86_400_000_000 {
        return None;
    }
    Some((h, mi, sec, fsec))
}

/// A field as ParseDateTime splits the input (lowercased).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Number,
    Time,
    Date,
    Word,
    Offset,
    Special,
}

/// ParseDateTime: the input split into typed fields.
fn fields(s: &str) -> Option<Vec<(Field, String)>> {
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let take = |i: &mut usize, buf: &mut String, f: &dyn Fn(u8) -> bool| {
        while *i < b.len() && f(b[*i]) {
            buf.push(b[*i].to_ascii_lowercase() as char);
            *i += 1;
        }
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let mut buf = String::new();
        let ty;
        if c.is_ascii_digit() {
            take(&mut i, &mut buf, &|c| c.is_ascii_digit());
            let n = b.get(i).copied();
            if n == Some(b':') {
                ty = Field::Time;
                take(&mut i, &mut buf, &|c| {
                    c.is_ascii_digit() || c == b':' || c == b'.'
                });
            } else if matches!(n, Some(b'-' | b'/' | b'.')) {
                let delim = n.unwrap();
                buf.push(delim as char);
                i += 1;
                if b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    let mut t = if delim == b'.' {
                        Field::Number
                    } else {
                        Field::Date
                    };
                    take(&mut i, &mut buf, &|c| c.is_ascii_digit());
                    if b.get(i) == Some(&delim) {
                        t = Field::Date;
                        take(&mut i, &mut buf, &|c| c.is_ascii_digit() || c == delim);
                    }
                    ty = t;
                } else {
                    ty = Field::Date;
                    take(&mut i, &mut buf, &|c| {
                        c.is_ascii_alphanumeric() || c == delim
                    });
                }
            } else {
                ty = Field::Number;
            }
        } else if c == b'.' {
            buf.push('.');
            i += 1;
            take(&mut i, &mut buf, &|c| c.is_ascii_digit());
            ty = Field::Number;
        } else if c.is_ascii_alphabetic() {
            take(&mut i, &mut buf, &|c| c.is_ascii_alphabetic());
            let n = b.get(i).copied();
            let is_date = match n {
                Some(b'-' | b'/' | b'.') => true,
                Some(c) if c == b'+' || c.is_ascii_digit() => keyword(&buf).is_none(),
                _ => false,
            };
            if is_date {
                ty = Field::Date;
                take(&mut i, &mut buf, &|c| {
                    matches!(c, b'+' | b'-' | b'/' | b'_' | b'.' | b':')
                        || c.is_ascii_alphanumeric()
                });
            } else {
                ty = Field::Word;
            }
        } else if c == b'+' || c == b'-' {
            buf.push(c as char);
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(c) if c.is_ascii_digit() => {
                    ty = Field::Offset;
                    take(&mut i, &mut buf, &|c| {
                        c.is_ascii_digit() || matches!(c, b':' | b'.' | b'-')
                    });
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    ty = Field::Special;
                    take(&mut i, &mut buf, &|c| c.is_ascii_alphabetic());
                }
                _ => return None,
            }
        } else if c.is_ascii_punctuation() {
            i += 1;
            continue;
        } else {
            return None;
        }
        if out.len() >= 25 {
            return None;
        }
        out.push((ty, buf));
    }
    Some(out)
}

/// The words of PostgreSQL's core token table (datetktbl) that the reader handles, and
/// whether a word is in that table at all (`Some(Keyword::Other)`: not modelled).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keyword {
    Month(u32),
    Weekday,
    Ad,
    Bc,
    Am,
    Pm,
    Ignore,
    IsoTime,
    Julian,
    Other,
}

fn keyword(w: &str) -> Option<Keyword> {
    if let Some(m) = month_word(w) {
        return Some(Keyword::Month(m));
    }
    if weekday_word(w) || w == "weds" {
        return Some(Keyword::Weekday);
    }
    Some(match w {
        "ad" => Keyword::Ad,
        "bc" => Keyword::Bc,
        "am" => Keyword::Am,
        "pm" => Keyword::Pm,
        "at" | "on" => Keyword::Ignore,
        "t" => Keyword::IsoTime,
        "j" | "jd" | "julian" => Keyword::Julian,
        "-infinity" | "allballs" | "d" | "dow" | "doy" | "dst" | "epoch" | "h" | "infinity"
        | "isodow" | "isoyear" | "m" | "mm" | "now" | "s" | "today" | "tomorrow" | "y"
        | "yesterday" | "z" | "zulu" => Keyword::Other,
        _ => return None,
    })
}

// DecodeDateTime's field masks
const YEAR: u32 = 1;
const MONTH: u32 = 2;
const DAY: u32 = 4;
const DATE_M: u32 = YEAR | MONTH | DAY;
const TIME_M: u32 = 8;
const TZ: u32 = 16;
const AMPM: u32 = 32;
const ADBC: u32 = 64;
const DOW: u32 = 128;

/// The broken-down fields (pg_tm) being filled.
#[derive(Default)]
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    is2digits: bool,
}

/// DecodeNumber for the forms modelled (no day of year, no run-together fields, no
/// fraction): the field's mask.
fn decode_number(w: &str, text_month: bool, fmask: u32, tm: &mut Tm, order: Order) -> Option<u32> {
    let (val, rest) = leading_int(w)?;
    if !rest.is_empty() {
        return None;
    }
    let flen = w.len();
    if flen == 3 && fmask & DATE_M == YEAR && (1..=366).contains(&val) {
        // day of year
        return None;
    }
    let tmask = match fmask & DATE_M {
        0 => {
            if flen >= 3 || order == Order::Ymd {
                tm.year = val;
                YEAR
            } else if order == Order::Dmy {
                tm.mday = val;
                DAY
            } else {
                tm.mon = val;
                MONTH
            }
        }
        YEAR => {
            tm.mon = val;
            MONTH
        }
        MONTH => {
            if text_month && (flen >= 3 || order == Order::Ymd) {
                tm.year = val;
                YEAR
            } else {
                tm.mday = val;
                DAY
            }
        }
        m if m == YEAR | MONTH => {
            if text_month && flen >= 3 && tm.is2digits {
                // DD-MON-YYYY even under YMD: the first number was the day
                tm.mday = tm.year;
                tm.year = val;
                tm.is2digits = false;
            } else {
                tm.mday = val;
            }
            DAY
        }
        DAY => {
            tm.mon = val;
            MONTH
        }
        m if m == MONTH | DAY => {
            tm.year = val;
            YEAR
        }
        // a run-together time, or anything else
        _ => return None,
    };
    if tmask == YEAR {
        tm.is2digits = flen <= 2;
    }
    Some(tmask)
}

/// DecodeDate: a field of numbers and month names with embedded separators.
fn decode_date(
    s: &str,
    mut fmask: u32,
    tm: &mut Tm,
    order: Order,
    text_month: &mut bool,
) -> Option<u32> {
    let mut parts = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        parts.push(&s[start..i]);
        // the character after a field is dropped whatever it is
        if i < b.len() {
            i += 1;
        }
    }
    let mut tmask = 0;
    let mut numbers = Vec::new();
    for p in parts {
        if p.as_bytes()[0].is_ascii_alphabetic() {
            match keyword(p) {
                Some(Keyword::Ignore) => continue,
                Some(Keyword::Month(m)) => {
                    tm.mon = m as i64;
                    *text_month = true;
                    if fmask & MONTH != 0 {
                        return None;
                    }
                    fmask |= MONTH;
                    tmask |= MONTH;
                }
                _ => return None,
            }
        } else {
            numbers.push(p);
        }
    }
    for p in numbers {
        let dmask = decode_number(p, *text_month, fmask, tm, order)?;
        if fmask & dmask != 0 {
            return None;
        }
        fmask |= dmask;
        tmask |= dmask;
    }
    // any field before it but a zone (a time, a weekday, AM/PM, BC) makes the server
    // refuse it
    (fmask & !TZ == DATE_M).then_some(tmask)
}

/// DecodeDateTime for the forms modelled (anything else: None, left to the round trip).
fn read(s: &str, order: Order, session: Option<&SessionSettings>) -> Option<Read> {
    let f = fields(s.trim())?;
    let mut tm = Tm::default();
    let (mut hour, mut min, mut sec, mut fsec) = (0i64, 0i64, 0i64, 0i64);
    let mut fmask = 0u32;
    let mut offset: Option<i32> = None;
    let mut zone_name: Option<String> = None;
    let (mut bc, mut julian, mut text_month) = (false, false, false);
    let mut mer: Option<bool> = None; // Some(true): PM
    #[derive(PartialEq)]
    enum Prefix {
        None,
        Julian,
        IsoTime,
    }
    let mut ptype = Prefix::None;
    for (i, (ty, w)) in f.iter().enumerate() {
        let tmask = match ty {
            Field::Date => {
                if ptype != Prefix::None || fmask & (MONTH | DAY) == MONTH | DAY {
                    // a zone name (or a run-together time with a zone, not modelled)
                    if ptype != Prefix::None || w.as_bytes()[0].is_ascii_digit() {
                        return None;
                    }
                    zone_name = Some(w.clone());
                    TZ
                } else {
                    decode_date(w, fmask, &mut tm, order, &mut text_month)?
                }
            }
            Field::Time => {
                if ptype == Prefix::IsoTime {
                    ptype = Prefix::None;
                } else if ptype != Prefix::None {
                    return None;
                }
                (hour, min, sec, fsec) = time_of_day(w)?;
                TIME_M
            }
            Field::Offset => {
                offset = Some(numeric_offset(w)?);
                TZ
            }
            Field::Number => {
                if ptype == Prefix::Julian {
                    ptype = Prefix::None;
                    let (jd, rest) = leading_int(w)?;
                    julian = true;
                    let days = jd - 2_440_588;
                    let (y, m, d) = civil_from_days(days);
                    (tm.year, tm.mon, tm.mday) = (y, m, d);
                    if rest.is_empty() {
                        DATE_M
                    } else {
                        let us = (parse_fraction(rest)? * 86_400_000_000.0) as i64;
                        (hour, min, sec, fsec) = (
                            us / 3_600_000_000,
                            us / 60_000_000 % 60,
                            us / 1_000_000 % 60,
                            us % 1_000_000,
                        );
                        DATE_M | TIME_M
                    }
                } else if ptype != Prefix::None || w.contains('.') || w.len() >= 6 {
                    // run-together dates and times, fractions: not modelled
                    return None;
                } else {
                    decode_number(w, text_month, fmask, &mut tm, order)?
                }
            }
            Field::Word => {
                // abbreviations first, as the server looks them up
                if let Some(o) = abbreviation(w, session).filter(|_| keyword(w).is_none()) {
                    offset = Some(o);
                    TZ
                } else {
                    match keyword(w)? {
                        Keyword::Month(m) => {
                            // a numeric month read before, with no day: it was the day
                            let mask = if fmask & MONTH != 0
                                && !text_month
                                && fmask & DAY == 0
                                && (1..=31).contains(&tm.mon)
                            {
                                tm.mday = tm.mon;
                                DAY
                            } else {
                                MONTH
                            };
                            tm.mon = m as i64;
                            text_month = true;
                            mask
                        }
                        Keyword::Weekday => DOW,
                        Keyword::Ad => ADBC,
                        Keyword::Bc => {
                            bc = true;
                            ADBC
                        }
                        Keyword::Am | Keyword::Pm => {
                            mer = Some(keyword(w) == Some(Keyword::Pm));
                            AMPM
                        }
                        Keyword::Ignore => continue,
                        Keyword::IsoTime => {
                            if fmask & DATE_M != DATE_M
                                || f.get(i + 1).map(|x| x.0) != Some(Field::Time)
                            {
                                return None;
                            }
                            ptype = Prefix::IsoTime;
                            0
                        }
                        Keyword::Julian => {
                            if ptype != Prefix::None {
                                return None;
                            }
                            ptype = Prefix::Julian;
                            0
                        }
                        Keyword::Other => {
                            // `z` and `zulu` are abbreviations of every set
                            let o = abbreviation(w, session)?;
                            offset = Some(o);
                            TZ
                        }
                    }
                }
            }
            Field::Special => return None,
        };
        if fmask & tmask != 0 {
            return None;
        }
        fmask |= tmask;
    }
    if ptype != Prefix::None || fmask & DATE_M != DATE_M {
        return None;
    }
    // ValidateDate
    let y = if julian {
        tm.year
    } else if bc {
        if tm.year <= 0 {
            return None;
        }
        1 - tm.year
    } else if tm.is2digits {
        match tm.year {
            0..=69 => tm.year + 2000,
            70..=99 => tm.year + 1900,
            y => y,
        }
    } else {
        if tm.year <= 0 {
            return None;
        }
        tm.year
    };
    if !(1..=12).contains(&tm.mon)
        || tm.mday < 1
        || tm.mday > days_in_month(y, tm.mon as u32) as i64
    {
        return None;
    }
    // years pgpolicy prints (the server's range is wider: left to the round trip)
    if !(-4712..=99_999).contains(&y) {
        return None;
    }
    // AM/PM
    if let Some(pm) = mer {
        if hour > 12 {
            return None;
        }
        if !pm && hour == 12 {
            hour = 0;
        } else if pm && hour != 12 {
            hour += 12;
        }
    }
    Some(Read {
        days: days_from_civil(y, tm.mon, tm.mday),
        secs: hour * 3600 + min * 60 + sec,
        usec: fsec,
        offset,
        zone_name,
    })
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
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

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
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

// ---------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------

/// The year as printed (`0044` for 44 BC) and whether it is BC.
fn year_text(y: i64) -> (String, bool) {
    if y > 0 {
        (format!("{y:04}"), false)
    } else {
        (format!("{:04}", 1 - y), true)
    }
}

fn date_text(days: i64, st: &Settings) -> (String, bool) {
    let (y, m, d) = civil_from_days(days);
    let (yt, bc) = year_text(y);
    let t = match (st.style, st.order) {
        (Style::Iso, _) => format!("{yt}-{m:02}-{d:02}"),
        (Style::Sql, Order::Dmy) => format!("{d:02}/{m:02}/{yt}"),
        (Style::Sql, _) => format!("{m:02}/{d:02}/{yt}"),
        (Style::German, _) => format!("{d:02}.{m:02}.{yt}"),
        (Style::Postgres, Order::Dmy) => format!("{d:02}-{m:02}-{yt}"),
        (Style::Postgres, _) => format!("{m:02}-{d:02}-{yt}"),
    };
    (t, bc)
}

fn time_text(secs: i64, usec: i64) -> String {
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if usec != 0 {
        let f = format!("{usec:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

/// EncodeTimezone: `+hh`, `+hh:mm` or `+hh:mm:ss` (east positive).
fn offset_text(east: i32) -> String {
    let a = east.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    let sign = if east >= 0 { '+' } else { '-' };
    if s != 0 {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    } else if m != 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}")
    }
}

/// EncodeDateTime: a local date and time, with the zone where given (its offset and
/// abbreviation); None when the style needs an abbreviation that is not known.
fn timestamp_text(
    days: i64,
    secs: i64,
    usec: i64,
    zone: Option<(i32, Option<String>)>,
    st: &Settings,
) -> Option<String> {
    let (y, m, d) = civil_from_days(days);
    let (yt, bc) = year_text(y);
    let time = time_text(secs, usec);
    let abbr = |z: &Option<(i32, Option<String>)>| -> Option<String> {
        match z {
            None => Some(String::new()),
            Some((_, Some(a))) => Some(format!(" {a}")),
            Some((_, None)) => None,
        }
    };
    let mut out = match st.style {
        Style::Iso => {
            let (dt, _) = date_text(days, st);
            let z = zone
                .as_ref()
                .map(|(o, _)| offset_text(*o))
                .unwrap_or_default();
            format!("{dt} {time}{z}")
        }
        Style::Sql | Style::German => {
            let (dt, _) = date_text(days, st);
            format!("{dt} {time}{}", abbr(&zone)?)
        }
        Style::Postgres => {
            let dow = DAYS[(days + 4).rem_euclid(7) as usize];
            let mon = MONTHS[m as usize - 1];
            let mon = format!("{}{}", mon[..1].to_ascii_uppercase(), &mon[1..]);
            let md = if st.order == Order::Dmy {
                format!("{d:02} {mon}")
            } else {
                format!("{mon} {d:02}")
            };
            format!("{dow} {md} {time} {yt}{}", abbr(&zone)?)
        }
    };
    if bc {
        out.push_str(" BC");
    }
    Some(out)
}

fn infinity(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "infinity" | "+infinity" => Some("infinity"),
        "-infinity" => Some("-infinity"),
        _ => None,
    }
}

/// date_in + date_out.
pub fn date(value: &str, session: Option<&SessionSettings>) -> Result<String, Undecidable> {
    let st = settings(session)?;
    if let Some(i) = infinity(value) {
        return Ok(i.into());
    }
    let r = read(value, st.order, session).ok_or_else(|| bad(value, "date"))?;
    zone_named(&r, value, session)?;
    let (t, bc) = date_text(r.days, &st);
    Ok(if bc { format!("{t} BC") } else { t })
}

fn bad(value: &str, ty: &str) -> Undecidable {
    Undecidable::Literal(format!("cannot interpret {value:?} as {ty}"))
}

/// timestamp_in / timestamptz_in + their output functions.
pub fn timestamp(
    value: &str,
    tz: bool,
    session: Option<&SessionSettings>,
) -> Result<String, Undecidable> {
    let ty = if tz { "timestamptz" } else { "timestamp" };
    let st = settings(session)?;
    if let Some(i) = infinity(value) {
        return Ok(i.into());
    }
    let r = read(value, st.order, session).ok_or_else(|| bad(value, ty))?;
    zone_named(&r, value, session)?;
    let local = r.days * 86_400 + r.secs;
    if !tz {
        // a time zone in the input is ignored
        let t = local * 1_000_000 + r.usec;
        let (days, us) = (t.div_euclid(86_400_000_000), t.rem_euclid(86_400_000_000));
        return timestamp_text(days, us / 1_000_000, us % 1_000_000, None, &st)
            .ok_or_else(|| bad(value, ty));
    }
    let zone = zone(session)?;
    let offset = match r.offset {
        Some(o) => o,
        // read in the session's time zone: unknown offline without the session
        None if session.is_none() => {
            return Err(Undecidable::Literal(format!(
                "a timestamptz literal without an offset ({value:?}) is read in the creating session's time zone"
            )))
        }
        // the zone's offset at the local time written (without the carry of a fraction
        // rounded up to a whole second, as the server determines it)
        None => zone.local(local).ok_or_else(|| out_of_zone(value))?,
    };
    let t = (local - offset as i64) * 1_000_000 + r.usec;
    let (utc, usec) = (t.div_euclid(1_000_000), t.rem_euclid(1_000_000));
    let (o, a) = zone.at(utc).ok_or_else(|| out_of_zone(value))?;
    let shown = utc + o as i64;
    let (days, secs) = (shown.div_euclid(86_400), shown.rem_euclid(86_400));
    if days_from_civil(-4712, 1, 1) > days {
        return Err(bad(value, ty));
    }
    timestamp_text(days, secs, usec, Some((o, a)), &st).ok_or_else(|| {
        Undecidable::Literal(format!(
            "the time zone abbreviation {value:?} prints with is not known exactly offline"
        ))
    })
}

/// A zone named in the literal (`Europe/Paris`) is known only as the database's own
/// TimeZone (its rules checked against the server's); any other name is left to the round
/// trip (the server's database may lack it, or hold other rules for it).
fn zone_named(r: &Read, value: &str, session: Option<&SessionSettings>) -> Result<(), Undecidable> {
    let Some(n) = &r.zone_name else {
        return Ok(());
    };
    let same = session
        .is_some_and(|s| s.timezone.contains('/') && s.timezone.trim().eq_ignore_ascii_case(n));
    if same {
        return Ok(());
    }
    Err(Undecidable::Literal(format!(
        "the time zone named in {value:?} is not the database's TimeZone, whose rules alone are known exactly offline"
    )))
}

fn out_of_zone(value: &str) -> Undecidable {
    Undecidable::Literal(format!(
        "{value:?} lies outside the years (1970-2037) in which the time zone's rules are known exactly offline"
    ))
}

// ---------------------------------------------------------------------------------------
// Intervals
// ---------------------------------------------------------------------------------------

/// interval_in + interval_out under the session's IntervalStyle.
pub fn interval(value: &str, session: Option<&SessionSettings>) -> Result<String, Undecidable> {
    let st = settings(session)?;
    let (months, days, usecs) =
        interval_read(value, st.interval).ok_or_else(|| bad(value, "interval"))?;
    Ok(interval_text(months, days, usecs, st.interval))
}

fn interval_read(s: &str, style: IntervalStyle) -> Option<(i64, i64, i128)> {
    let t = s.trim();
    if t.starts_with(['P', 'p']) {
        return iso8601(&t[1..]);
    }
    let lower = t.to_ascii_lowercase();
    if style == IntervalStyle::SqlStandard {
        // a leading minus applies to every field when no other field has a sign
        let toks: Vec<&str> = lower.split_whitespace().collect();
        if toks.first().is_some_and(|f| f.starts_with('-'))
            && toks[1..].iter().all(|f| !f.starts_with(['-', '+']))
        {
            let (m, d, u) = postgres_interval(&lower.trim_start()[1..])?;
            return Some((-m, -d, -u));
        }
    }
    postgres_interval(&lower)
}

/// ISO 8601 "format with designators": `P1Y2M3DT4H5M6.5S` (after the `P`). Each number is
/// read as the server reads it (ParseISO8601Number: a double, its integral part and the
/// fraction spilled into lower units).
fn iso8601(s: &str) -> Option<(i64, i64, i128)> {
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        if rest.starts_with(['T', 't']) {
            if in_time {
                return None;
            }
            in_time = true;
            rest = &rest[1..];
            if rest.is_empty() {
                return None;
            }
            continue;
        }
        let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
        let (num, unit) = (&rest[..end], rest.as_bytes()[end].to_ascii_uppercase());
        rest = &rest[end + 1..];
        // [-]digits[.digits] or [-].digits (no `+`, no exponent: not modelled)
        let body = num.strip_prefix('-').unwrap_or(num);
        let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
        if (ip.is_empty() && fp.is_empty())
            || !ip.bytes().all(|c| c.is_ascii_digit())
            || !fp.bytes().all(|c| c.is_ascii_digit())
            || ip.len() > 15
        {
            return None;
        }
        let v: f64 = num.parse().ok()?;
        if !(-1.0e15..=1.0e15).contains(&v) {
            return None;
        }
        let whole = v.trunc();
        let (val, fval) = (whole as i64, v - whole);
        match (unit, in_time) {
            (b'Y', false) => acc.years(val, fval, 1),
            (b'M', false) => acc.months(val, fval),
            (b'W', false) => acc.weeks(val, fval),
            (b'D', false) => acc.days(val, fval),
            (b'H', true) => acc.time(val, fval, 3_600_000_000),
            (b'M', true) => acc.time(val, fval, 60_000_000),
            (b'S', true) => acc.time(val, fval, 1_000_000),
            _ => return None,
        }
    }
    in_range(acc.months, acc.days, acc.usecs)
}

/// An interval's fields as interval_in accumulates them (pg_itm_in), with its rounding of
/// fractional units (AdjustFractMicroseconds, AdjustFractDays, AdjustFractYears).
#[derive(Default)]
struct Acc {
    months: i64,
    days: i64,
    usecs: i128,
}

impl Acc {
    /// AdjustFractMicroseconds: `frac * scale` microseconds, the fraction of a microsecond
    /// rounded half to even.
    fn fract_usecs(&mut self, frac: f64, scale: i64) {
        if frac == 0.0 {
            return;
        }
        let f = frac * scale as f64;
        let us = f as i64;
        self.usecs += (us + rint(f - us as f64) as i64) as i128;
    }

    /// AdjustFractDays: whole days, and the rest of a day in microseconds.
    fn fract_days(&mut self, frac: f64, scale: i64) {
        if frac == 0.0 {
            return;
        }
        let f = frac * scale as f64;
        let extra = f as i64;
        self.days += extra;
        self.fract_usecs(f - extra as f64, 86_400_000_000);
    }

    fn time(&mut self, val: i64, fval: f64, scale: i64) {
        self.usecs += val as i128 * scale as i128;
        self.fract_usecs(fval, scale);
    }

    fn days(&mut self, val: i64, fval: f64) {
        self.days += val;
        self.fract_usecs(fval, 86_400_000_000);
    }

    fn weeks(&mut self, val: i64, fval: f64) {
        self.days += val * 7;
        self.fract_days(fval, 7);
    }

    fn months(&mut self, val: i64, fval: f64) {
        self.months += val;
        self.fract_days(fval, 30);
    }

    /// Years (scale 1), decades (10), centuries (100), millennia (1000): the fraction in
    /// whole months, rounded.
    fn years(&mut self, val: i64, fval: f64, scale: i64) {
        self.months += val * scale * 12;
        self.months += rint(fval * scale as f64 * 12.0) as i64;
    }
}

/// An interval's time field (DecodeTimeForInterval): `h:mm`, `h:mm:ss[.f]`, `mm:ss.f`, in
/// microseconds.
fn interval_time(s: &str) -> Option<i128> {
    let (h, mi, sec, fsec) = time_common(s)?;
    Some(
        h as i128 * 3_600_000_000
            + mi as i128 * 60_000_000
            + sec as i128 * 1_000_000
            + fsec as i128,
    )
}

/// interval_in for PostgreSQL's own forms: `1 day 2 hours`, `@ 1 day ago`, `1 02:00:00`,
/// SQL's `1-2` (years-months) and `d h:m:s`.
fn postgres_interval(lower: &str) -> Option<(i64, i64, i128)> {
    let mut months: i64 = 0;
    let mut days: i64 = 0;
    let mut usecs: i128 = 0;
    let mut toks: Vec<&str> = lower.split_whitespace().collect();
    if toks.first() == Some(&"@") {
        toks.remove(0);
    } else if let Some(f) = toks.first_mut() {
        if let Some(r) = f.strip_prefix('@') {
            *f = r;
        }
    }
    let mut ago = false;
    if toks.last() == Some(&"ago") {
        ago = true;
        toks.pop();
    }
    if toks.is_empty() {
        return None;
    }
    let mut seen_seconds = false;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let (neg, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        if t.contains(':') {
            let us = interval_time(body)?;
            usecs += if neg { -us } else { us };
            i += 1;
            continue;
        }
        // SQL's years-months
        if let Some((y, m)) = body.split_once('-') {
            if !digits(y) || !digits(m) || y.len() > 9 || m.len() > 2 {
                return None;
            }
            let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
            if m >= 12 {
                return None;
            }
            let v = y * 12 + m;
            months += if neg { -v } else { v };
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
            let next = toks.get(i + 1);
            if next.is_some_and(|n| n.chars().all(|c| c.is_ascii_alphabetic())) {
                unit = toks[i + 1];
                i += 1;
            } else if next.is_some_and(|n| n.contains(':')) {
                // `1 02:00:00`: days before a time
                unit = "day";
            } else {
                if seen_seconds {
                    return None;
                }
                seen_seconds = true;
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
        // a sign is followed by a digit (ParseDateTime)
        if (ip.is_empty() && (fp.is_empty() || body.len() < num.len()))
            || !ip.chars().all(|c| c.is_ascii_digit())
            || !fp.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        if ip.len() > 9 {
            // beyond what the fields hold (the server refuses it)
            return None;
        }
        let whole: i64 = if ip.is_empty() { 0 } else { ip.parse().ok()? };
        let sg: i64 = if neg { -1 } else { 1 };
        // ParseFraction: the digits after the point as a double
        let frac = if fp.is_empty() {
            0.0
        } else {
            parse_fraction(&body[ip.len()..])?
        };
        let (val, fval) = (sg * whole, if neg { -frac } else { frac });
        let mut acc = Acc::default();
        match unit {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => {
                acc.time(val, fval, 1)
            }
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => {
                acc.time(val, fval, 1000)
            }
            "second" | "seconds" | "s" | "sec" | "secs" => acc.time(val, fval, 1_000_000),
            "minute" | "minutes" | "m" | "min" | "mins" => acc.time(val, fval, 60_000_000),
            "hour" | "hours" | "h" | "hr" | "hrs" => acc.time(val, fval, 3_600_000_000),
            "day" | "days" | "d" => acc.days(val, fval),
            "week" | "weeks" | "w" => acc.weeks(val, fval),
            "month" | "months" | "mon" | "mons" => acc.months(val, fval),
            "year" | "years" | "y" | "yr" | "yrs" => acc.years(val, fval, 1),
            "decade" | "decades" | "dec" | "decs" => acc.years(val, fval, 10),
            "century" | "centuries" | "c" | "cent" => acc.years(val, fval, 100),
            "millennium" | "millennia" | "mil" | "mils" => acc.years(val, fval, 1000),
            _ => return None,
        }
        months += acc.months;
        days += acc.days;
        usecs += acc.usecs;
        i += 1;
    }
    if ago {
        months = -months;
        days = -days;
        usecs = -usecs;
    }
    in_range(months, days, usecs)
}

/// An interval's fields as PostgreSQL stores them: months and days in 32 bits, time in
/// 64-bit microseconds (beyond, the server refuses the literal).
fn in_range(months: i64, days: i64, usecs: i128) -> Option<(i64, i64, i128)> {
    let ok = i32::try_from(months).is_ok()
        && i32::try_from(days).is_ok()
        && i64::try_from(usecs).is_ok_and(|u| u != i64::MIN);
    ok.then_some((months, days, usecs))
}

/// `sec` and `fsec` as AppendSeconds prints them (absolute values; `pad`: two digits).
fn seconds_text(sec: i128, fsec: i128, pad: bool) -> String {
    let mut out = if pad {
        format!("{:02}", sec.abs())
    } else {
        format!("{}", sec.abs())
    };
    if fsec != 0 {
        let f = format!("{:06}", fsec.abs());
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out
}

fn interval_text(months: i64, days: i64, usecs: i128, style: IntervalStyle) -> String {
    let (year, mon) = (months / 12, months % 12);
    let mday = days;
    let (hour, min, sec, fsec) = super::lit::time_fields(usecs);
    match style {
        IntervalStyle::Postgres => super::lit::interval_out(months, days, usecs),
        IntervalStyle::SqlStandard => {
            let neg = year < 0 || mon < 0 || mday < 0 || hour < 0 || min < 0 || sec < 0 || fsec < 0;
            let pos = year > 0 || mon > 0 || mday > 0 || hour > 0 || min > 0 || sec > 0 || fsec > 0;
            let has_ym = year != 0 || mon != 0;
            let has_dt = mday != 0 || hour != 0 || min != 0 || sec != 0 || fsec != 0;
            let standard = !(neg && pos || has_ym && has_dt);
            let mut out = String::new();
            let (mut year, mut mon, mut mday, mut hour, mut min, mut sec, mut fsec) =
                (year, mon, mday, hour, min, sec, fsec);
            if neg && standard {
                out.push('-');
                (year, mon, mday, hour, min, sec, fsec) =
                    (-year, -mon, -mday, -hour, -min, -sec, -fsec);
            }
            if !neg && !pos {
                out.push('0');
            } else if !standard {
                let ys = if year < 0 || mon < 0 { '-' } else { '+' };
                let ds = if mday < 0 { '-' } else { '+' };
                let ss = if hour < 0 || min < 0 || sec < 0 || fsec < 0 {
                    '-'
                } else {
                    '+'
                };
                out.push_str(&format!(
                    "{ys}{}-{} {ds}{} {ss}{}:{:02}:{}",
                    year.abs(),
                    mon.abs(),
                    mday.abs(),
                    hour.abs(),
                    min.abs(),
                    seconds_text(sec, fsec, true)
                ));
            } else if has_ym {
                out.push_str(&format!("{year}-{mon}"));
            } else if mday != 0 {
                out.push_str(&format!(
                    "{mday} {hour}:{:02}:{}",
                    min,
                    seconds_text(sec, fsec, true)
                ));
            } else {
                out.push_str(&format!(
                    "{hour}:{:02}:{}",
                    min,
                    seconds_text(sec, fsec, true)
                ));
            }
            out
        }
        IntervalStyle::Iso8601 => {
            if months == 0 && days == 0 && usecs == 0 {
                return "PT0S".into();
            }
            let mut out = String::from("P");
            let part = |out: &mut String, v: i128, u: char| {
                if v != 0 {
                    out.push_str(&format!("{v}{u}"));
                }
            };
            part(&mut out, year as i128, 'Y');
            part(&mut out, mon as i128, 'M');
            part(&mut out, mday as i128, 'D');
            if usecs != 0 {
                out.push('T');
            }
            part(&mut out, hour, 'H');
            part(&mut out, min, 'M');
            if sec != 0 || fsec != 0 {
                if sec < 0 || fsec < 0 {
                    out.push('-');
                }
                out.push_str(&seconds_text(sec, fsec, false));
                out.push('S');
            }
            out
        }
        IntervalStyle::Verbose => {
            let mut out = String::from("@");
            let mut is_zero = true;
            let mut is_before = false;
            let mut part = |out: &mut String, v: i128, unit: &str| {
                if v == 0 {
                    return;
                }
                let mut v = v;
                if is_zero {
                    is_before = v < 0;
                    v = v.abs();
                } else if is_before {
                    v = -v;
                }
                out.push_str(&format!(" {v} {unit}{}", if v == 1 { "" } else { "s" }));
                is_zero = false;
            };
            part(&mut out, year as i128, "year");
            part(&mut out, mon as i128, "mon");
            part(&mut out, mday as i128, "day");
            part(&mut out, hour, "hour");
            part(&mut out, min, "min");
            if sec != 0 || fsec != 0 {
                out.push(' ');
                if sec < 0 || (sec == 0 && fsec < 0) {
                    if is_zero {
                        is_before = true;
                    } else if !is_before {
                        out.push('-');
                    }
                } else if is_before {
                    out.push('-');
                }
                out.push_str(&seconds_text(sec, fsec, false));
                let s = if sec.abs() != 1 || fsec != 0 { "s" } else { "" };
                out.push_str(&format!(" sec{s}"));
                is_zero = false;
            }
            if is_zero {
                out.push_str(" 0");
            }
            if is_before {
                out.push_str(" ago");
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tz: &str, ds: &str, is: &str) -> SessionSettings {
        SessionSettings {
            timezone: tz.into(),
            datestyle: ds.into(),
            intervalstyle: is.into(),
            ..Default::default()
        }
    }

    fn ymd_iso() -> SessionSettings {
        session("UTC", "ISO, YMD", "postgres")
    }

    /// PostgreSQL's documentation, "Interval Output Style Examples".
    #[test]
    fn interval_styles() {
        let cases = [
            (
                "postgres",
                [
                    "1 year 2 mons",
                    "3 days 04:05:06",
                    "-1 years -2 mons +3 days -04:05:06",
                ],
            ),
            ("sql_standard", ["1-2", "3 4:05:06", "-1-2 +3 -4:05:06"]),
            (
                "postgres_verbose",
                [
                    "@ 1 year 2 mons",
                    "@ 3 days 4 hours 5 mins 6 secs",
                    "@ 1 year 2 mons -3 days 4 hours 5 mins 6 secs ago",
                ],
            ),
            ("iso_8601", ["P1Y2M", "P3DT4H5M6S", "P-1Y-2M3DT-4H-5M-6S"]),
        ];
        let inputs = [
            "1 year 2 months",
            "3 days 4 hours 5 minutes 6 seconds",
            "-1 year -2 mons +3 days -04:05:06",
        ];
        for (style, outs) in cases {
            let s = session("UTC", "ISO, MDY", style);
            for (i, o) in inputs.iter().zip(outs) {
                assert_eq!(interval(i, Some(&s)).as_deref(), Ok(o), "{style}: {i}");
                // each style reads its own output back
                assert_eq!(interval(o, Some(&s)).as_deref(), Ok(o), "{style}: {o}");
            }
        }
        let pg = session("UTC", "ISO, MDY", "postgres");
        for (i, o) in [
            ("1 day", "1 day"),
            ("15 minutes", "00:15:00"),
            ("2 weeks", "14 days"),
            ("1.5 days", "1 day 12:00:00"),
            ("1 day ago", "-1 days"),
            ("0", "00:00:00"),
            ("1.5 years", "1 year 6 mons"),
            ("1 02:00:00", "1 day 02:00:00"),
            ("PT1H30M", "01:30:00"),
            // fractions rounded as the server rounds them (recorded from PostgreSQL 15)
            ("1.5 microseconds", "00:00:00.000001"),
            ("2.5 us", "00:00:00.000002"),
            ("0.0000015 sec", "00:00:00.000001"),
            ("1.7 weeks", "11 days 21:36:00"),
            ("0.333 months", "9 days 23:45:36"),
            ("1.5 decades", "15 years"),
            ("1:30.5", "00:01:30.5"),
            ("P0.1W", "16:48:00"),
            ("PT1.0000005S", "00:00:01.000001"),
        ] {
            assert_eq!(interval(i, Some(&pg)).as_deref(), Ok(o), "{i}");
        }
        // a leading minus: one field under postgres, every field under sql_standard
        assert_eq!(
            interval("-1 2:03:04", Some(&pg)).unwrap(),
            "-1 days +02:03:04"
        );
        let sql = session("UTC", "ISO, MDY", "sql_standard");
        assert_eq!(interval("-1 2:03:04", Some(&sql)).unwrap(), "-1 2:03:04");
        assert_eq!(
            interval(
                "-1 2:03:04",
                Some(&session("UTC", "ISO, MDY", "postgres_verbose"))
            )
            .unwrap(),
            "@ 1 day -2 hours -3 mins -4 secs ago"
        );
        assert!(interval("banana", None).is_err());
        // beyond the stored fields: refused by the server, undecidable here
        assert!(interval("9999999999999 years", None).is_err());
        assert!(interval("3000000000 days", None).is_err());
        assert!(interval("P99999999999999999Y", None).is_err());
        assert!(interval("1 day", Some(&session("UTC", "ISO", "other"))).is_err());
    }

    #[test]
    fn posix_offsets() {
        assert_eq!(posix_fixed("UTC+3"), Some(("UTC".into(), 3 * 3600)));
        assert_eq!(posix_fixed("<+02>-02"), Some(("+02".into(), -2 * 3600)));
        assert_eq!(
            posix_fixed("<-03:30>+03:30"),
            Some(("-03:30".into(), 3 * 3600 + 1800))
        );
        assert_eq!(posix_fixed("JST-9"), Some(("JST".into(), -9 * 3600)));
        assert_eq!(posix_fixed("EST5EDT"), None);
        assert_eq!(posix_fixed("UTC"), None);
        assert_eq!(posix_fixed("Europe/Paris"), None);
    }

    #[test]
    fn dates_and_timestamps() {
        // the offline default: ISO, MDY; an offset-less timestamptz is undecidable
        assert_eq!(date("2024-04-01", None).unwrap(), "2024-04-01");
        assert!(date("2024-02-30", None).is_err());
        assert!(date("today", None).is_err());
        assert_eq!(
            timestamp("2024-01-01 10:00:00+02", true, None).unwrap(),
            "2024-01-01 08:00:00+00"
        );
        assert!(timestamp("2024-01-01 10:00:00", true, None).is_err());
        assert!(timestamp("now", true, None).is_err());
        assert_eq!(
            timestamp("2024-01-01T10:00", false, None).unwrap(),
            "2024-01-01 10:00:00"
        );
        // field order: 01/02/2024 is January 2nd (MDY) or February 1st (DMY)
        let mdy = session("UTC", "ISO, MDY", "postgres");
        let dmy = session("UTC", "ISO, DMY", "postgres");
        assert_eq!(date("01/02/2024", Some(&mdy)).unwrap(), "2024-01-02");
        assert_eq!(date("01/02/2024", Some(&dmy)).unwrap(), "2024-02-01");
        assert!(date("01/02/2024", Some(&session("UTC", "ISO, YMD", "postgres"))).is_err());
        // every style
        for (ds, d, t) in [
            ("SQL, DMY", "03/02/2024", "03/02/2024 10:00:00.5 CET"),
            ("SQL, MDY", "02/03/2024", "02/03/2024 10:00:00.5 CET"),
            ("German, DMY", "03.02.2024", "03.02.2024 10:00:00.5 CET"),
            (
                "Postgres, MDY",
                "02-03-2024",
                "Sat Feb 03 10:00:00.5 2024 CET",
            ),
            (
                "Postgres, DMY",
                "03-02-2024",
                "Sat 03 Feb 10:00:00.5 2024 CET",
            ),
            ("ISO, DMY", "2024-02-03", "2024-02-03 10:00:00.5+01"),
        ] {
            let s = session("<+01>-01", ds, "postgres");
            let s = SessionSettings {
                timezone: "CET-1".into(),
                ..s
            };
            assert_eq!(date("2024-02-03", Some(&s)).unwrap(), d, "{ds}");
            assert_eq!(
                timestamp("2024-02-03 09:00:00.5+00", true, Some(&s)).unwrap(),
                t,
                "{ds}"
            );
            assert!(date("44-03-15 BC", Some(&s)).is_err());
        }
        assert_eq!(date("0044-03-15 BC", None).unwrap(), "0044-03-15 BC");
        // two-digit years (1970-2069, not with BC), three-digit years as written, Julian
        // dates, AM/PM, fractions rounded to the microsecond, a 60th second
        assert_eq!(date("24-07-05", Some(&ymd_iso())).unwrap(), "2024-07-05");
        assert_eq!(date("7/5/70", None).unwrap(), "1970-07-05");
        assert_eq!(date("7/5/69", None).unwrap(), "2069-07-05");
        assert_eq!(date("5-03-15 BC", None).unwrap(), "0015-05-03 BC");
        assert_eq!(date("099-07-05", None).unwrap(), "0099-07-05");
        assert_eq!(date("5 Jul 24", None).unwrap(), "2024-07-05");
        assert_eq!(date("J2451187", None).unwrap(), "1999-01-08");
        assert!(date("5 24 Jul", None).is_err());
        // DecodeDate: nothing but a zone may come before a date field
        assert!(date("Fri 2024-07-05", None).is_err());
        assert!(timestamp("10:00 2024-01-05", false, None).is_err());
        assert_eq!(date("2024-07-05 Fri", None).unwrap(), "2024-07-05");
        assert_eq!(
            timestamp("+02 2024-07-05 10:00", true, None).unwrap(),
            "2024-07-05 08:00:00+00"
        );
        for (i, o) in [
            ("2024-07-05 12:30 am", "2024-07-05 00:30:00"),
            ("2024-07-05 0:30 PM", "2024-07-05 12:30:00"),
            ("2024-07-05 10:00:00.1234565", "2024-07-05 10:00:00.123456"),
            ("2024-07-05 10:00:00.1234575", "2024-07-05 10:00:00.123458"),
            ("2024-07-05 23:59:59.9999999", "2024-07-06 00:00:00"),
            ("2024-07-05 10:00:60", "2024-07-05 10:01:00"),
            ("J2451187.5", "1999-01-08 12:00:00"),
        ] {
            assert_eq!(timestamp(i, false, None).as_deref(), Ok(o), "{i}");
        }
        assert!(timestamp("2024-07-05 13:30 pm", false, None).is_err());
        assert!(timestamp("2024-07-05 23:59:60.5", false, None).is_err());
        // a zone name: the database's own TimeZone only
        let ny = session("America/New_York", "ISO, MDY", "postgres");
        assert!(timestamp("2024-07-05 12:00 America/New_York", false, Some(&ny)).is_ok());
        assert!(timestamp("2024-07-05 12:00 Europe/Paris", false, Some(&ny)).is_err());
        assert!(timestamp("2024-07-05 12:00 Europe/Paris", false, None).is_err());
        assert_eq!(date("10000-01-01", None).unwrap(), "10000-01-01");
        // a named zone without the server's rules is undecidable; UTC is not
        let paris = session("Europe/Paris", "ISO, MDY", "postgres");
        assert!(timestamp("2024-01-01 10:00+00", true, Some(&paris)).is_err());
        let utc = session("Etc/UTC", "ISO, DMY", "postgres");
        assert_eq!(
            timestamp("2024-01-01", true, Some(&utc)).unwrap(),
            "2024-01-01 00:00:00+00"
        );
    }
}
