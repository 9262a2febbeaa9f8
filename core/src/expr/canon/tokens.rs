//! A fast tokenizer for the commonest policy texts, producing exactly the tokens (with
//! their spans) that sqlparser's tokenizer produces for the PostgreSQL dialect, white space
//! dropped.
//!
//! sqlparser's tokenizer walks a `Peekable<Chars>` and allocates for every token; this one
//! walks bytes and looks keywords up in a hash map. It reads only what it fully
//! understands: ASCII text made of plain and quoted identifiers, plain string constants,
//! unsigned decimal numbers without exponent, punctuation and the operators of
//! [`operator`]. On anything else (comments, `E''`, `U&''`, `$$`, `B''`, `X''`, `N''`,
//! exponents, placeholders, other operators, non-ASCII text, a malformed literal) it
//! returns `None` and the caller uses sqlparser's tokenizer, which also reports the
//! errors. The two are proven equal on the corpus, the grammar cases and generated texts
//! (`super::tests`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use sqlparser::keywords::{Keyword, ALL_KEYWORDS, ALL_KEYWORDS_INDEX};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Word};

/// The token sqlparser makes of a whole run of operator characters, for the spellings
/// read here.
fn operator(op: &[u8]) -> Option<Token> {
    Some(match op {
        b"=" => Token::Eq,
        b"<>" | b"!=" => Token::Neq,
        b"<" => Token::Lt,
        b"<=" => Token::LtEq,
        b">" => Token::Gt,
        b">=" => Token::GtEq,
        b"::" => Token::DoubleColon,
        b"+" => Token::Plus,
        b"-" => Token::Minus,
        b"*" => Token::Mul,
        b"/" => Token::Div,
        b"%" => Token::Mod,
        b"||" => Token::StringConcat,
        b"->" => Token::Arrow,
        b"->>" => Token::LongArrow,
        b"#>" => Token::HashArrow,
        b"#>>" => Token::HashLongArrow,
        b"@>" => Token::AtArrow,
        b"<@" => Token::ArrowAt,
        b"&&" => Token::Overlap,
        b"~" => Token::Tilde,
        b"~~" => Token::DoubleTilde,
        b"~*" => Token::TildeAsterisk,
        b"~~*" => Token::DoubleTildeAsterisk,
        b"!~" => Token::ExclamationMarkTilde,
        b"!~*" => Token::ExclamationMarkTildeAsterisk,
        b"!~~" => Token::ExclamationMarkDoubleTilde,
        b"!~~*" => Token::ExclamationMarkDoubleTildeAsterisk,
        b"?" => Token::Question,
        b"?|" => Token::QuestionPipe,
        b"?&" => Token::QuestionAnd,
        b"#-" => Token::HashMinus,
        b"^" => Token::Caret,
        _ => return None,
    })
}

/// Characters that sqlparser may read as part of one operator (the dialect's custom
/// operator characters, and `:`): a run of them is one operator here or not read at all.
fn is_operator_char(b: u8) -> bool {
    matches!(
        b,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
            | b':'
    )
}

fn is_word_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// FNV-1a: keywords are short, and SipHash would cost more than the lookup saves.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

type KeywordMap = HashMap<&'static [u8], Keyword, BuildHasherDefault<Fnv>>;

/// The longest keyword, in bytes: a longer word is no keyword.
const MAX_KEYWORD: usize = 64;

fn keywords() -> &'static KeywordMap {
    static MAP: OnceLock<KeywordMap> = OnceLock::new();
    MAP.get_or_init(|| {
        ALL_KEYWORDS
            .iter()
            .zip(ALL_KEYWORDS_INDEX)
            .map(|(k, kw)| {
                debug_assert!(k.len() <= MAX_KEYWORD);
                (k.as_bytes(), *kw)
            })
            .collect()
    })
}

/// sqlparser's keyword for an unquoted word (its keyword list is upper case, the lookup
/// case-insensitive).
fn keyword(word: &[u8]) -> Keyword {
    if word.len() > MAX_KEYWORD {
        return Keyword::NoKeyword;
    }
    let mut buf = [0u8; MAX_KEYWORD];
    let up = &mut buf[..word.len()];
    for (d, s) in up.iter_mut().zip(word) {
        *d = s.to_ascii_uppercase();
    }
    keywords().get(&*up).copied().unwrap_or(Keyword::NoKeyword)
}

/// Line and column as sqlparser counts them: a line feed starts a new line at column 1,
/// every other character (a carriage return too) advances the column by one; the text is
/// ASCII, so a column is a byte offset from the line's start.
#[derive(Clone, Copy)]
struct Lines {
    line: u64,
    start: usize,
}

impl Lines {
    fn location(self, at: usize) -> Location {
        Location::new(self.line, (at - self.start) as u64 + 1)
    }

    /// Counts the line feeds in `b[from..to]`.
    fn pass(&mut self, b: &[u8], from: usize, to: usize) {
        for (k, &c) in b[from..to].iter().enumerate() {
            if c == b'\n' {
                self.line += 1;
                self.start = from + k + 1;
            }
        }
    }
}

/// The tokens of `text` as sqlparser's PostgreSQL tokenizer gives them (white space
/// dropped), or `None` when the text holds anything this tokenizer does not read.
pub(super) fn tokenize(text: &str) -> Option<Vec<TokenWithSpan>> {
    let b = text.as_bytes();
    if !text.is_ascii() {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 3 + 1);
    let mut lines = Lines { line: 1, start: 0 };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let from = i;
        let start = lines.location(from);
        let token = match c {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'\n' => {
                i += 1;
                lines.line += 1;
                lines.start = i;
                continue;
            }
            b'(' => {
                i += 1;
                Token::LParen
            }
            b')' => {
                i += 1;
                Token::RParen
            }
            b',' => {
                i += 1;
                Token::Comma
            }
            b'[' => {
                i += 1;
                Token::LBracket
            }
            b']' => {
                i += 1;
                Token::RBracket
            }
            b';' => {
                i += 1;
                Token::SemiColon
            }
            b'.' => {
                // `.5`, `._`: numbers and field access sqlparser reads its own way
                if b.get(i + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == b'_')
                {
                    return None;
                }
                i += 1;
                Token::Period
            }
            b'0'..=b'9' => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if b.get(i) == Some(&b'.') {
                    if !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        return None;
                    }
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                // exponents, `0x`, `1_000`, `1L`, `1.2.3`: sqlparser's own rules
                if b.get(i).is_some_and(|&d| is_word_part(d) || d == b'.') {
                    return None;
                }
                Token::Number(text[from..i].to_string(), false)
            }
            b'\'' => {
                let (value, end) = quoted(text, i, b'\'')?;
                i = end;
                lines.pass(b, from, i);
                Token::SingleQuotedString(value)
            }
            b'"' => {
                let (value, end) = quoted(text, i, b'"')?;
                i = end;
                lines.pass(b, from, i);
                Token::Word(Word {
                    value,
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                })
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                // prefixed strings: B'', N'', E'', X'', U&''
                let next = b.get(i + 1).copied();
                let prefix = match c.to_ascii_lowercase() {
                    b'b' => matches!(next, Some(b'\'' | b'"')),
                    b'n' | b'e' | b'x' => next == Some(b'\''),
                    b'u' => next == Some(b'&'),
                    _ => false,
                };
                if prefix {
                    return None;
                }
                i += 1;
                while i < b.len() && is_word_part(b[i]) {
                    i += 1;
                }
                let word = &text[from..i];
                Token::Word(Word {
                    value: word.to_string(),
                    quote_style: None,
                    keyword: keyword(word.as_bytes()),
                })
            }
            c if is_operator_char(c) => {
                while i < b.len() && is_operator_char(b[i]) {
                    i += 1;
                }
                operator(&b[from..i])?
            }
            _ => return None,
        };
        out.push(TokenWithSpan::new(
            token,
            Span::new(start, lines.location(i)),
        ));
    }
    Some(out)
}

/// The value of the quoted text starting at `text[start]` (a doubled quote stands for
/// one) and the index after its closing quote; `None` when it is not closed.
fn quoted(text: &str, start: usize, q: u8) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut i = start + 1;
    let mut seg = i;
    let mut value: Option<String> = None;
    loop {
        if *b.get(i)? == q {
            if b.get(i + 1) == Some(&q) {
                value
                    .get_or_insert_with(String::new)
                    .push_str(&text[seg..=i]);
                i += 2;
                seg = i;
                continue;
            }
            let v = match value {
                Some(mut v) => {
                    v.push_str(&text[seg..i]);
                    v
                }
                None => text[seg..i].to_string(),
            };
            return Some((v, i + 1));
        }
        i += 1;
    }
}
