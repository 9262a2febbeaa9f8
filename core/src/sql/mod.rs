//! SQL in and out: reading `.sql` sources, rendering DDL, quoting.

pub mod lex;
pub mod quote;
pub mod read;
pub mod render;

pub use read::{read_sql, read_sql_file};
