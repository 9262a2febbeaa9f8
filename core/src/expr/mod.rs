//! Policy expressions: validation (exactly one SQL expression) and canonicalization
//! (comparing what was declared with what PostgreSQL stores).

pub mod canon;
pub mod columns;
pub mod roundtrip;

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

pub use canon::{canonicalize, equivalent, Context};

/// Checks that `text` cannot be read by PostgreSQL as anything but one expression inside
/// the parentheses it is put in (`USING ( ... )`, a view's select list), with pgpolicy's
/// own lexer, which reads text as the server does under the pinned session settings
/// (`standard_conforming_strings = on`; `E''`, dollar-quoted and `U&''` strings, nested
/// comments, `--` comments ending at a line feed or a carriage return): strings, quoted
/// identifiers and comments are closed, parentheses never close more than they opened and
/// are balanced, and there is no `;` outside a string. Such text cannot leave the
/// parentheses it is put in, whatever it contains.
///
/// Grammar is PostgreSQL's to judge: text that pgpolicy's parser does not understand is
/// not refused here (see [`grammar`]); the round trip or the plan's run settles it.
pub fn validate(text: &str) -> Result<(), String> {
    use crate::sql::lex::{tokenize, Kind};
    if text.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    let tokens =
        tokenize(text).map_err(|e| format!("not a valid SQL expression: {}", e.message))?;
    if tokens.is_empty() {
        return Err("the expression is empty (only comments)".into());
    }
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
    Ok(())
}

/// Whether pgpolicy's SQL parser reads `text` as exactly one expression (sqlparser's
/// `parse_expr` ignores trailing input, so the end is checked). PostgreSQL's postfix
/// `ISNULL` and `NOTNULL`, which sqlparser does not know, are read as `IS NULL` and `IS
/// NOT NULL`. A failure means pgpolicy cannot judge the text offline, not that
/// PostgreSQL refuses it.
pub fn grammar(text: &str) -> Result<(), String> {
    use crate::sql::lex::tokenize;
    let tokens = tokenize(text).map_err(|e| e.message)?;
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
        .map_err(|e| strip_prefix(&e.to_string()).to_string())?;
    parser
        .parse_expr()
        .map_err(|e| strip_prefix(&e.to_string()).to_string())?;
    match parser.peek_token().token {
        Token::EOF => Ok(()),
        t => Err(format!("text follows the expression at {t}")),
    }
}

fn strip_prefix(s: &str) -> &str {
    s.strip_prefix("sql parser error: ").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::{grammar, validate};

    #[test]
    fn one_expression() {
        assert!(validate("tenant_id = current_setting('app.t')::integer").is_ok());
        assert!(validate("(select auth.uid()) = user_id").is_ok());
        let e = validate("true); DROP TABLE users; --").unwrap_err();
        assert!(e.contains("exactly one SQL expression"), "{e}");
        assert!(validate("a = 1; select 1").is_err());
        assert!(validate("").is_err());
        assert!(validate("-- nothing").is_err());
        assert!(validate("a = 'it''s ) ;'").is_ok());
        assert!(validate("(a = 1").is_err());
        assert!(validate("a = 1 -- )").is_ok());
        // A carriage return ends a comment for the server: the `)` is code.
        assert!(validate("a = 1 -- \r) OR (true").is_err());
        // Under standard_conforming_strings = on (pinned before any user text), a backslash
        // does not escape a quote: this is one expression with two string constants. The
        // server reads it the same way because the session pins the setting (tests/safety).
        assert!(
            validate("b = '\\' AND b = ');DROP TABLE victim;SELECT (1 --'\nIS NOT NULL").is_ok()
        );
        assert!(validate("b = E'\\'' AND true").is_ok());
    }

    #[test]
    fn grammar_is_advisory() {
        assert!(grammar("\"deletedAt\" ISNULL AND x NOTNULL").is_ok());
        assert!(grammar("a = 1 b").is_err());
        // Valid PostgreSQL that the parser may not know is not refused by validate.
        assert!(validate("a = 1 b").is_ok());
    }
}
