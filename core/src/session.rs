//! Safe sessions: what every transaction pgpolicy runs pins before any user text.
//!
//! pgpolicy often connects as a superuser or as the tables' owner, to databases whose
//! settings (per database, per role, or in the URL's `options`) and whose `public` schema
//! may be controlled by someone else. How the server reads a statement depends on session
//! settings: with `standard_conforming_strings = off`, `'\'` is not a complete string, so an
//! expression that pgpolicy's lexer proved to be one expression could be read by the
//! server as several statements. Every transaction therefore starts with [`pins`], each
//! pin sent as its own statement *before* any statement that carries user text (a
//! multi-statement query string is parsed whole, under the settings in force when it
//! arrives).
//!
//! The pins are the same for the CLI's own connections, the round trip, the dev database,
//! and the statements the Python and Node packages run on the user's connections.

use std::time::Duration;

/// The search_path under which plan statements run and expressions are compared and
/// printed. `pg_catalog` is searched first implicitly; pgpolicy's own catalog queries
/// qualify every function and operator, so nothing in `public` is resolved by them.
pub const SEARCH_PATH: &str = "public";

/// Time limits for pgpolicy's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeouts {
    /// `lock_timeout`: how long one statement waits for a lock. Zero is refused: an
    /// unbounded wait for ACCESS EXCLUSIVE queues every reader of the table behind it.
    #[serde(with = "millis")]
    pub lock: Duration,
    /// `statement_timeout`; zero means none.
    #[serde(with = "millis")]
    pub statement: Duration,
    /// How long connecting (TCP or socket, TLS, startup and authentication) may take.
    #[serde(with = "millis")]
    pub connect: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock: Duration::from_secs(5),
            statement: Duration::from_secs(300),
            connect: Duration::from_secs(10),
        }
    }
}

mod millis {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        use serde::Deserialize;
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

impl Timeouts {
    /// The lock timeout clamped to at least 1 ms (zero would mean "wait forever").
    fn lock_ms(&self) -> u128 {
        self.lock.as_millis().max(1)
    }
}

/// Parses a duration as PostgreSQL and the CLI accept it: `5s`, `500ms`, `2min`, `1h`, or
/// a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected e.g. 5s, 500ms, 2min"))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000.0,
        "min" | "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        other => {
            return Err(format!(
                "invalid duration {text:?}: unknown unit {other:?} (ms, s, min, h)"
            ))
        }
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(format!("invalid duration {text:?}"));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// What a transaction is for; decides its `BEGIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Reading the catalog: read only, rolled back.
    Read,
    /// The round-trip comparison: temporary views only, rolled back.
    Compare,
    /// A plan against a database: the catalog read and the comparison in one snapshot,
    /// rolled back.
    Plan,
    /// Running a plan: committed when every statement succeeded.
    Apply,
    /// Measuring a plan's impact on a role's rows: sample copies into temporary tables,
    /// then `SET TRANSACTION READ ONLY` before any policy expression runs; rolled back.
    Impact,
}

/// The statement that opens a transaction pgpolicy owns.
pub fn begin(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        // Temporary views need a read-write transaction; nothing in it is ever committed
        // (it ends with ROLLBACK, and each statement is one Parse, so no COMMIT can be
        // smuggled in).
        Purpose::Compare => "BEGIN",
        Purpose::Plan => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        Purpose::Apply => "BEGIN",
        // Read-write only for the temporary copies; made read-only before any user text
        // runs, and rolled back.
        Purpose::Impact => "BEGIN",
    }
}

/// The settings every pgpolicy transaction pins, each one statement without a
/// semicolon, to be run in order right after `BEGIN` (or at the start of the user's own
/// transaction), before any statement carrying user text. `SET LOCAL`: they end with the
/// transaction and never leak into a pooled connection.
pub fn pins(timeouts: &Timeouts) -> Vec<String> {
    pinned(timeouts)
        .iter()
        .map(|(name, value)| match *name {
            // `TO on` and `TO public` as a person writes them; the durations quoted.
            "standard_conforming_strings" | "search_path" => {
                format!("SET LOCAL {name} TO {value}")
            }
            _ => format!("SET LOCAL {name} TO '{value}'"),
        })
        .collect()
}

/// The [`pins`] as one statement (`set_config(name, value, true)` is `SET LOCAL`), for
/// the transactions pgpolicy opens itself: the same settings, one round trip. Carries no
/// user text and no backslash, so it reads the same whatever the session's settings.
pub fn pin_statement(timeouts: &Timeouts) -> String {
    let cols: Vec<String> = pinned(timeouts)
        .iter()
        .map(|(name, value)| format!("pg_catalog.set_config('{name}', '{value}', true)"))
        .collect();
    format!("SELECT {}", cols.join(", "))
}

/// The pinned settings and their values, in [`PINNED`]'s order.
fn pinned(timeouts: &Timeouts) -> [(&'static str, String); 4] {
    [
        (PINNED[0], "on".to_string()),
        (PINNED[1], SEARCH_PATH.to_string()),
        (PINNED[2], format!("{}ms", timeouts.lock_ms())),
        (PINNED[3], format!("{}ms", timeouts.statement.as_millis())),
    ]
}

/// How many times `apply` retries a plan whose lock wait timed out, unless told otherwise.
pub const DEFAULT_RETRIES: u32 = 3;

/// The settings [`pins`] sets, in its order.
pub const PINNED: [&str; 4] = [
    "standard_conforming_strings",
    "search_path",
    "lock_timeout",
    "statement_timeout",
];

/// Reads the [`PINNED`] settings as they are now (one row, one text column each). Carries
/// no user text, so it may run before the pins.
pub fn pinned_values_query() -> String {
    let cols: Vec<String> = PINNED
        .iter()
        .map(|n| format!("pg_catalog.current_setting('{n}')"))
        .collect();
    format!("SELECT {}", cols.join(", "))
}

/// Sets the [`PINNED`] settings back to `values` (as [`pinned_values_query`] read them)
/// for the rest of the transaction: what a savepoint scope runs after its work is
/// released into the caller's transaction, where `SET LOCAL` would otherwise outlive it.
/// One statement, parsed under the pins still in force.
pub fn restore_pinned(values: &[Option<String>]) -> String {
    let cols: Vec<String> = PINNED
        .iter()
        .zip(values)
        .filter_map(|(n, v)| {
            v.as_deref().map(|v| {
                format!(
                    "pg_catalog.set_config('{n}', {}, true)",
                    crate::sql::quote::literal(v)
                )
            })
        })
        .collect();
    format!("SELECT {}", cols.join(", "))
}

/// SQLSTATE of a lock timeout (`lock_not_available`).
pub const LOCK_NOT_AVAILABLE: &str = "55P03";
/// SQLSTATE of a statement timeout (`query_canceled`).
pub const QUERY_CANCELED: &str = "57014";

/// How `apply` retries a plan whose lock wait timed out: the delays before each retry.
pub fn retry_delays(retries: u32) -> Vec<Duration> {
    (0..retries)
        .map(|i| Duration::from_millis(250u64 << i.min(8)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn pins_are_single_statements() {
        for p in pins(&Timeouts::default()) {
            assert!(!p.contains(';'));
        }
        let zero = Timeouts {
            lock: Duration::ZERO,
            ..Timeouts::default()
        };
        assert!(pins(&zero).contains(&"SET LOCAL lock_timeout TO '1ms'".to_string()));
    }

    #[test]
    fn pinned_settings_are_read_and_restored_in_order() {
        for (n, p) in PINNED.iter().zip(pins(&Timeouts::default())) {
            assert!(p.starts_with(&format!("SET LOCAL {n} TO ")), "{p}");
        }
        assert!(pinned_values_query()
            .starts_with("SELECT pg_catalog.current_setting('standard_conforming_strings'), "));
        let values = [
            Some("off".to_string()),
            Some("\"$user\", app".to_string()),
            Some("0".into()),
            Some("it's\\".into()),
        ];
        assert_eq!(
            restore_pinned(&values),
            "SELECT pg_catalog.set_config('standard_conforming_strings', 'off', true), \
             pg_catalog.set_config('search_path', '\"$user\", app', true), \
             pg_catalog.set_config('lock_timeout', '0', true), \
             pg_catalog.set_config('statement_timeout', E'it''s\\\\', true)"
        );
    }
}
