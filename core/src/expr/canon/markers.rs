//! PostgreSQL grammar sqlparser does not read, rewritten on the token stream into shapes it
//! does read, marked so that the analysis knows what was written:
//!
//! - `f(a, VARIADIC x)` → `f(a, "\0variadic"(x))` (also `VARIADIC name => x`);
//! - `x BETWEEN SYMMETRIC a AND b` → `x BETWEEN "\0symmetric"(a) AND b`, and `BETWEEN
//!   ASYMMETRIC` → `BETWEEN` (what PostgreSQL's grammar makes of it);
//! - `x IS [NOT] JSON [VALUE | SCALAR | ARRAY | OBJECT] [WITH | WITHOUT UNIQUE [KEYS]]` →
//!   `x IS [NOT] DISTINCT FROM "\0json <kind> <unique>"` (the same precedence level);
//! - `SUBSTRING(x SIMILAR p ESCAPE e)` → `SUBSTRING(x FROM p FOR e)`: PostgreSQL's grammar
//!   makes the same call, `substring(x, p, e)`, of both.
//!
//! A marker is a quoted identifier that starts with a NUL character, which no text
//! PostgreSQL accepts can contain: [`super::parse`] refuses a text that spells one.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

pub(crate) const VARIADIC: &str = "\0variadic";
pub(crate) const SYMMETRIC: &str = "\0symmetric";
pub(crate) const JSON: &str = "\0json";

/// Whether the token may start a construct this module rewrites (a cheap test run on
/// every token, so that most texts skip [`rewrite`]).
/// (A quoted identifier that starts with a NUL character, a marker spelled by hand, is
/// also caught, and refused by [`rewrite`].)
pub(crate) fn may_need(t: &Token) -> bool {
    match t {
        Token::Word(w) if w.quote_style.is_none() => matches!(
            w.keyword,
            Keyword::VARIADIC
                | Keyword::SYMMETRIC
                | Keyword::ASYMMETRIC
                | Keyword::JSON
                | Keyword::SIMILAR
        ),
        Token::Word(w) => w.value.starts_with('\0'),
        _ => false,
    }
}

fn kw(t: Option<&TokenWithSpan>, k: Keyword) -> bool {
    matches!(t.map(|t| &t.token), Some(Token::Word(w)) if w.quote_style.is_none() && w.keyword == k)
}

fn marker(name: &str, like: &TokenWithSpan) -> TokenWithSpan {
    TokenWithSpan::new(Token::make_word(name, Some('"')), like.span)
}

/// What closes a marker call opened before an operand: the `AND` of BETWEEN, or the
/// parenthesis that ends the function call (VARIADIC is the last argument).
#[derive(PartialEq)]
enum Close {
    And,
    Paren,
}

/// The token stream with the constructs above rewritten. Text that does not have their
/// shape is left as it is (and fails to parse, as before). None when the text spells a
/// marker itself.
pub(crate) fn rewrite(toks: Vec<TokenWithSpan>) -> Option<Vec<TokenWithSpan>> {
    if toks
        .iter()
        .any(|t| matches!(&t.token, Token::Word(w) if w.quote_style.is_some() && w.value.starts_with('\0')))
    {
        return None;
    }
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(toks.len() + 4);
    // open marker calls: (nesting depth at which they close, what closes them)
    let mut open: Vec<(usize, Close)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match &t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::CASE => depth += 1,
            Token::RParen | Token::RBracket => {
                if t.token == Token::RParen
                    && matches!(open.last(), Some((d, Close::Paren)) if *d == depth)
                {
                    open.pop();
                    out.push(TokenWithSpan::new(Token::RParen, t.span));
                }
                depth = depth.saturating_sub(1);
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::END => {
                depth = depth.saturating_sub(1)
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::AND => {
                if matches!(open.last(), Some((d, Close::And)) if *d == depth) {
                    open.pop();
                    out.push(TokenWithSpan::new(Token::RParen, t.span));
                }
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.keyword == Keyword::VARIADIC
                    && matches!(
                        out.last().map(|t| &t.token),
                        Some(Token::LParen | Token::Comma)
                    )
                    && depth > 0 =>
            {
                out.push(marker(VARIADIC, t));
                out.push(TokenWithSpan::new(Token::LParen, t.span));
                // the call's own closing parenthesis closes the marker first
                open.push((depth, Close::Paren));
                i += 1;
                continue;
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.keyword == Keyword::BETWEEN
                    && (kw(toks.get(i + 1), Keyword::SYMMETRIC)
                        || kw(toks.get(i + 1), Keyword::ASYMMETRIC)) =>
            {
                out.push(t.clone());
                if kw(toks.get(i + 1), Keyword::SYMMETRIC) {
                    out.push(marker(SYMMETRIC, &toks[i + 1]));
                    out.push(TokenWithSpan::new(Token::LParen, toks[i + 1].span));
                    open.push((depth, Close::And));
                }
                i += 2;
                continue;
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.keyword == Keyword::SUBSTRING
                    && matches!(toks.get(i + 1).map(|t| &t.token), Some(Token::LParen)) =>
            {
                if let Some((similar, escape)) = similar_form(&toks, i + 1) {
                    out.push(t.clone());
                    for (k, t) in toks.iter().enumerate().take(escape + 1).skip(i + 1) {
                        if k == similar {
                            out.push(TokenWithSpan::new(Token::make_keyword("FROM"), t.span));
                        } else if k == escape {
                            out.push(TokenWithSpan::new(Token::make_keyword("FOR"), t.span));
                        } else {
                            out.push(t.clone());
                        }
                    }
                    i = escape + 1;
                    continue;
                }
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::IS => {
                let not = kw(toks.get(i + 1), Keyword::NOT);
                let j = i + 1 + not as usize;
                if kw(toks.get(j), Keyword::JSON) {
                    let mut k = j + 1;
                    let mut kind = "";
                    for (key, name) in [
                        (Keyword::VALUE, ""),
                        (Keyword::SCALAR, "SCALAR"),
                        (Keyword::ARRAY, "ARRAY"),
                        (Keyword::OBJECT, "OBJECT"),
                    ] {
                        if kw(toks.get(k), key) {
                            kind = name;
                            k += 1;
                            break;
                        }
                    }
                    let mut unique = false;
                    if (kw(toks.get(k), Keyword::WITH) || kw(toks.get(k), Keyword::WITHOUT))
                        && kw(toks.get(k + 1), Keyword::UNIQUE)
                    {
                        unique = kw(toks.get(k), Keyword::WITH);
                        k += 2;
                        if kw(toks.get(k), Keyword::KEYS) {
                            k += 1;
                        }
                    }
                    out.push(t.clone());
                    if not {
                        out.push(TokenWithSpan::new(Token::make_keyword("NOT"), t.span));
                    }
                    out.push(TokenWithSpan::new(Token::make_keyword("DISTINCT"), t.span));
                    out.push(TokenWithSpan::new(Token::make_keyword("FROM"), t.span));
                    let name = format!("{JSON} {kind} {}", if unique { "unique" } else { "" });
                    out.push(marker(&name, &toks[j]));
                    i = k;
                    continue;
                }
            }
            _ => {}
        }
        out.push(t.clone());
        i += 1;
    }
    Some(out)
}

/// In `SUBSTRING(x SIMILAR p ESCAPE e)` (the parenthesis at `open`), the positions of
/// `SIMILAR` (not `SIMILAR TO`) and of the one `ESCAPE` after it at the same level.
fn similar_form(toks: &[TokenWithSpan], open: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut similar, mut escape) = (None, None);
    for (k, t) in toks.iter().enumerate().skip(open) {
        match &t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth -= 1;
                if depth == 0 {
                    return Some((similar?, escape?));
                }
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::CASE => depth += 1,
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::END => depth -= 1,
            Token::Word(w) if w.quote_style.is_none() && depth == 1 => match w.keyword {
                Keyword::SIMILAR if !kw(toks.get(k + 1), Keyword::TO) => {
                    if similar.is_some() {
                        return None;
                    }
                    similar = Some(k);
                }
                Keyword::ESCAPE if similar.is_some() => {
                    if escape.is_some() {
                        return None;
                    }
                    escape = Some(k);
                }
                _ => {}
            },
            _ => {}
        }
    }
    None
}

/// The JSON predicate a marker stands for: the item type (`""`, `SCALAR`, `ARRAY`,
/// `OBJECT`) and whether unique keys are required.
pub(crate) fn json_predicate(name: &str) -> Option<(&str, bool)> {
    let rest = name.strip_prefix(JSON)?.strip_prefix(' ')?;
    let (kind, unique) = rest.split_once(' ')?;
    Some((kind, unique == "unique"))
}
