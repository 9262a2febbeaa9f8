//! Reading a `.sql` file into the IR: CREATE TABLE (columns and types), ALTER TABLE ...
//! ROW LEVEL SECURITY, CREATE POLICY, COMMENT ON POLICY, CREATE ROLE, ALTER ROLE and GRANT.
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
    for stmt in lex::statements(&tokens) {
        let mut r = Reader {
            src,
            toks: stmt,
            pos: 0,
        };
        match r.statement(&mut schema) {
            Ok(Handled::Yes) => {}
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

    fn statement(&mut self, schema: &mut Schema) -> R<Handled> {
        if self.eat_kw("create") {
            self.eat_kws(&["or", "replace"]);
            if self.eat_kw("policy") {
                return self.create_policy(schema).map(|_| Handled::Yes);
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
        if self.eat_kws(&["alter", "role"]) || self.eat_kws(&["alter", "user"]) {
            return self.alter_role(schema);
        }
        if self.eat_kws(&["comment", "on", "policy"]) {
            return self.comment_on_policy(schema).map(|_| Handled::Yes);
        }
        if self.eat_kw("grant") {
            return self.grant(schema);
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
                    self.pos += 1;
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

    fn grant(&mut self, schema: &mut Schema) -> R<Handled> {
        // GRANT privileges ON [TABLE] t [, ...] TO grantee [, ...]
        // or GRANT role [, ...] TO role [, ...] (membership).
        let mut privileges = Vec::new();
        let mut words = Vec::new();
        loop {
            let t = self.peek().ok_or("incomplete GRANT")?;
            if t.is_kw(self.src, "on") || t.is_kw(self.src, "to") {
                break;
            }
            if t.kind == Kind::LParen {
                return Ok(Handled::Skipped("column-level GRANT"));
            }
            if t.kind != Kind::Comma {
                words.push(t.clone());
            }
            self.pos += 1;
        }
        if self.eat_kw("to") {
            // Role membership.
            let groups: Vec<String> = words.iter().filter_map(|t| t.ident(self.src)).collect();
            let mut members = vec![self.ident()?];
            while self.eat(Kind::Comma) {
                members.push(self.ident()?);
            }
            for m in members {
                let Some(role) = schema.roles.iter_mut().find(|r| r.name == m) else {
                    return Ok(Handled::Skipped(
                        "GRANT of membership to a role not created in this file",
                    ));
                };
                role.member_of.extend(groups.iter().cloned());
            }
            return Ok(Handled::Yes);
        }
        self.expect_kw("on")?;
        // Privileges on other objects (schemas, sequences, functions, ...) are not modelled
        // yet: skipped with a warning, before their privilege names are read.
        if self.peek_kw("all") && self.peek_kw_at(1, "tables") {
            return Ok(Handled::Skipped("GRANT ON ALL TABLES IN SCHEMA"));
        }
        for kw in [
            "schema",
            "sequence",
            "function",
            "database",
            "type",
            "domain",
            "language",
            "procedure",
            "routine",
            "foreign",
            "large",
            "tablespace",
            "parameter",
            "all",
        ] {
            if self.peek_kw(kw) {
                return Ok(Handled::Skipped("GRANT on an object other than a table"));
            }
        }
        let text: Vec<String> = words
            .iter()
            .map(|t| t.text(self.src).to_ascii_uppercase())
            .collect();
        let mut i = 0;
        while i < text.len() {
            if text[i] == "ALL" {
                privileges.extend(Privilege::ALL);
                if text.get(i + 1).map(|s| s.as_str()) == Some("PRIVILEGES") {
                    i += 1;
                }
            } else if let Some(p) = Privilege::parse(&text[i]) {
                privileges.push(p);
            } else {
                return Err(format!("unknown table privilege {:?}", text[i]));
            }
            i += 1;
        }
        self.eat_kw("table");
        let mut tables = vec![self.qualified()?];
        while self.eat(Kind::Comma) {
            tables.push(self.qualified()?);
        }
        self.expect_kw("to")?;
        let mut grantees = Vec::new();
        loop {
            self.eat_kw("group");
            grantees.push(self.role_spec()?);
            if !self.eat(Kind::Comma) {
                break;
            }
        }
        if self.eat_kws(&["with", "grant", "option"]) {
            return Ok(Handled::Skipped("GRANT ... WITH GRANT OPTION"));
        }
        if !self.at_end() {
            return Err(format!("unexpected {}", self.found()));
        }
        for (s, t) in &tables {
            for g in &grantees {
                schema.grants.push(Grant {
                    schema: s.clone(),
                    table: t.clone(),
                    role: g.clone(),
                    privileges: privileges.clone(),
                });
            }
        }
        Ok(Handled::Yes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_grants_are_skipped_with_their_line() {
        let src = "CREATE TABLE t (id int);\rGRANT USAGE ON SCHEMA s TO r;\rGRANT EXECUTE ON FUNCTION f() TO r;\rALTER TABLE t ENABLE ROW LEVEL SECURITY;";
        let (schema, warnings) = read_sql(src).unwrap();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with("line 2: skipped GRANT on an object other than a table"),
            "{warnings:?}"
        );
        assert!(warnings[1].starts_with("line 3: "), "{warnings:?}");
        assert!(schema.tables[0].rls.is_enabled());
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
