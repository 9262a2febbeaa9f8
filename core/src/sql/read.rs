//! Reading a `.sql` file into the IR: CREATE TABLE (columns and types), ALTER TABLE ...
//! ROW LEVEL SECURITY, CREATE POLICY, COMMENT ON POLICY, CREATE ROLE, ALTER ROLE, GRANT and
//! REVOKE (on tables, columns, sequences, schemas and functions).
//! Any other statement is skipped with a warning that names it; nothing is guessed.
//! Policy expressions keep their exact source text.

use super::lex::{self, Kind, Token};
use crate::error::Error;
use crate::ir::*;

/// Reads SQL text. Unqualified tables go to `public`. Returns the schema and one warning
/// per statement that was skipped.
/// The schema is in file order; [`Schema::normalize`] sorts it.
pub fn read_sql(src: &str) -> Result<(Schema, Vec<String>), Error> {
    let tokens = lex::tokenize(src).map_err(|e| {
        let (line, col) = line_col(src, e.offset);
        Error::Source(format!("SQL at line {line}, column {col}: {}", e.message))
    })?;
    let mut schema = Schema {
        catalog: crate::expr::canon::Catalog::from_sql(src, "public"),
        ..Schema::default()
    };
    let mut warnings = Vec::new();
    let mut acl = Vec::new();
    let mut defaults = Vec::new();
    let mut prev_end = None;
    for stmt in lex::statements(&tokens) {
        let mut r = Reader {
            src,
            toks: stmt,
            pos: 0,
            declared: None,
        };
        let disabled = lint_opt_out(src, stmt, prev_end);
        prev_end = stmt.last().map(|t| t.end);
        match r.statement(&mut schema, &mut acl, &mut defaults) {
            Ok(Handled::Yes) => {
                if let Some(ids) = disabled {
                    let (line, _) = line_col(src, stmt[0].start);
                    match r.declared.take() {
                        Some((s, t, policy)) => {
                            let table = schema.table_entry(&s, &t);
                            let target = match policy {
                                Some(p) => table.policies.iter_mut().find(|x| x.name == p).map(|x| &mut x.lint_allow),
                                None => Some(&mut table.lint_allow),
                            };
                            if let Some(list) = target {
                                for id in ids {
                                    if !list.contains(&id) {
                                        list.push(id);
                                    }
                                }
                            }
                        }
                        None => warnings.push(format!(
                            "line {line}: a pgpolicy-lint comment on a statement that declares no table or policy is ignored: {}",
                            r.summary()
                        )),
                    }
                }
            }
            Ok(Handled::Skipped(what)) => {
                let (line, _) = line_col(src, stmt[0].start);
                warnings.push(format!("line {line}: skipped {what}: {}", r.summary()));
            }
            Err(msg) => {
                let at = stmt
                    .get(r.pos.min(stmt.len() - 1))
                    .map(|t| t.start)
                    .unwrap_or(0);
                let (line, col) = line_col(src, at);
                return Err(Error::Source(format!(
                    "SQL at line {line}, column {col}: {msg} in: {}",
                    r.summary()
                )));
            }
        }
    }
    schema.grants = fold_acl(acl);
    // The last definition of each function is the one the file leaves.
    let mut last = std::collections::HashMap::new();
    for (i, f) in schema.functions.iter().enumerate() {
        last.insert((f.schema.clone(), f.name.clone(), f.args.clone()), i);
    }
    let mut i = 0;
    schema.functions.retain(|f| {
        let keep = last.get(&(f.schema.clone(), f.name.clone(), f.args.clone())) == Some(&i);
        i += 1;
        keep
    });
    schema.default_privileges = fold_defaults(defaults);
    Ok((schema, warnings))
}

/// Reads a `.sql` file (see [`read_sql`]); warnings are returned, not printed.
pub fn read_sql_file(path: &std::path::Path) -> Result<(Schema, Vec<String>), Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Source(format!("cannot read {}: {e}", path.display())))?;
    read_sql(&text).map_err(|e| match e {
        Error::Source(m) => Error::Source(format!("{}: {m}", path.display())),
        other => other,
    })
}

/// Line and column of a byte offset; a line ends at `\n`, `\r\n` or a lone `\r`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let b = before.as_bytes();
    let mut line = 1;
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            line += 1;
            start = i + 1;
        }
    }
    (line, before.len() - start + 1)
}

enum Handled {
    Yes,
    Skipped(&'static str),
}

struct Reader<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    /// The table (and policy) the statement declared: where a `pgpolicy-lint` comment
    /// on it applies.
    declared: Option<(String, String, Option<String>)>,
}

/// The lint rules a `-- pgpolicy-lint: disable=rule_a, rule_b` comment (or `disable=all`)
/// opts a statement out of: a comment on the lines before it (after the line the previous
/// statement ends on), inside it, or after it on its last line. `None` without one.
fn lint_opt_out(src: &str, stmt: &[Token], prev_end: Option<usize>) -> Option<Vec<String>> {
    let line_end = |at: usize| src[at..].find('\n').map_or(src.len(), |i| at + i);
    let (first, last) = (stmt.first()?, stmt.last()?);
    let from = prev_end.map_or(0, line_end).min(first.start);
    // Only the text between tokens: comments (and whitespace), never code or strings.
    let mut gaps = vec![&src[from..first.start]];
    gaps.extend(stmt.windows(2).map(|w| &src[w[0].end..w[1].start]));
    gaps.push(&src[last.end..line_end(last.end)]);
    let mut out: Option<Vec<String>> = None;
    for gap in gaps {
        let lower = gap.to_ascii_lowercase();
        let mut rest = lower.as_str();
        while let Some(i) = rest.find("pgpolicy-lint:") {
            rest = &rest[i + "pgpolicy-lint:".len()..];
            let Some(list) = rest.trim_start().strip_prefix("disable=") else {
                continue;
            };
            let ids = out.get_or_insert_with(Vec::new);
            for item in list.split(',') {
                let id: String = item
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if id.is_empty() {
                    break;
                }
                let ends = item.trim_start().len() > id.len();
                ids.push(id);
                if ends {
                    break;
                }
            }
        }
    }
    out
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn summary(&self) -> String {
        let first = self.toks[0].start;
        let last = self.toks[self.toks.len() - 1].end;
        let text: String = self.src[first..last]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.chars().count() > 80 {
            format!("{}...", text.chars().take(77).collect::<String>())
        } else {
            text
        }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(self.src, kw))
    }

    fn peek_kw_at(&self, off: usize, kw: &str) -> bool {
        self.toks
            .get(self.pos + off)
            .is_some_and(|t| t.is_kw(self.src, kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_kws(&mut self, kws: &[&str]) -> bool {
        if kws.iter().enumerate().all(|(i, k)| self.peek_kw_at(i, k)) {
            self.pos += kws.len();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> R<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(format!("expected {kw}, found {}", self.found()))
        }
    }

    fn eat(&mut self, kind: Kind) -> bool {
        if self.peek().is_some_and(|t| t.kind == kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(t) => format!("{:?}", t.text(self.src)),
            None => "end of statement".into(),
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn ident(&mut self) -> R<String> {
        match self.peek() {
            Some(t) if matches!(t.kind, Kind::Word | Kind::Quoted) => {
                self.pos += 1;
                Ok(t.ident(self.src).expect("identifier"))
            }
            _ => Err(format!("expected a name, found {}", self.found())),
        }
    }

    /// `[schema.]name`, with `public` for an unqualified name.
    fn qualified(&mut self) -> R<(String, String)> {
        let first = self.ident()?;
        if self.eat(Kind::Dot) {
            let second = self.ident()?;
            Ok((first, second))
        } else {
            Ok(("public".into(), first))
        }
    }

    fn role_spec(&mut self) -> R<RoleSpec> {
        let t = self.peek().ok_or("expected a role")?;
        let spec = if t.kind == Kind::Word {
            match t.text(self.src).to_ascii_lowercase().as_str() {
                "public" => RoleSpec::Public,
                "current_user" => RoleSpec::CurrentUser,
                "current_role" => RoleSpec::CurrentRole,
                "session_user" => RoleSpec::SessionUser,
                _ => RoleSpec::Named(t.ident(self.src).unwrap()),
            }
        } else if t.kind == Kind::Quoted {
            RoleSpec::Named(t.ident(self.src).unwrap())
        } else {
            return Err(format!("expected a role, found {}", self.found()));
        };
        self.pos += 1;
        Ok(spec)
    }

    /// The exact source text inside the parentheses that start at the cursor.
    fn parenthesized_text(&mut self) -> R<String> {
        if !self.eat(Kind::LParen) {
            return Err(format!("expected (, found {}", self.found()));
        }
        let open = self.toks[self.pos - 1].end;
        let mut depth = 1;
        while let Some(t) = self.peek() {
            self.pos += 1;
            match t.kind {
                Kind::LParen => depth += 1,
                Kind::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(self.src[open..t.start].trim().to_string());
                    }
                }
                _ => {}
            }
        }
        Err("unbalanced parentheses".into())
    }

    fn statement(
        &mut self,
        schema: &mut Schema,
        acl: &mut Vec<AclEvent>,
        defaults: &mut Vec<DefaultEvent>,
    ) -> R<Handled> {
        if self.eat_kw("create") {
            self.eat_kws(&["or", "replace"]);
            if self.eat_kw("policy") {
                return self.create_policy(schema).map(|_| Handled::Yes);
            }
            if self.eat_kw("function") {
                return self.create_function(schema);
            }
            if self.eat_kw("role") || self.eat_kw("user") {
                let login = self.toks[self.pos - 1].is_kw(self.src, "user");
                return self.create_role(schema, login).map(|_| Handled::Yes);
            }
            // CREATE [UNLOGGED | TEMP] TABLE
            let save = self.pos;
            self.eat_kw("unlogged");
            if self.eat_kw("table") {
                return self.create_table(schema);
            }
            self.pos = save;
            return Ok(Handled::Skipped("statement"));
        }
        if self.eat_kws(&["alter", "table"]) {
            return self.alter_table(schema);
        }
        if self.eat_kws(&["alter", "default", "privileges"]) {
            return self.alter_default_privileges(defaults);
        }
        if self.eat_kws(&["alter", "role"]) || self.eat_kws(&["alter", "user"]) {
            return self.alter_role(schema);
        }
        if self.eat_kws(&["comment", "on", "policy"]) {
            return self.comment_on_policy(schema).map(|_| Handled::Yes);
        }
        if self.eat_kw("grant") {
            return self.grant(schema, acl);
        }
        if self.eat_kw("revoke") {
            return self.revoke(acl, schema);
        }
        Ok(Handled::Skipped("statement"))
    }

    fn create_policy(&mut self, schema: &mut Schema) -> R<()> {
        let name = self.ident()?;
        self.expect_kw("on")?;
        let (s, t) = self.qualified()?;
        let mut policy = Policy::new(name);
        if self.eat_kw("as") {
            if self.eat_kw("permissive") {
                policy.permissive = true;
            } else if self.eat_kw("restrictive") {
                policy.permissive = false;
            } else {
                return Err(format!(
                    "expected PERMISSIVE or RESTRICTIVE, found {}",
                    self.found()
                ));
            }
        }
        if self.eat_kw("for") {
            let word = self.peek().map(|t| t.text(self.src)).unwrap_or("");
            policy.command = Command::parse(word)
                .filter(|_| self.peek().is_some_and(|t| t.kind == Kind::Word))
                .ok_or_else(|| format!("unknown policy command {}", self.found()))?;
            self.pos += 1;
        }
        if self.eat_kw("to") {
            policy.roles = vec![self.role_spec()?];
            while self.eat(Kind::Comma) {
                policy.roles.push(self.role_spec()?);
            }
        }
        if self.eat_kw("using") {
            policy.using = Some(self.parenthesized_text()?);
        }
        if self.eat_kws(&["with", "check"]) {
            policy.with_check = Some(self.parenthesized_text()?);
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        let table = schema.table_entry(&s, &t);
        if table.policy(&policy.name).is_some() {
            return Err(format!(
                "policy {:?} is defined twice on {s}.{t}",
                policy.name
            ));
        }
        self.declared = Some((s.clone(), t.clone(), Some(policy.name.clone())));
        table.policies.push(policy);
        Ok(())
    }

    fn comment_on_policy(&mut self, schema: &mut Schema) -> R<()> {
        let name = self.ident()?;
        self.expect_kw("on")?;
        let (s, t) = self.qualified()?;
        self.expect_kw("is")?;
        let comment = if self.eat_kw("null") {
            None
        } else {
            let tok = self.peek().ok_or("expected a string")?;
            let v = tok
                .string_value(self.src)
                .ok_or_else(|| format!("expected a string, found {}", self.found()))?;
            self.pos += 1;
            Some(v)
        };
        let table = schema.table_mut(&s, &t).ok_or_else(|| {
            format!("COMMENT ON POLICY {name:?} before its table {s}.{t} has policies")
        })?;
        let p = table
            .policies
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                format!("COMMENT ON POLICY names an unknown policy {name:?} on {s}.{t}")
            })?;
        p.comment = comment;
        Ok(())
    }

    fn role_options(&mut self, role: &mut Role) -> R<()> {
        self.eat_kw("with");
        while !self.at_end() {
            let t = self.peek().unwrap();
            let w = t.text(self.src).to_ascii_lowercase();
            self.pos += 1;
            match w.as_str() {
                "login" => role.login = true,
                "nologin" => role.login = false,
                "inherit" => role.inherit = true,
                "noinherit" => role.inherit = false,
                "bypassrls" => role.bypassrls = true,
                "nobypassrls" => role.bypassrls = false,
                "superuser" | "nosuperuser" | "createdb" | "nocreatedb" | "createrole"
                | "nocreaterole" | "replication" | "noreplication" => {}
                "connection" => {
                    self.expect_kw("limit")?;
                    let t = self.peek().ok_or("expected a connection limit")?;
                    let text = t.text(self.src);
                    let negative = text == "-";
                    if negative {
                        self.pos += 1;
                    }
                    let n: i32 = self
                        .peek()
                        .filter(|t| t.kind == Kind::Number)
                        .and_then(|t| t.text(self.src).parse().ok())
                        .ok_or_else(|| {
                            format!("expected a connection limit, found {}", self.found())
                        })?;
                    self.pos += 1;
                    role.connection_limit = Some(if negative { -n } else { n });
                }
                "encrypted" | "unencrypted" => {}
                "password" | "valid" | "sysid" => {
                    if w == "valid" {
                        self.expect_kw("until")?;
                    }
                    self.pos += 1;
                }
                "in" | "role" | "admin" | "user" => {
                    if w == "in" {
                        self.eat_kw("role");
                        self.eat_kw("group");
                        loop {
                            role.member_of.push(self.ident()?);
                            if !self.eat(Kind::Comma) {
                                break;
                            }
                        }
                    } else {
                        return Err(format!("{} in CREATE ROLE is not supported; declare member_of on the member role", w.to_uppercase()));
                    }
                }
                _ => return Err(format!("unknown role option {:?}", t.text(self.src))),
            }
        }
        Ok(())
    }

    fn create_role(&mut self, schema: &mut Schema, login: bool) -> R<()> {
        let name = self.ident()?;
        let mut role = Role::new(name);
        role.login = login;
        self.role_options(&mut role)?;
        if schema.role(&role.name).is_some() {
            return Err(format!("role {:?} is created twice", role.name));
        }
        schema.roles.push(role);
        Ok(())
    }

    fn alter_role(&mut self, schema: &mut Schema) -> R<Handled> {
        let name = self.ident()?;
        let Some(pos) = schema.roles.iter().position(|r| r.name == name) else {
            return Ok(Handled::Skipped(
                "ALTER ROLE of a role not created in this file",
            ));
        };
        if self.peek_kw("rename") || self.peek_kw("set") || self.peek_kw("reset") {
            return Ok(Handled::Skipped("ALTER ROLE"));
        }
        let mut role = schema.roles[pos].clone();
        self.role_options(&mut role)?;
        schema.roles[pos] = role;
        Ok(Handled::Yes)
    }

    fn create_table(&mut self, schema: &mut Schema) -> R<Handled> {
        self.eat_kws(&["if", "not", "exists"]);
        let (s, t) = self.qualified()?;
        self.declared = Some((s.clone(), t.clone(), None));
        if !self.eat(Kind::LParen) {
            return Ok(Handled::Skipped("CREATE TABLE without a column list"));
        }
        let mut columns = Vec::new();
        loop {
            if self.eat(Kind::RParen) {
                break;
            }
            let starts_constraint = [
                "constraint",
                "primary",
                "foreign",
                "unique",
                "check",
                "exclude",
                "like",
            ]
            .iter()
            .any(|k| self.peek_kw(k));
            let element_start = self.pos;
            // Find the end of this element: a comma or the closing paren at depth 0.
            let mut depth = 0;
            let mut end = self.pos;
            while end < self.toks.len() {
                match self.toks[end].kind {
                    Kind::LParen => depth += 1,
                    Kind::RParen if depth == 0 => break,
                    Kind::RParen => depth -= 1,
                    Kind::Comma if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            if end >= self.toks.len() {
                return Err("unbalanced parentheses in CREATE TABLE".into());
            }
            if !starts_constraint {
                let name = self.ident()?;
                let type_start = self.pos;
                let mut type_end = type_start;
                const STOP: &[&str] = &[
                    "not",
                    "null",
                    "default",
                    "primary",
                    "references",
                    "unique",
                    "check",
                    "constraint",
                    "generated",
                    "collate",
                ];
                let mut d = 0;
                while type_end < end {
                    let tk = &self.toks[type_end];
                    match tk.kind {
                        Kind::LParen => d += 1,
                        Kind::RParen => d -= 1,
                        _ => {}
                    }
                    if d == 0 && STOP.iter().any(|k| tk.is_kw(self.src, k)) {
                        break;
                    }
                    type_end += 1;
                }
                if type_end == type_start {
                    return Err(format!("column {name:?} has no type"));
                }
                let data_type = self.src[self.toks[type_start].start..self.toks[type_end - 1].end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                let rest = &self.toks[type_end..end];
                let not_null = rest
                    .windows(2)
                    .any(|w| w[0].is_kw(self.src, "not") && w[1].is_kw(self.src, "null"))
                    || rest
                        .windows(2)
                        .any(|w| w[0].is_kw(self.src, "primary") && w[1].is_kw(self.src, "key"));
                let serial = [
                    "serial",
                    "bigserial",
                    "smallserial",
                    "serial4",
                    "serial8",
                    "serial2",
                ]
                .contains(&data_type.to_ascii_lowercase().as_str());
                columns.push(Column {
                    name,
                    data_type,
                    nullable: !(not_null || serial),
                });
            } else {
                // Table constraints: PRIMARY KEY (cols) makes those columns NOT NULL.
                let pk = (element_start..end).find(|&i| {
                    self.toks[i].is_kw(self.src, "primary")
                        && self
                            .toks
                            .get(i + 1)
                            .is_some_and(|t| t.is_kw(self.src, "key"))
                });
                if let Some(i) = pk {
                    for tk in &self.toks[i + 2..end] {
                        if let Some(n) = tk
                            .ident(self.src)
                            .filter(|_| matches!(tk.kind, Kind::Word | Kind::Quoted))
                        {
                            if let Some(c) = columns.iter_mut().find(|c: &&mut Column| c.name == n)
                            {
                                c.nullable = false;
                            }
                        }
                    }
                }
            }
            self.pos = end;
            self.eat(Kind::Comma);
        }
        let table = schema.table_entry(&s, &t);
        table.columns = columns;
        Ok(Handled::Yes)
    }

    fn alter_table(&mut self, schema: &mut Schema) -> R<Handled> {
        self.eat_kws(&["if", "exists"]);
        self.eat_kw("only");
        let (s, t) = self.qualified()?;
        self.declared = Some((s.clone(), t.clone(), None));
        let mut actions = Vec::new();
        loop {
            let action = if self.eat_kws(&["enable", "row", "level", "security"]) {
                (Some(true), None)
            } else if self.eat_kws(&["disable", "row", "level", "security"]) {
                (Some(false), None)
            } else if self.eat_kws(&["force", "row", "level", "security"]) {
                (None, Some(true))
            } else if self.eat_kws(&["no", "force", "row", "level", "security"]) {
                (None, Some(false))
            } else {
                return Ok(Handled::Skipped(
                    "ALTER TABLE other than ROW LEVEL SECURITY",
                ));
            };
            actions.push(action);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        let table = schema.table_entry(&s, &t);
        for (enabled, forced) in actions {
            if let Some(e) = enabled {
                table.rls.enabled = Some(e);
            }
            if let Some(f) = forced {
                table.rls.forced = Some(f);
            }
        }
        Ok(Handled::Yes)
    }

    /// `WITH ADMIN OPTION`, or PostgreSQL 16's `WITH {ADMIN | INHERIT | SET} {OPTION |
    /// TRUE | FALSE} [, ...]`, after a membership grant.
    fn membership_options(&mut self) -> R<MembershipOptions> {
        let mut o = MembershipOptions::default();
        if !self.eat_kw("with") {
            return Ok(o);
        }
        loop {
            let which = ["admin", "inherit", "set"]
                .into_iter()
                .find(|k| self.eat_kw(k))
                .ok_or_else(|| format!("expected ADMIN, INHERIT or SET, found {}", self.found()))?;
            let value = if self.eat_kw("option") || self.eat_kw("true") {
                true
            } else if self.eat_kw("false") {
                false
            } else {
                return Err(format!(
                    "expected OPTION, TRUE or FALSE, found {}",
                    self.found()
                ));
            };
            match which {
                "admin" => o.admin = value,
                "inherit" => o.inherit = Some(value),
                _ => o.set = Some(value),
            }
            if !self.eat(Kind::Comma) {
                return Ok(o);
            }
        }
    }

    fn grant(&mut self, schema: &mut Schema, acl: &mut Vec<AclEvent>) -> R<Handled> {
        // GRANT privileges ON object [, ...] TO grantee [, ...] [WITH GRANT OPTION]
        // or GRANT role [, ...] TO role [, ...] (membership).
        if !self.has_kw_before("on", "to") {
            let mut groups = Vec::new();
            while !self.peek_kw("to") {
                groups.push(self.ident()?);
                if !self.eat(Kind::Comma) {
                    break;
                }
            }
            self.expect_kw("to")?;
            let mut members = vec![self.ident()?];
            while self.eat(Kind::Comma) {
                members.push(self.ident()?);
            }
            let options = self.membership_options()?;
            if self.eat_kws(&["granted", "by"]) {
                self.role_spec()?;
            }
            if !self.at_end() {
                return Err(format!("unexpected {}", self.found()));
            }
            for m in members {
                let Some(role) = schema.roles.iter_mut().find(|r| r.name == m) else {
                    return Ok(Handled::Skipped(
                        "GRANT of membership to a role not created in this file",
                    ));
                };
                role.member_of.extend(groups.iter().cloned());
                if !options.is_default() {
                    for g in &groups {
                        role.membership_options.insert(g.clone(), options);
                    }
                }
            }
            return Ok(Handled::Yes);
        }
        let privileges = self.privilege_items()?;
        self.expect_kw("on")?;
        let objects = match self.grant_objects(schema)? {
            Ok(o) => o,
            Err(skipped) => return Ok(Handled::Skipped(skipped)),
        };
        self.expect_kw("to")?;
        let grantees = self.grantees()?;
        let grant_option = self.eat_kws(&["with", "grant", "option"]);
        if self.eat_kws(&["granted", "by"]) {
            self.role_spec()?;
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        self.record(
            acl,
            &privileges,
            &objects,
            &grantees,
            AclAction::Grant(grant_option),
        )?;
        Ok(Handled::Yes)
    }

    fn revoke(&mut self, acl: &mut Vec<AclEvent>, schema: &Schema) -> R<Handled> {
        // REVOKE [GRANT OPTION FOR] privileges ON object [, ...] FROM grantee [, ...]
        let option_only = self.eat_kws(&["grant", "option", "for"]);
        if !self.has_kw_before("on", "from") {
            return Ok(Handled::Skipped("REVOKE of a role membership"));
        }
        let privileges = self.privilege_items()?;
        self.expect_kw("on")?;
        let objects = match self.grant_objects(schema)? {
            Ok(o) => o,
            Err(skipped) => return Ok(Handled::Skipped(skipped)),
        };
        self.expect_kw("from")?;
        let grantees = self.grantees()?;
        if self.eat_kws(&["granted", "by"]) {
            self.role_spec()?;
        }
        if !self.eat_kw("cascade") {
            self.eat_kw("restrict");
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        self.record(
            acl,
            &privileges,
            &objects,
            &grantees,
            AclAction::Revoke(option_only),
        )?;
        Ok(Handled::Yes)
    }

    /// `CREATE [OR REPLACE] FUNCTION name(arguments) RETURNS type LANGUAGE l [IMMUTABLE |
    /// STABLE | VOLATILE] [STRICT] [SECURITY DEFINER] [SET search_path ..] AS body`: a
    /// declared function. Other options (ROWS, SUPPORT, other settings, a C function) are
    /// not modelled: the statement is skipped with a warning, and the
    /// function is not managed.
    fn create_function(&mut self, schema: &mut Schema) -> R<Handled> {
        let (s, n) = self.qualified()?;
        let arguments = self.parenthesized_text()?;
        let args = identity_args(&arguments)?;
        let mut f = Function {
            schema: s,
            name: n,
            arguments,
            args,
            returns: String::new(),
            language: String::new(),
            volatility: "VOLATILE".into(),
            security_definer: false,
            strict: false,
            search_path: None,
            parallel: "UNSAFE".into(),
            leakproof: false,
            cost: None,
            body: String::new(),
        };
        let mut body = None;
        const CLAUSES: &[&str] = &[
            "language",
            "as",
            "immutable",
            "stable",
            "volatile",
            "security",
            "external",
            "set",
            "strict",
            "called",
            "leakproof",
            "not",
            "parallel",
            "cost",
            "rows",
            "window",
            "support",
            "transform",
            "begin",
        ];
        while !self.at_end() {
            if self.eat_kw("returns") {
                if self.eat_kws(&["null", "on", "null", "input"]) {
                    f.strict = true;
                    continue;
                }
                let start = self.pos;
                let mut depth = 0;
                while let Some(t) = self.peek() {
                    match t.kind {
                        Kind::LParen => depth += 1,
                        Kind::RParen => depth -= 1,
                        _ if depth == 0 && CLAUSES.iter().any(|k| t.is_kw(self.src, k)) => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err("RETURNS without a type".into());
                }
                let text = &self.src[self.toks[start].start..self.toks[self.pos - 1].end];
                f.returns = result_type(text)?;
            } else if self.eat_kw("language") {
                let t = self.peek().ok_or("expected a language")?;
                f.language = t.ident(self.src).unwrap_or_default().to_ascii_lowercase();
                self.pos += 1;
            } else if self.eat_kw("immutable") {
                f.volatility = "IMMUTABLE".into();
            } else if self.eat_kw("stable") {
                f.volatility = "STABLE".into();
            } else if self.eat_kw("volatile") {
                f.volatility = "VOLATILE".into();
            } else if self.eat_kws(&["external", "security"]) || self.eat_kw("security") {
                if self.eat_kw("definer") {
                    f.security_definer = true;
                } else {
                    self.expect_kw("invoker")?;
                    f.security_definer = false;
                }
            } else if self.eat_kw("strict") {
                f.strict = true;
            } else if self.eat_kw("leakproof") {
                f.leakproof = true;
            } else if self.eat_kws(&["not", "leakproof"]) {
                f.leakproof = false;
            } else if self.eat_kw("parallel") {
                f.parallel = ["safe", "restricted", "unsafe"]
                    .into_iter()
                    .find(|k| self.eat_kw(k))
                    .ok_or_else(|| {
                        format!(
                            "expected SAFE, RESTRICTED or UNSAFE, found {}",
                            self.found()
                        )
                    })?
                    .to_ascii_uppercase();
            } else if self.eat_kw("cost") {
                let t = self.peek().ok_or("expected a number after COST")?;
                let value = match t.kind {
                    Kind::Number => t.text(self.src).parse::<f64>().ok(),
                    _ => None,
                }
                .ok_or_else(|| format!("expected a number after COST, found {}", self.found()))?;
                self.pos += 1;
                f.cost = function_cost(value)?;
            } else if self.eat_kws(&["called", "on", "null", "input"]) {
                f.strict = false;
            } else if self.eat_kws(&["set", "search_path"]) {
                if !(self.eat_kw("to") || self.eat(Kind::Op)) {
                    return Err(format!("expected TO or =, found {}", self.found()));
                }
                let mut path = Vec::new();
                loop {
                    let t = self.peek().ok_or("expected a schema")?;
                    match t.kind {
                        Kind::String => {
                            let v = t.string_value(self.src).unwrap_or_default();
                            if !v.is_empty() {
                                path.push(v);
                            }
                        }
                        Kind::Word | Kind::Quoted => {
                            path.push(t.ident(self.src).unwrap_or_default())
                        }
                        _ => return Err(format!("expected a schema, found {}", self.found())),
                    }
                    self.pos += 1;
                    if !self.eat(Kind::Comma) {
                        break;
                    }
                }
                f.search_path = Some(path);
            } else if self.eat_kw("as") {
                let t = self.peek().ok_or("expected the function's body")?;
                body = Some(t.string_value(self.src).ok_or_else(|| {
                    format!("expected the function's body, found {}", self.found())
                })?);
                self.pos += 1;
                if self.eat(Kind::Comma) {
                    return Ok(Handled::Skipped("CREATE FUNCTION of a C function"));
                }
            } else {
                return Ok(Handled::Skipped(
                    "CREATE FUNCTION with options pgpolicy does not manage (only RETURNS, LANGUAGE, volatility, STRICT, SECURITY DEFINER, LEAKPROOF, PARALLEL, COST, SET search_path, AS)",
                ));
            }
        }
        let Some(body) = body else {
            return Ok(Handled::Skipped("CREATE FUNCTION without a quoted body"));
        };
        if f.returns.is_empty() || f.language.is_empty() {
            return Err("a function needs RETURNS and LANGUAGE".into());
        }
        if f.language == "c" || f.language == "internal" {
            return Ok(Handled::Skipped(
                "CREATE FUNCTION of a C or internal function",
            ));
        }
        f.body = body;
        // A later CREATE OR REPLACE of the same function wins (see `read_sql`).
        schema.functions.push(f);
        Ok(Handled::Yes)
    }

    /// `ALTER DEFAULT PRIVILEGES [FOR ROLE r, ...] [IN SCHEMA s, ...] GRANT .. ON TABLES
    /// TO .. [WITH GRANT OPTION]` or `.. REVOKE [GRANT OPTION FOR] .. ON TABLES FROM ..`.
    fn alter_default_privileges(&mut self, defaults: &mut Vec<DefaultEvent>) -> R<Handled> {
        let mut owners: Vec<Option<String>> = vec![None];
        let mut schemas: Vec<Option<String>> = vec![None];
        loop {
            if self.eat_kws(&["for", "role"]) || self.eat_kws(&["for", "user"]) {
                owners = vec![Some(self.ident()?)];
                while self.eat(Kind::Comma) {
                    owners.push(Some(self.ident()?));
                }
            } else if self.eat_kws(&["in", "schema"]) {
                schemas = vec![Some(self.ident()?)];
                while self.eat(Kind::Comma) {
                    schemas.push(Some(self.ident()?));
                }
            } else {
                break;
            }
        }
        let grant = if self.eat_kw("grant") {
            true
        } else if self.eat_kw("revoke") {
            false
        } else {
            return Err(format!("expected GRANT or REVOKE, found {}", self.found()));
        };
        let option_only = !grant && self.eat_kws(&["grant", "option", "for"]);
        let privileges = self.privilege_items()?;
        self.expect_kw("on")?;
        let word = self.peek().map(|t| t.text(self.src)).unwrap_or("");
        let Some(on) = ObjectKind::parse(word) else {
            if self.peek_kw("types") {
                return Ok(Handled::Skipped("ALTER DEFAULT PRIVILEGES ON TYPES"));
            }
            return Err(format!(
                "expected TABLES, SEQUENCES, FUNCTIONS, ROUTINES or SCHEMAS, found {}",
                self.found()
            ));
        };
        self.pos += 1;
        self.expect_kw(if grant { "to" } else { "from" })?;
        let grantees = self.grantees()?;
        let grant_option = grant && self.eat_kws(&["with", "grant", "option"]);
        if !grant && !self.eat_kw("cascade") {
            self.eat_kw("restrict");
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        let allowed = on.privileges(false);
        let mut list = Vec::new();
        for (word, columns) in &privileges {
            if !columns.is_empty() {
                return Err("default privileges cannot name columns".into());
            }
            if word == "ALL" {
                list.extend_from_slice(allowed);
            } else {
                list.push(
                    Privilege::parse(word)
                        .filter(|p| allowed.contains(p))
                        .ok_or_else(|| format!("unknown {} privilege {word:?}", on.as_str()))?,
                );
            }
        }
        for owner in &owners {
            for schema in &schemas {
                for role in &grantees {
                    defaults.push(DefaultEvent {
                        key: (owner.clone(), schema.clone(), on, role.clone()),
                        privileges: list.clone(),
                        action: if grant {
                            AclAction::Grant(grant_option)
                        } else {
                            AclAction::Revoke(option_only)
                        },
                    });
                }
            }
        }
        Ok(Handled::Yes)
    }

    /// Whether `kw` comes (at depth 0) before `stop` from the cursor on.
    fn has_kw_before(&self, kw: &str, stop: &str) -> bool {
        let mut depth = 0;
        for t in &self.toks[self.pos..] {
            match t.kind {
                Kind::LParen => depth += 1,
                Kind::RParen => depth -= 1,
                _ if depth == 0 && t.is_kw(self.src, kw) => return true,
                _ if depth == 0 && t.is_kw(self.src, stop) => return false,
                _ => {}
            }
        }
        false
    }

    /// `SELECT (a, b), UPDATE, ALL [PRIVILEGES]`: each privilege word with its columns.
    fn privilege_items(&mut self) -> R<Vec<(String, Vec<String>)>> {
        let mut out = Vec::new();
        loop {
            let t = self.peek().ok_or("incomplete privilege list")?;
            if t.kind != Kind::Word {
                return Err(format!("expected a privilege, found {}", self.found()));
            }
            let mut word = t.text(self.src).to_ascii_uppercase();
            self.pos += 1;
            if word == "ALL" {
                self.eat_kw("privileges");
            } else if word == "TEMP" || word == "TEMPORARY" || word == "CONNECT" {
                word = format!("{word} (database privilege)");
            }
            let mut columns = Vec::new();
            if self.eat(Kind::LParen) {
                loop {
                    columns.push(self.ident()?);
                    if !self.eat(Kind::Comma) {
                        break;
                    }
                }
                if !self.eat(Kind::RParen) {
                    return Err(format!("expected ), found {}", self.found()));
                }
            }
            out.push((word, columns));
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        Ok(out)
    }

    /// The objects after `ON`; `Err(what)` for objects that are not modelled (skipped).
    /// `ALL TABLES IN SCHEMA s` stands for the tables this file declared in `s` so far.
    fn grant_objects(&mut self, schema: &Schema) -> R<Result<Vec<Object>, &'static str>> {
        let object = |on, s: String, n: String, args| Object {
            on,
            name: TableName::new(s, n),
            args,
        };
        let mut out = Vec::new();
        if self.eat_kw("all") {
            if !self.eat_kw("tables") {
                return Ok(Err("GRANT ON ALL SEQUENCES / FUNCTIONS IN SCHEMA"));
            }
            self.expect_kw("in")?;
            self.expect_kw("schema")?;
            loop {
                let s = self.ident()?;
                out.extend(
                    schema
                        .tables
                        .iter()
                        .filter(|t| t.schema == s)
                        .map(|t| object(ObjectKind::Table, s.clone(), t.name.clone(), vec![])),
                );
                if !self.eat(Kind::Comma) {
                    break;
                }
            }
            return Ok(Ok(out));
        }
        let on = if self.eat_kw("sequence") {
            ObjectKind::Sequence
        } else if self.eat_kw("schema") {
            ObjectKind::Schema
        } else if self.eat_kw("function") || self.eat_kw("procedure") || self.eat_kw("routine") {
            ObjectKind::Function
        } else {
            for kw in [
                "database",
                "type",
                "domain",
                "language",
                "foreign",
                "large",
                "tablespace",
                "parameter",
            ] {
                if self.peek_kw(kw) {
                    return Ok(Err(
                        "GRANT on an object other than a table, sequence, schema or function",
                    ));
                }
            }
            self.eat_kw("table");
            ObjectKind::Table
        };
        loop {
            match on {
                ObjectKind::Schema => {
                    let s = self.ident()?;
                    out.push(object(on, s, String::new(), vec![]));
                }
                ObjectKind::Function => {
                    let (s, n) = self.qualified()?;
                    if self.peek().is_none_or(|t| t.kind != Kind::LParen) {
                        return Err(format!(
                            "function {s}.{n}: name its argument types, e.g. {n}() or {n}(integer)"
                        ));
                    }
                    let args = self.function_arg_types()?;
                    out.push(object(on, s, n, args));
                }
                _ => {
                    let (s, n) = self.qualified()?;
                    out.push(object(on, s, n, vec![]));
                }
            }
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        Ok(Ok(out))
    }

    /// A function's identity arguments from the parenthesized list at the cursor (see
    /// [`identity_args`]).
    fn function_arg_types(&mut self) -> R<Vec<String>> {
        let inner = self.parenthesized_text()?;
        identity_args(&inner)
    }

    fn grantees(&mut self) -> R<Vec<RoleSpec>> {
        let mut grantees = Vec::new();
        loop {
            self.eat_kw("group");
            grantees.push(self.role_spec()?);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        Ok(grantees)
    }

    /// Checks the privileges against each object's kind and records the statement.
    fn record(
        &self,
        acl: &mut Vec<AclEvent>,
        privileges: &[(String, Vec<String>)],
        objects: &[Object],
        grantees: &[RoleSpec],
        action: AclAction,
    ) -> R<()> {
        for o in objects {
            for (word, columns) in privileges {
                let allowed = o.on.privileges(!columns.is_empty());
                let list: Vec<Privilege> = if word == "ALL" {
                    allowed.to_vec()
                } else {
                    match Privilege::parse(word).filter(|p| allowed.contains(p)) {
                        Some(p) => vec![p],
                        None => {
                            return Err(format!(
                                "unknown {}{} privilege {word:?}",
                                o.on.as_str(),
                                if columns.is_empty() { "" } else { " column" }
                            ))
                        }
                    }
                };
                if !columns.is_empty() && o.on != ObjectKind::Table {
                    return Err(format!("column privileges on a {}", o.on.as_str()));
                }
                for g in grantees {
                    acl.push(AclEvent {
                        object: o.clone(),
                        columns: columns.clone(),
                        role: g.clone(),
                        privileges: list.clone(),
                        action,
                    });
                }
            }
        }
        Ok(())
    }
}

/// A function's identity argument types from its argument list as written (`a integer,
/// OUT b text, VARIADIC c text[] DEFAULT '{}'`): modes, names and defaults dropped, OUT
/// arguments left out, types spelled as `format_type` prints them. The list is checked to
/// be one argument list (balanced parentheses, no statement end), since it is written into
/// `CREATE FUNCTION` as it is.
pub fn identity_args(list: &str) -> Result<Vec<String>, String> {
    let toks = lex::tokenize(list).map_err(|e| e.message)?;
    let mut start = 0;
    let mut depth = 0i32;
    let mut pieces = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced parentheses in ({list})"));
                }
            }
            Kind::Semicolon => return Err(format!("a statement end in ({list})")),
            Kind::Comma if depth == 0 => {
                pieces.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced parentheses in ({list})"));
    }
    if start < toks.len() {
        pieces.push(&toks[start..]);
    } else if !toks.is_empty() {
        return Err(format!("an argument of ({list}) is empty"));
    }
    let mut args = Vec::new();
    for mut p in pieces {
        let word = |t: &Token| t.kind == Kind::Word;
        let mut out_arg = false;
        if let Some(first) = p.first().filter(|t| word(t)) {
            match first.text(list).to_ascii_lowercase().as_str() {
                "in" | "inout" | "variadic" => p = &p[1..],
                "out" => {
                    out_arg = true;
                    p = &p[1..]
                }
                _ => {}
            }
        }
        // `name type`: a first word that does not start a multi-word type name, followed
        // by another word.
        if p.len() >= 2
            && matches!(p[0].kind, Kind::Word | Kind::Quoted)
            && matches!(p[1].kind, Kind::Word | Kind::Quoted)
            && !crate::validate::MULTIWORD_STARTS
                .contains(&p[0].text(list).to_ascii_lowercase().as_str())
        {
            p = &p[1..];
        }
        // A default ends the type.
        let end = p
            .iter()
            .position(|t| t.is_kw(list, "default") || t.text(list) == "=")
            .unwrap_or(p.len());
        let p = &p[..end];
        if p.is_empty() {
            return Err(format!("an argument has no type in ({list})"));
        }
        if !out_arg {
            args.push(list[p[0].start..p[p.len() - 1].end].to_string());
        }
    }
    crate::validate::function_args(&args)
}

/// How a call may fill a function's input parameters: their names (`""` for an unnamed
/// one; empty when none has a name), how many trailing ones have defaults, and whether the
/// last is VARIADIC.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CallShape {
    pub names: Vec<String>,
    pub defaults: usize,
    pub variadic: bool,
}

/// The [`CallShape`] of an argument list as written (`a integer, OUT b text, VARIADIC c
/// text[] DEFAULT '{}'`), or None when it is not one.
pub fn call_shape(list: &str) -> Option<CallShape> {
    let toks = lex::tokenize(list).ok()?;
    let mut pieces: Vec<&[Token]> = Vec::new();
    let (mut start, mut depth) = (0, 0i32);
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Comma if depth == 0 => {
                pieces.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        pieces.push(&toks[start..]);
    }
    let mut shape = CallShape::default();
    for mut p in pieces {
        let word = |t: &Token| t.kind == Kind::Word;
        if let Some(first) = p.first().filter(|t| word(t)) {
            match first.text(list).to_ascii_lowercase().as_str() {
                "out" => continue,
                "in" | "inout" => p = &p[1..],
                "variadic" => {
                    shape.variadic = true;
                    p = &p[1..]
                }
                _ => {}
            }
        }
        let mut name = String::new();
        if p.len() >= 2
            && matches!(p[0].kind, Kind::Word | Kind::Quoted)
            && matches!(p[1].kind, Kind::Word | Kind::Quoted)
            && !crate::validate::MULTIWORD_STARTS
                .contains(&p[0].text(list).to_ascii_lowercase().as_str())
        {
            name = match p[0].kind {
                Kind::Quoted => p[0].ident(list)?,
                _ => p[0].text(list).to_ascii_lowercase(),
            };
        }
        if p.iter()
            .any(|t| t.is_kw(list, "default") || t.text(list) == "=")
        {
            shape.defaults += 1;
        }
        shape.names.push(name);
    }
    if shape.names.iter().all(String::is_empty) {
        shape.names.clear();
    }
    Some(shape)
}

/// A function's result as written after RETURNS: a type name (spelled as `format_type`
/// prints it), `SETOF` one, or `TABLE (...)` (kept as written; write it as
/// `pg_get_function_result` prints it to compare equal).
pub fn result_type(text: &str) -> Result<String, String> {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("setof ") {
        let ty = &t[t.len() - rest.len()..];
        crate::validate::type_name(ty)?;
        return Ok(format!(
            "SETOF {}",
            crate::validate::function_args(&[ty.to_string()])?.remove(0)
        ));
    }
    if lower.starts_with("table") {
        let inner = t[5..].trim();
        let Some(list) = inner.strip_prefix('(').and_then(|x| x.strip_suffix(')')) else {
            return Err(format!("the result {t:?} is not TABLE (...)"));
        };
        identity_args(list)?;
        return Ok(format!("TABLE({list})"));
    }
    crate::validate::type_name(&t)?;
    Ok(crate::validate::function_args(&[t])?.remove(0))
}

/// What a GRANT or REVOKE does to the declared privileges.
#[derive(Clone, Copy)]
enum AclAction {
    /// With or without the grant option.
    Grant(bool),
    /// Only the grant option (`REVOKE GRANT OPTION FOR`), or the privileges.
    Revoke(bool),
}

/// One grantee's privileges on one object, as one GRANT or REVOKE statement states them.
struct AclEvent {
    object: Object,
    columns: Vec<String>,
    role: RoleSpec,
    privileges: Vec<Privilege>,
    action: AclAction,
}

/// One ALTER DEFAULT PRIVILEGES for one (owner, schema, kind, grantee).
struct DefaultEvent {
    key: (Option<String>, Option<String>, ObjectKind, RoleSpec),
    privileges: Vec<Privilege>,
    action: AclAction,
}

/// The declared default privileges after every ALTER DEFAULT PRIVILEGES, as
/// [`fold_acl`] does for grants.
fn fold_defaults(events: Vec<DefaultEvent>) -> Vec<DefaultPrivilege> {
    use std::collections::{BTreeMap, HashMap};
    type Key = (Option<String>, Option<String>, ObjectKind, RoleSpec);
    let mut order: Vec<Key> = Vec::new();
    let mut held: HashMap<Key, BTreeMap<Privilege, bool>> = HashMap::new();
    for e in events {
        let h = match held.get_mut(&e.key) {
            Some(h) => h,
            None => {
                order.push(e.key.clone());
                held.entry(e.key).or_default()
            }
        };
        for p in &e.privileges {
            match e.action {
                AclAction::Grant(opt) => *h.entry(*p).or_default() |= opt,
                AclAction::Revoke(true) => {
                    if let Some(o) = h.get_mut(p) {
                        *o = false;
                    }
                }
                AclAction::Revoke(false) => {
                    h.remove(p);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for key in order {
        let h = held.remove(&key).unwrap_or_default();
        let (owner, schema, on, role) = key;
        let entry = |privileges: Vec<Privilege>, grant_option| DefaultPrivilege {
            owner: owner.clone(),
            schema: schema.clone(),
            on,
            role: role.clone(),
            privileges,
            grant_option,
        };
        let plain: Vec<Privilege> = h.iter().filter(|(_, o)| !**o).map(|(p, _)| *p).collect();
        let with: Vec<Privilege> = h.iter().filter(|(_, o)| **o).map(|(p, _)| *p).collect();
        if !with.is_empty() {
            out.push(entry(with, true));
        }
        if !plain.is_empty() || h.is_empty() {
            out.push(entry(plain, false));
        }
    }
    out
}

/// The declared grants after every GRANT and REVOKE of the file, in order: a REVOKE
/// takes back what an earlier GRANT gave; a REVOKE of what the file never granted
/// declares that the grantee holds nothing there (`REVOKE EXECUTE ON FUNCTION f() FROM
/// PUBLIC`). One hash lookup per statement and column.
fn fold_acl(events: Vec<AclEvent>) -> Vec<Grant> {
    use std::collections::{BTreeMap, HashMap};
    type Key = (Object, Option<String>, RoleSpec);
    let mut order: Vec<Key> = Vec::new();
    let mut held: HashMap<Key, BTreeMap<Privilege, bool>> = HashMap::new();
    for e in events {
        let columns: Vec<Option<String>> = if e.columns.is_empty() {
            vec![None]
        } else {
            e.columns.into_iter().map(Some).collect()
        };
        for c in columns {
            let key = (e.object.clone(), c, e.role.clone());
            let h = match held.get_mut(&key) {
                Some(h) => h,
                None => {
                    order.push(key.clone());
                    held.entry(key).or_default()
                }
            };
            for p in &e.privileges {
                match e.action {
                    AclAction::Grant(opt) => *h.entry(*p).or_default() |= opt,
                    AclAction::Revoke(true) => {
                        if let Some(o) = h.get_mut(p) {
                            *o = false;
                        }
                    }
                    AclAction::Revoke(false) => {
                        h.remove(p);
                    }
                }
            }
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for key in order {
        let h = held.remove(&key).unwrap_or_default();
        let (object, column, role) = key;
        let grant = |privileges: Vec<Privilege>, grant_option| Grant {
            on: object.on,
            schema: object.name.schema.clone(),
            table: object.name.name.clone(),
            args: object.args.clone(),
            columns: column.iter().cloned().collect(),
            role: role.clone(),
            privileges,
            grant_option,
            sequences: true,
        };
        let plain: Vec<Privilege> = h.iter().filter(|(_, o)| !**o).map(|(p, _)| *p).collect();
        let with: Vec<Privilege> = h.iter().filter(|(_, o)| **o).map(|(p, _)| *p).collect();
        if !with.is_empty() {
            out.push(grant(with, true));
        }
        if !plain.is_empty() || h.is_empty() {
            out.push(grant(plain, false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmodelled_grants_are_skipped_with_their_line() {
        let src = "CREATE TABLE t (id int);\rGRANT CONNECT ON DATABASE app TO r;\rGRANT USAGE ON ALL SEQUENCES IN SCHEMA s TO r;\rALTER TABLE t ENABLE ROW LEVEL SECURITY;";
        let (schema, warnings) = read_sql(src).unwrap();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("line 2: skipped GRANT on an object other than a table, sequence, schema or function"),
            "{warnings:?}"
        );
        assert!(warnings[1].starts_with("line 3: "), "{warnings:?}");
        assert!(schema.tables[0].rls.is_enabled());
        assert!(schema.grants.is_empty());
    }

    fn grant_lines(src: &str) -> Vec<String> {
        let (mut s, w) = read_sql(src).unwrap();
        assert!(w.is_empty(), "{w:?}");
        s.normalize();
        s.grants
            .iter()
            .map(|g| serde_json::to_string(g).unwrap())
            .collect()
    }

    #[test]
    fn reads_grants_on_every_modelled_object() {
        let got = grant_lines(
            r#"CREATE TABLE docs (id serial, title text, body text);
GRANT USAGE ON SCHEMA app, public TO app_user;
GRANT USAGE, SELECT ON SEQUENCE docs_id_seq TO app_user WITH GRANT OPTION;
GRANT EXECUTE ON FUNCTION auth.uid(), public.has_role(a uuid, OUT ok boolean, b character varying(20) DEFAULT 'x') TO app_user;
REVOKE EXECUTE ON FUNCTION auth.uid() FROM PUBLIC;
GRANT SELECT (title, body), UPDATE (title) ON docs TO "App Reader";
GRANT ALL ON TABLE docs TO admin WITH GRANT OPTION;
REVOKE GRANT OPTION FOR TRUNCATE ON docs FROM admin;
REVOKE DELETE ON docs FROM admin;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor;
"#,
        );
        assert_eq!(
            got,
            [
                r#"{"schema":"public","table":"docs","role":"admin","privileges":["TRUNCATE"]}"#,
                r#"{"schema":"public","table":"docs","role":"admin","privileges":["SELECT","INSERT","UPDATE","REFERENCES","TRIGGER"],"grant_option":true}"#,
                r#"{"schema":"public","table":"docs","role":"auditor","privileges":["SELECT"]}"#,
                r#"{"schema":"public","table":"docs","columns":["body"],"role":"App Reader","privileges":["SELECT"]}"#,
                r#"{"schema":"public","table":"docs","columns":["title"],"role":"App Reader","privileges":["SELECT","UPDATE"]}"#,
                r#"{"schema":"public","sequence":"docs_id_seq","role":"app_user","privileges":["SELECT","USAGE"],"grant_option":true}"#,
                r#"{"schema":"app","role":"app_user","privileges":["USAGE"]}"#,
                r#"{"schema":"public","role":"app_user","privileges":["USAGE"]}"#,
                r#"{"schema":"auth","function":"uid","args":[],"role":"PUBLIC","privileges":[]}"#,
                r#"{"schema":"auth","function":"uid","args":[],"role":"app_user","privileges":["EXECUTE"]}"#,
                r#"{"schema":"public","function":"has_role","args":["uuid","character varying"],"role":"app_user","privileges":["EXECUTE"]}"#,
            ]
        );
    }

    #[test]
    fn bad_grants_name_the_object() {
        let err = |src: &str| read_sql(src).unwrap_err().to_string();
        assert!(
            err("GRANT EXECUTE ON SEQUENCE s TO r")
                .contains("unknown sequence privilege \"EXECUTE\""),
            "{}",
            err("GRANT EXECUTE ON SEQUENCE s TO r")
        );
        assert!(err("GRANT EXECUTE ON FUNCTION f TO r").contains("name its argument types"));
        assert!(err("GRANT DELETE (a) ON t TO r").contains("unknown table column privilege"));
        assert!(
            err("GRANT EXECUTE ON FUNCTION f(int; drop table x) TO r").contains("SQL at line 1")
        );
    }

    #[test]
    fn reads_guide_schema() {
        let src = r#"
--- Enable row-level security on the users table.
ALTER TABLE "Users" ENABLE ROW LEVEL SECURITY;
-- Create a policy
CREATE POLICY tenant_isolation ON "Users"
    USING ("tenantId" = current_setting('app.current_tenant')::integer);
CREATE TABLE "Tenants" ("id" serial NOT NULL, "name" character varying(255) NOT NULL, PRIMARY KEY ("id"));
CREATE ROLE app_user LOGIN;
GRANT SELECT, INSERT ON "Users", "Tenants" TO app_user;
CREATE INDEX x ON t (a);
"#;
        let (s, w) = read_sql(src).unwrap();
        let users = s.table("public", "Users").unwrap();
        assert!(users.rls.is_enabled());
        assert_eq!(
            users.policies[0].using.as_deref(),
            Some("\"tenantId\" = current_setting('app.current_tenant')::integer")
        );
        assert_eq!(users.policies[0].roles, vec![RoleSpec::Public]);
        let tenants = s.table("public", "Tenants").unwrap();
        assert_eq!(tenants.columns[1].data_type, "character varying(255)");
        assert!(!tenants.columns[0].nullable);
        assert_eq!(s.grants.len(), 2);
        assert!(s.role("app_user").unwrap().login);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("CREATE INDEX"), "{w:?}");
    }
}
