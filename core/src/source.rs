//! Where a schema comes from: `empty`, a `.json` file, a `.sql` file, or (with the `db`
//! feature) a postgres URL.

use std::path::Path;

use crate::error::Error;
use crate::ir::Schema;

/// Reads SQL text into a validated, normalized schema; the skipped statements are
/// returned beside it. The one way every front end (CLI, Python, Node) reads `.sql`.
pub fn from_sql(text: &str) -> Result<(Schema, Vec<String>), Error> {
    checked(crate::sql::read_sql(text)?)
}

/// Reads a `.sql` file like [`from_sql`].
pub fn from_sql_file(path: &Path) -> Result<(Schema, Vec<String>), Error> {
    checked(crate::sql::read_sql_file(path)?)
}

fn checked((mut schema, warnings): (Schema, Vec<String>)) -> Result<(Schema, Vec<String>), Error> {
    crate::validate::validate(&schema)?;
    schema.normalize();
    Ok((schema, warnings))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Empty,
    Json(String),
    Sql(String),
    Url(String),
}

impl Source {
    pub fn parse(s: &str) -> Result<Source, Error> {
        if s == "empty" {
            Ok(Source::Empty)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Source::Url(s.to_string()))
        } else if s.ends_with(".json") {
            Ok(Source::Json(s.to_string()))
        } else if s.ends_with(".sql") {
            Ok(Source::Sql(s.to_string()))
        } else {
            Err(Error::Source(format!(
                "unknown source {s:?}: expected a postgres URL, a .json file, a .sql file, or `empty`"
            )))
        }
    }

    /// Reads the source. Warnings (skipped SQL statements) are returned beside it.
    pub fn load(&self, schemas: &[String]) -> Result<(Schema, Vec<String>), Error> {
        match self {
            Source::Empty => Ok((Schema::empty(), Vec::new())),
            Source::Json(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| Error::Source(format!("cannot read {p}: {e}")))?;
                Ok((Schema::from_json(&text)?, Vec::new()))
            }
            Source::Sql(p) => from_sql_file(Path::new(p)),
            #[cfg(feature = "db")]
            Source::Url(u) => Ok((
                crate::introspect::blocking::introspect_url(u, schemas)?,
                Vec::new(),
            )),
            #[cfg(not(feature = "db"))]
            Source::Url(_) => {
                let _ = schemas;
                Err(Error::Source(
                    "this build has no database support (feature `db`)".into(),
                ))
            }
        }
    }
}
