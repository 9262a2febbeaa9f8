//! Policy expressions: validation (exactly one SQL expression) and canonicalization
//! (comparing what was declared with what PostgreSQL stores).

pub mod canon;
pub mod roundtrip;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

pub use canon::{canonicalize, equivalent, Context};

/// Checks that `text` is exactly one SQL expression: it parses, and nothing follows it.
/// sqlparser's `parse_expr` stops at the end of the first expression and ignores the
/// rest, so the end of input is checked explicitly.
pub fn validate(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| format!("not a valid SQL expression: {}", strip_prefix(&e.to_string())))?;
    parser
        .parse_expr()
        .map_err(|e| format!("not a valid SQL expression: {}", strip_prefix(&e.to_string())))?;
    match parser.peek_token().token {
        Token::EOF => Ok(()),
        t => Err(format!(
            "must be exactly one SQL expression, but text follows it at {t}"
        )),
    }
}

fn strip_prefix(s: &str) -> &str {
    s.strip_prefix("sql parser error: ").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn one_expression() {
        assert!(validate("tenant_id = current_setting('app.t')::integer").is_ok());
        assert!(validate("(select auth.uid()) = user_id").is_ok());
        let e = validate("true); DROP TABLE users; --").unwrap_err();
        assert!(e.contains("exactly one SQL expression"), "{e}");
        assert!(validate("a = 1; select 1").is_err());
        assert!(validate("").is_err());
    }
}
