//! A small SQL lexer with byte offsets, for splitting files into statements and for
//! reading the statements pgpolicy understands while keeping the exact source text of
//! policy expressions (a re-printed expression would not be what the user wrote).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted word (identifier or keyword).
    Word,
    /// A double-quoted identifier.
    Quoted,
    /// A string literal in any form ('', E'', $$ $$, U&'').
    String,
    Number,
    /// Operators and punctuation other than the ones below.
    Op,
    LParen,
    RParen,
    Comma,
    Semicolon,
    Dot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }

    /// Whether this is the unquoted keyword `kw` (case-insensitive).
    pub fn is_kw(&self, src: &str, kw: &str) -> bool {
        self.kind == Kind::Word && self.text(src).eq_ignore_ascii_case(kw)
    }

    /// The identifier this token names: unquoted words fold to lower case, quoted ones
    /// keep their case with `""` undoubled.
    pub fn ident(&self, src: &str) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text(src).to_lowercase()),
            Kind::Quoted => {
                let t = self.text(src);
                Some(t[1..t.len() - 1].replace("\"\"", "\""))
            }
            _ => None,
        }
    }

    /// The value of a plain or E'' string literal.
    pub fn string_value(&self, src: &str) -> Option<String> {
        if self.kind != Kind::String {
            return None;
        }
        let t = self.text(src);
        if let Some(body) = t.strip_prefix('\'') {
            return Some(body[..body.len() - 1].replace("''", "'"));
        }
        if let Some(body) = t.strip_prefix("E'").or_else(|| t.strip_prefix("e'")) {
            let body = &body[..body.len() - 1];
            let mut out = String::new();
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some(o) => out.push(o),
                        None => {}
                    },
                    '\'' => {
                        chars.next();
                        out.push('\'');
                    }
                    _ => out.push(c),
                }
            }
            return Some(out);
        }
        if let Some(after) = t.strip_prefix('$') {
            let tag_end = after.find('$')? + 2;
            return Some(t[tag_end..t.len() - tag_end].to_string());
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

/// Tokens of `src`, comments and white space dropped.
pub fn tokenize(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            // PostgreSQL ends a `--` comment at a line feed *or* a carriage return.
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                if depth != 0 {
                    return Err(LexError {
                        offset: start,
                        message: "unterminated /* comment".into(),
                    });
                }
                continue;
            }
            b'\'' => {
                i = end_of_quoted(b, i + 1, b'\'', false).ok_or(LexError {
                    offset: start,
                    message: "unterminated string literal".into(),
                })?;
                out.push(Token {
                    kind: Kind::String,
                    start,
                    end: i,
                });
            }
            b'E' | b'e' if b.get(i + 1) == Some(&b'\'') => {
                i = end_of_quoted(b, i + 2, b'\'', true).ok_or(LexError {
                    offset: start,
                    message: "unterminated string literal".into(),
                })?;
                out.push(Token {
                    kind: Kind::String,
                    start,
                    end: i,
                });
            }
            b'"' => {
                i = end_of_quoted(b, i + 1, b'"', false).ok_or(LexError {
                    offset: start,
                    message: "unterminated quoted identifier".into(),
                })?;
                out.push(Token {
                    kind: Kind::Quoted,
                    start,
                    end: i,
                });
            }
            b'$' => {
                // $tag$ ... $tag$ or a positional parameter $1.
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] >= 0x80)
                {
                    j += 1;
                }
                if j < b.len()
                    && b[j] == b'$'
                    && !b[i + 1..j].first().is_some_and(|d| d.is_ascii_digit())
                {
                    let tag = &src[i..=j];
                    let body_start = j + 1;
                    match src[body_start..].find(tag) {
                        Some(k) => {
                            i = body_start + k + tag.len();
                            out.push(Token {
                                kind: Kind::String,
                                start,
                                end: i,
                            });
                        }
                        None => {
                            return Err(LexError {
                                offset: start,
                                message: "unterminated dollar-quoted string".into(),
                            })
                        }
                    }
                } else {
                    i = j.max(i + 1);
                    out.push(Token {
                        kind: Kind::Op,
                        start,
                        end: i,
                    });
                }
            }
            b'(' => {
                i += 1;
                out.push(Token {
                    kind: Kind::LParen,
                    start,
                    end: i,
                });
            }
            b')' => {
                i += 1;
                out.push(Token {
                    kind: Kind::RParen,
                    start,
                    end: i,
                });
            }
            b',' => {
                i += 1;
                out.push(Token {
                    kind: Kind::Comma,
                    start,
                    end: i,
                });
            }
            b';' => {
                i += 1;
                out.push(Token {
                    kind: Kind::Semicolon,
                    start,
                    end: i,
                });
            }
            b'.' if !b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                i += 1;
                out.push(Token {
                    kind: Kind::Dot,
                    start,
                    end: i,
                });
            }
            b'0'..=b'9' | b'.' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    // Exponent sign: 1e-3
                    if (b[i] == b'e' || b[i] == b'E')
                        && matches!(b.get(i + 1), Some(b'+') | Some(b'-'))
                    {
                        i += 1;
                    }
                    i += 1;
                }
                out.push(Token {
                    kind: Kind::Number,
                    start,
                    end: i,
                });
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || b[i] == b'$'
                        || b[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Token {
                    kind: Kind::Word,
                    start,
                    end: i,
                });
            }
            _ => {
                // Operator characters run together (PostgreSQL's rule, simplified).
                const OPS: &[u8] = b"+-*/<>=~!@#%^&|`?:[]{}";
                i += 1;
                while i < b.len()
                    && OPS.contains(&b[i])
                    && !matches!(b[i], b'[' | b']' | b'{' | b'}')
                    && !matches!(c, b'[' | b']' | b'{' | b'}')
                {
                    if (b[i] == b'-' && b.get(i + 1) == Some(&b'-'))
                        || (b[i] == b'/' && b.get(i + 1) == Some(&b'*'))
                    {
                        break;
                    }
                    i += 1;
                }
                out.push(Token {
                    kind: Kind::Op,
                    start,
                    end: i,
                });
            }
        }
    }
    Ok(out)
}

fn end_of_quoted(b: &[u8], mut i: usize, q: u8, backslash: bool) -> Option<usize> {
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// Splits tokens into statements at top-level semicolons (empty statements dropped).
pub fn statements(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.kind == Kind::Semicolon {
            if i > start {
                out.push(&tokens[start..i]);
            }
            start = i + 1;
        }
    }
    if start < tokens.len() {
        out.push(&tokens[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_return_ends_a_comment() {
        // The server reads `)` after `\r` as code: so must pgpolicy.
        let toks = tokenize("true -- c\r) ; x").unwrap();
        assert!(toks.iter().any(|t| t.kind == Kind::RParen));
        assert!(toks.iter().any(|t| t.kind == Kind::Semicolon));
    }

    #[test]
    fn lexes() {
        let src = "CREATE POLICY \"a\"\"b\" ON t USING (x = 'it''s' AND y = $$;$$); -- c\nSELECT 1";
        let toks = tokenize(src).unwrap();
        let stmts = statements(&toks);
        assert_eq!(stmts.len(), 2);
        assert_eq!(stmts[0][2].ident(src).unwrap(), "a\"b");
        assert!(stmts[0].iter().any(|t| t.text(src) == "$$;$$"));
    }
}
