//! Policy expressions: validation (exactly one SQL expression) and canonicalization
//! (comparing what was declared with what PostgreSQL stores).

pub mod canon;
pub mod roundtrip;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

pub use canon::{canonicalize, equivalent, Context};

/// Checks that `text` is exactly one SQL expression.
///
/// First structurally, with pgpolicy's own lexer: strings, quoted identifiers and comments
/// are closed, parentheses never close more than they opened and are balanced, and there
/// is no `;` outside a string. Such text cannot leave the `USING ( ... )` it is put in.
/// Then grammatically with sqlparser: it parses as one expression and nothing follows
/// (sqlparser's `parse_expr` stops at the end of the first expression and ignores the
/// rest, so the end of input is checked explicitly). PostgreSQL's postfix `ISNULL` and
/// `NOTNULL`, which sqlparser does not know, are read as `IS NULL` and `IS NOT NULL`.
pub fn validate(text: &str) -> Result<(), String> {
    use crate::sql::lex::{tokenize, Kind};
    if text.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    let tokens = tokenize(text).map_err(|e| format!("not a valid SQL expression: {}", e.message))?;
    let mut depth = 0i32;
    for t in &tokens {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen if depth == 0 => {
                return Err("must be exactly one SQL expression, but text follows it at )".into())
            }
            Kind::RParen => depth -= 1,
            Kind::Semicolon => {
                return Err("must be exactly one SQL expression, but text follows it at ;".into())
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("not a valid SQL expression: a parenthesis is not closed".into());
    }
    let mut rewritten = String::with_capacity(text.len() + 8);
    let mut last = 0;
    for t in &tokens {
        let replacement = if t.is_kw(text, "isnull") {
            Some(" IS NULL ")
        } else if t.is_kw(text, "notnull") {
            Some(" IS NOT NULL ")
        } else {
            None
        };
        if let Some(r) = replacement {
            rewritten.push_str(&text[last..t.start]);
            rewritten.push_str(r);
            last = t.end;
        }
    }
    rewritten.push_str(&text[last..]);
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(&rewritten)
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
        assert!(validate("\"deletedAt\" ISNULL AND x NOTNULL").is_ok());
        assert!(validate("a = 'it''s ) ;'").is_ok());
        assert!(validate("(a = 1").is_err());
        assert!(validate("a = 1 -- )").is_ok());
        assert!(validate("a = 1 b").is_err());
    }
}
