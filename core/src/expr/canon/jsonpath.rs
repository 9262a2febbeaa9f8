//! jsonpath_in + jsonpath_out for a common subset of the language (accessors, filters,
//! comparisons, boolean and arithmetic operators, a few methods). Anything else yields
//! `None` (not interpretable offline).

use super::lit::{json_quote, numeric, JsonParser};

#[derive(Debug)]
enum P {
    Root,
    Current,
    Last,
    Var(String),
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Bin(&'static str, Box<P>, Box<P>),
    Unary(char, Box<P>),
    Not(Box<P>),
    IsUnknown(Box<P>),
    Exists(Box<P>),
    LikeRegex(Box<P>, String, Option<String>),
    /// A primary followed by accessors.
    Chain(Box<P>, Vec<Acc>),
}

#[derive(Debug)]
enum Acc {
    Key(String),
    AnyKey,
    AnyArray,
    Index(Vec<(P, Option<P>)>),
    Filter(P),
    Method(&'static str),
}

fn prio(p: &P) -> u8 {
    match p {
        P::Bin("||", ..) => 0,
        P::Bin("&&", ..) => 1,
        P::Bin("==" | "!=" | "<" | ">" | "<=" | ">=" | "starts with", ..) => 2,
        P::Bin("+" | "-", ..) => 3,
        P::Bin("*" | "/" | "%", ..) => 4,
        P::Unary(..) => 5,
        _ => 6,
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s.as_bytes()[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.as_bytes().get(self.i).copied()
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> Option<&'a str> {
        self.ws();
        let b = self.s.as_bytes();
        let st = self.i;
        while self.i < b.len()
            && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'_' || b[self.i] >= 0x80)
        {
            self.i += 1;
        }
        if self.i == st {
            None
        } else {
            Some(&self.s[st..self.i])
        }
    }
    fn peek_word(&mut self) -> Option<&'a str> {
        let save = self.i;
        let w = self.word();
        self.i = save;
        w
    }
    fn string(&mut self) -> Option<String> {
        self.ws();
        let mut jp = JsonParser {
            s: self.s.as_bytes(),
            i: self.i,
        };
        let v = jp.string()?;
        self.i = jp.i;
        Some(v)
    }

    fn or(&mut self) -> Option<P> {
        let mut l = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            l = P::Bin("||", Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn and(&mut self) -> Option<P> {
        let mut l = self.not()?;
        while self.eat("&&") {
            let r = self.not()?;
            l = P::Bin("&&", Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn not(&mut self) -> Option<P> {
        if self.peek() == Some(b'!') && !self.s[self.i..].starts_with("!=") {
            self.i += 1;
            if !self.eat("(") {
                return None;
            }
            let e = self.or()?;
            if !self.eat(")") {
                return None;
            }
            return Some(P::Not(Box::new(e)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Option<P> {
        if self.peek_word() == Some("exists") {
            self.word();
            if !self.eat("(") {
                return None;
            }
            let e = self.or()?;
            if !self.eat(")") {
                return None;
            }
            return Some(P::Exists(Box::new(e)));
        }
        let l = self.add()?;
        for (t, name) in [
            ("==", "=="),
            ("!=", "!="),
            ("<>", "!="),
            ("<=", "<="),
            (">=", ">="),
            ("<", "<"),
            (">", ">"),
        ] {
            if self.eat(t) {
                let r = self.add()?;
                return Some(P::Bin(name, Box::new(l), Box::new(r)));
            }
        }
        match self.peek_word() {
            Some("like_regex") => {
                self.word();
                let pat = self.string()?;
                let flags = if self.peek_word() == Some("flag") {
                    self.word();
                    let f = self.string()?;
                    if !f.chars().all(|c| "ismxq".contains(c)) {
                        return None;
                    }
                    Some(f)
                } else {
                    None
                };
                Some(P::LikeRegex(Box::new(l), pat, flags))
            }
            Some("starts") => {
                self.word();
                if self.word() != Some("with") {
                    return None;
                }
                let r = if self.peek() == Some(b'"') {
                    P::Str(self.string()?)
                } else {
                    self.primary()?
                };
                Some(P::Bin("starts with", Box::new(l), Box::new(r)))
            }
            Some("is") => {
                self.word();
                if self.word() != Some("unknown") {
                    return None;
                }
                Some(P::IsUnknown(Box::new(l)))
            }
            _ => Some(l),
        }
    }
    fn add(&mut self) -> Option<P> {
        let mut l = self.mul()?;
        loop {
            let op = if self.eat("+") {
                "+"
            } else if self.peek() == Some(b'-') {
                self.i += 1;
                "-"
            } else {
                break;
            };
            let r = self.mul()?;
            l = P::Bin(op, Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn mul(&mut self) -> Option<P> {
        let mut l = self.unary()?;
        loop {
            let op = if self.peek() == Some(b'*') && !self.s[self.i..].starts_with("**") {
                self.i += 1;
                "*"
            } else if self.eat("/") {
                "/"
            } else if self.eat("%") {
                "%"
            } else {
                break;
            };
            let r = self.unary()?;
            l = P::Bin(op, Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn unary(&mut self) -> Option<P> {
        if self.eat("-") {
            return Some(P::Unary('-', Box::new(self.unary()?)));
        }
        if self.eat("+") {
            return Some(P::Unary('+', Box::new(self.unary()?)));
        }
        self.accessor_expr()
    }
    fn accessor_expr(&mut self) -> Option<P> {
        let prim = self.primary()?;
        let mut accs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') => {
                    self.i += 1;
                    if self.s[self.i..].starts_with('*') {
                        if self.s[self.i..].starts_with("**") {
                            return None;
                        }
                        self.i += 1;
                        accs.push(Acc::AnyKey);
                    } else if self.s[self.i..].starts_with('"') {
                        accs.push(Acc::Key(self.string()?));
                    } else {
                        let w = self.word()?;
                        if self.s[self.i..].starts_with('(') {
                            let m = match w {
                                "type" => "type",
                                "size" => "size",
                                "double" => "double",
                                "ceiling" => "ceiling",
                                "floor" => "floor",
                                "abs" => "abs",
                                "keyvalue" => "keyvalue",
                                _ => return None,
                            };
                            self.i += 1;
                            if !self.eat(")") {
                                return None;
                            }
                            accs.push(Acc::Method(m));
                        } else {
                            accs.push(Acc::Key(w.to_string()));
                        }
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    if self.eat("*") {
                        if !self.eat("]") {
                            return None;
                        }
                        accs.push(Acc::AnyArray);
                    } else {
                        let mut subs = Vec::new();
                        loop {
                            let a = self.add()?;
                            let b = if self.peek_word() == Some("to") {
                                self.word();
                                Some(self.add()?)
                            } else {
                                None
                            };
                            subs.push((a, b));
                            if self.eat(",") {
                                continue;
                            }
                            if self.eat("]") {
                                break;
                            }
                            return None;
                        }
                        accs.push(Acc::Index(subs));
                    }
                }
                Some(b'?') => {
                    self.i += 1;
                    if !self.eat("(") {
                        return None;
                    }
                    let e = self.or()?;
                    if !self.eat(")") {
                        return None;
                    }
                    accs.push(Acc::Filter(e));
                }
                _ => break,
            }
        }
        if accs.is_empty() {
            Some(prim)
        } else {
            Some(P::Chain(Box::new(prim), accs))
        }
    }
    fn primary(&mut self) -> Option<P> {
        match self.peek()? {
            b'$' => {
                self.i += 1;
                if self.s[self.i..].starts_with('"') {
                    return Some(P::Var(self.string()?));
                }
                let b = self.s.as_bytes();
                if self.i < b.len() && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'_') {
                    return Some(P::Var(self.word()?.to_string()));
                }
                Some(P::Root)
            }
            b'@' => {
                self.i += 1;
                Some(P::Current)
            }
            b'"' => Some(P::Str(self.string()?)),
            b'(' => {
                self.i += 1;
                let e = self.or()?;
                if !self.eat(")") {
                    return None;
                }
                Some(e)
            }
            c if c.is_ascii_digit() || c == b'.' => {
                let st = self.i;
                let b = self.s.as_bytes();
                while self.i < b.len()
                    && (b[self.i].is_ascii_digit()
                        || b[self.i] == b'.'
                        || b[self.i] == b'e'
                        || b[self.i] == b'E'
                        || ((b[self.i] == b'+' || b[self.i] == b'-')
                            && matches!(b[self.i - 1], b'e' | b'E')))
                {
                    self.i += 1;
                }
                let t = &self.s[st..self.i];
                if t.ends_with('.') {
                    return None;
                }
                Some(P::Num(numeric(t)?))
            }
            _ => match self.word()? {
                "true" => Some(P::Bool(true)),
                "false" => Some(P::Bool(false)),
                "null" => Some(P::Null),
                "last" => Some(P::Last),
                _ => None,
            },
        }
    }
}

fn print(p: &P, brackets: bool, out: &mut String) {
    match p {
        P::Root => out.push('$'),
        P::Current => out.push('@'),
        P::Last => out.push_str("last"),
        P::Var(v) => {
            out.push('$');
            json_quote(v, out);
        }
        P::Null => out.push_str("null"),
        P::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        P::Num(n) => out.push_str(n),
        P::Str(s) => json_quote(s, out),
        P::Bin(op, l, r) => {
            if brackets {
                out.push('(');
            }
            print(l, prio(l) <= prio(p), out);
            out.push(' ');
            out.push_str(op);
            out.push(' ');
            print(r, prio(r) <= prio(p), out);
            if brackets {
                out.push(')');
            }
        }
        P::Unary(c, a) => {
            if brackets {
                out.push('(');
            }
            out.push(*c);
            print(a, prio(a) <= prio(p), out);
            if brackets {
                out.push(')');
            }
        }
        P::Not(a) => {
            out.push_str("!(");
            print(a, false, out);
            out.push(')');
        }
        P::IsUnknown(a) => {
            out.push('(');
            print(a, false, out);
            out.push_str(") is unknown");
        }
        P::Exists(a) => {
            out.push_str("exists (");
            print(a, false, out);
            out.push(')');
        }
        P::LikeRegex(a, pat, flags) => {
            if brackets {
                out.push('(');
            }
            print(a, prio(a) <= prio(p), out);
            out.push_str(" like_regex ");
            json_quote(pat, out);
            if let Some(f) = flags {
                // printed in a fixed order
                let mut fl = String::new();
                for c in ['i', 's', 'm', 'x', 'q'] {
                    if f.contains(c) {
                        fl.push(c);
                    }
                }
                out.push_str(" flag ");
                json_quote(&fl, out);
            }
            if brackets {
                out.push(')');
            }
        }
        P::Chain(prim, accs) => {
            if matches!(**prim, P::Num(_)) {
                out.push('(');
                print(prim, true, out);
                out.push(')');
            } else {
                print(prim, true, out);
            }
            for a in accs {
                match a {
                    Acc::Key(k) => {
                        out.push('.');
                        json_quote(k, out);
                    }
                    Acc::AnyKey => out.push_str(".*"),
                    Acc::AnyArray => out.push_str("[*]"),
                    Acc::Index(subs) => {
                        out.push('[');
                        for (k, (a, b)) in subs.iter().enumerate() {
                            if k > 0 {
                                out.push(',');
                            }
                            print(a, true, out);
                            if let Some(b) = b {
                                out.push_str(" to ");
                                print(b, true, out);
                            }
                        }
                        out.push(']');
                    }
                    Acc::Filter(e) => {
                        out.push_str("?(");
                        print(e, false, out);
                        out.push(')');
                    }
                    Acc::Method(m) => {
                        out.push('.');
                        out.push_str(m);
                        out.push_str("()");
                    }
                }
            }
        }
    }
}

pub fn normalize(s: &str) -> Option<String> {
    let mut p = Parser { s, i: 0 };
    let mut out = String::new();
    match p.peek_word() {
        Some("strict") => {
            p.word();
            out.push_str("strict ");
        }
        Some("lax") => {
            p.word();
        }
        _ => {}
    }
    let e = p.or()?;
    p.ws();
    if p.i != s.len() {
        return None;
    }
    print(&e, true, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths() {
        for (i, o) in [
            (
                r#"$.tags[*] ? (@ == "public")"#,
                r#"$."tags"[*]?(@ == "public")"#,
            ),
            (
                r#"$."tags"[*]?(@ == "public")"#,
                r#"$."tags"[*]?(@ == "public")"#,
            ),
            ("$.a.b", r#"$."a"."b""#),
            ("strict $.a", r#"strict $."a""#),
            ("lax $.a[0]", r#"$."a"[0]"#),
            (
                "$.a ? (@.x > 1 && @.y <> 2)",
                r#"$."a"?(@."x" > 1 && @."y" != 2)"#,
            ),
            ("$.a == 1", r#"($."a" == 1)"#),
        ] {
            assert_eq!(super::normalize(i).as_deref(), Some(o), "{i}");
        }
        assert!(super::normalize("$.a ?").is_none());
    }
}
