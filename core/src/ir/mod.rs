//! The schema IR: tables with their RLS flags and policies, roles and table grants.
//!
//! Names are stored exactly as PostgreSQL stores them (case-sensitive, unquoted). The JSON
//! form is documented in `docs/json-format.md`; [`Schema::from_json`] also reads the
//! ModelIR shape (a `tables` map with `rlsEnabled`, `withCheck`, `permissive: false`).

pub mod catalog;
mod json;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use json::{schema_names_hint, RawSchema};

pub use catalog::Catalog;

/// What a policy applies to (`FOR ...`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "UPPERCASE")]
pub enum Command {
    #[default]
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl Command {
    pub fn as_str(self) -> &'static str {
        match self {
            Command::All => "ALL",
            Command::Select => "SELECT",
            Command::Insert => "INSERT",
            Command::Update => "UPDATE",
            Command::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Command> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "ALL" | "*" => Command::All,
            "SELECT" | "R" => Command::Select,
            "INSERT" | "A" => Command::Insert,
            "UPDATE" | "W" => Command::Update,
            "DELETE" | "D" => Command::Delete,
            _ => return None,
        })
    }

    /// Whether the command takes a USING clause (INSERT does not).
    pub fn allows_using(self) -> bool {
        self != Command::Insert
    }

    /// Whether the command takes a WITH CHECK clause (SELECT and DELETE do not).
    pub fn allows_with_check(self) -> bool {
        !matches!(self, Command::Select | Command::Delete)
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Command::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown policy command {s:?}")))
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role in a policy's `TO` list or a grant's grantee.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleSpec {
    Public,
    CurrentUser,
    CurrentRole,
    SessionUser,
    Named(String),
}

impl RoleSpec {
    /// Reads a role as written in JSON: the keywords in any case, anything else a name.
    /// PostgreSQL reserves these names, so no real role can be confused with them.
    pub fn parse(s: &str) -> RoleSpec {
        match s.to_ascii_lowercase().as_str() {
            "public" => RoleSpec::Public,
            "current_user" => RoleSpec::CurrentUser,
            "current_role" => RoleSpec::CurrentRole,
            "session_user" => RoleSpec::SessionUser,
            _ => RoleSpec::Named(s.to_string()),
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            RoleSpec::Named(n) => Some(n),
            _ => None,
        }
    }

    /// The form used in JSON and in error messages.
    pub fn as_json(&self) -> &str {
        match self {
            RoleSpec::Public => "PUBLIC",
            RoleSpec::CurrentUser => "CURRENT_USER",
            RoleSpec::CurrentRole => "CURRENT_ROLE",
            RoleSpec::SessionUser => "SESSION_USER",
            RoleSpec::Named(n) => n,
        }
    }
}

impl<'de> Deserialize<'de> for RoleSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RoleSpec::parse(&String::deserialize(d)?))
    }
}

impl Serialize for RoleSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_json())
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
}

/// A table's RLS flags. `None` is "not declared": the flag is left as the database has
/// it (a source that names a table only through its policies says nothing about RLS, and
/// only an explicit declaration may turn protection off).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rls {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub forced: Option<bool>,
}

impl Rls {
    /// Both flags declared.
    pub fn new(enabled: bool, forced: bool) -> Rls {
        Rls {
            enabled: Some(enabled),
            forced: Some(forced),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled == Some(true)
    }

    pub fn is_forced(&self) -> bool {
        self.forced == Some(true)
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub command: Command,
    #[serde(default = "yes")]
    pub permissive: bool,
    #[serde(default = "public")]
    #[cfg_attr(feature = "ts", ts(as = "Vec<String>"))]
    pub roles: Vec<RoleSpec>,
    #[serde(default)]
    pub using: Option<String>,
    #[serde(default)]
    pub with_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub comment: Option<String>,
    /// The name this policy had before; a rename is planned only when this says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub renamed_from: Option<String>,
    /// Lint rules this policy opts out of (rule ids, or `all`): the declaration's inline
    /// opt-out, never planned or applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub lint_allow: Vec<String>,
}

impl Policy {
    pub fn new(name: impl Into<String>) -> Policy {
        Policy {
            name: name.into(),
            command: Command::All,
            permissive: true,
            roles: vec![RoleSpec::Public],
            using: None,
            with_check: None,
            comment: None,
            renamed_from: None,
            lint_allow: Vec::new(),
        }
    }
}

/// A schema-qualified table name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TableName {
    pub schema: String,
    pub name: String,
}

impl TableName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> TableName {
        TableName {
            schema: schema.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for TableName {
    /// The quoted, schema-qualified SQL form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}",
            crate::sql::quote::ident(&self.schema),
            crate::sql::quote::ident(&self.name)
        )
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub columns: Vec<Column>,
    pub rls: Rls,
    pub policies: Vec<Policy>,
    /// Lint rules this table opts out of (rule ids, or `all`): the declaration's inline
    /// opt-out, never planned or applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub lint_allow: Vec<String>,
}

impl Table {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Table {
        Table {
            schema: schema.into(),
            name: name.into(),
            columns: Vec::new(),
            rls: Rls::default(),
            policies: Vec::new(),
            lint_allow: Vec::new(),
        }
    }

    pub fn qualified(&self) -> TableName {
        TableName::new(&self.schema, &self.name)
    }

    /// `schema.table` unquoted, as used in messages.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub login: bool,
    #[serde(default = "yes")]
    pub inherit: bool,
    #[serde(default)]
    pub bypassrls: bool,
    /// `CONNECTION LIMIT` (-1: none); absent: left as the database has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub connection_limit: Option<i32>,
    #[serde(default)]
    pub member_of: Vec<String>,
    /// Options of memberships in `member_of` that are not the default, by group.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<BTreeMap<String, MembershipOptions>>", optional)
    )]
    pub membership_options: BTreeMap<String, MembershipOptions>,
}

impl Role {
    pub fn new(name: impl Into<String>) -> Role {
        Role {
            name: name.into(),
            login: false,
            inherit: true,
            bypassrls: false,
            connection_limit: None,
            member_of: Vec::new(),
            membership_options: BTreeMap::new(),
        }
    }

    /// The role's attributes alone (no memberships), as role changes carry them.
    pub fn attributes(&self) -> Role {
        Role {
            member_of: Vec::new(),
            membership_options: BTreeMap::new(),
            ..self.clone()
        }
    }

    /// The groups whose privileges it has through its memberships: each membership's
    /// INHERIT option (PostgreSQL 16), else the role's own INHERIT attribute.
    pub fn inherited_groups(&self) -> impl Iterator<Item = &String> {
        self.member_of
            .iter()
            .filter(|g| self.options_in(g).inherit.unwrap_or(self.inherit))
    }

    /// The options of its membership in `group`, defaults where none are declared.
    pub fn options_in(&self, group: &str) -> MembershipOptions {
        self.membership_options
            .get(group)
            .copied()
            .unwrap_or_default()
    }

    /// Drops options equal to their defaults (INHERIT as the member's own attribute, SET
    /// true) and entries left empty.
    fn normalize_memberships(&mut self) {
        let inherit = self.inherit;
        self.membership_options.retain(|_, o| {
            if o.inherit == Some(inherit) {
                o.inherit = None;
            }
            if o.set == Some(true) {
                o.set = None;
            }
            !o.is_default()
        });
    }
}

/// `GRANT group TO member WITH ADMIN / INHERIT / SET`. INHERIT and SET are options of a
/// membership from PostgreSQL 16 on; before, the member's INHERIT attribute decides and
/// SET is always true, so declaring either otherwise is an error there.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipOptions {
    /// `WITH ADMIN OPTION`: the member may grant the group to others.
    #[serde(default, skip_serializing_if = "is_false")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub admin: bool,
    /// `INHERIT` (16+); absent: the member's own INHERIT attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub inherit: Option<bool>,
    /// `SET` (16+): the member may `SET ROLE` to the group; absent: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub set: Option<bool>,
}

impl MembershipOptions {
    pub fn is_default(&self) -> bool {
        !self.admin && self.inherit.is_none() && self.set.is_none()
    }

    /// Whether it needs PostgreSQL 16 (an INHERIT or SET option).
    pub fn needs_16(&self) -> bool {
        self.inherit.is_some() || self.set.is_some()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Privileges, in PostgreSQL's order: a table's seven, then `USAGE` (sequences,
/// schemas), `CREATE` (schemas) and `EXECUTE` (functions and procedures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "UPPERCASE")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    Usage,
    Create,
    Execute,
}

impl Privilege {
    /// A table's privileges (what `ALL` grants on a table).
    pub const ALL: [Privilege; 7] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Execute => "EXECUTE",
        }
    }

    pub fn parse(s: &str) -> Option<Privilege> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "SELECT" => Privilege::Select,
            "INSERT" => Privilege::Insert,
            "UPDATE" => Privilege::Update,
            "DELETE" => Privilege::Delete,
            "TRUNCATE" => Privilege::Truncate,
            "REFERENCES" => Privilege::References,
            "TRIGGER" => Privilege::Trigger,
            "USAGE" => Privilege::Usage,
            "CREATE" => Privilege::Create,
            "EXECUTE" => Privilege::Execute,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for Privilege {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Privilege::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown privilege {s:?}")))
    }
}

/// Reads a privilege list where `ALL` (or `ALL PRIVILEGES`) stands for every privilege of
/// a table; sorted, without duplicates.
pub fn deserialize_privileges<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<Privilege>, D::Error> {
    let mut out = Vec::new();
    for s in Vec::<String>::deserialize(d)? {
        let up = s.trim().to_ascii_uppercase();
        if up == "ALL" || up == "ALL PRIVILEGES" {
            out.extend(Privilege::ALL);
        } else {
            out.push(
                Privilege::parse(&s)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown privilege {s:?}")))?,
            );
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a grant is on.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    #[default]
    Table,
    Sequence,
    Schema,
    /// A function or a procedure (granted `ON ROUTINE`).
    Function,
}

impl ObjectKind {
    pub fn is_table(&self) -> bool {
        *self == ObjectKind::Table
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Table => "table",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Schema => "schema",
            ObjectKind::Function => "function",
        }
    }

    /// The privileges PostgreSQL knows on this kind of object (`ALL` grants them all);
    /// on columns, a table's SELECT, INSERT, UPDATE and REFERENCES.
    pub fn privileges(self, columns: bool) -> &'static [Privilege] {
        use Privilege::*;
        match self {
            ObjectKind::Table if columns => &[Select, Insert, Update, References],
            ObjectKind::Table => &Privilege::ALL,
            ObjectKind::Sequence => &[Select, Update, Usage],
            ObjectKind::Schema => &[Usage, Create],
            ObjectKind::Function => &[Execute],
        }
    }
}

fn yes() -> bool {
    true
}

fn public() -> Vec<RoleSpec> {
    vec![RoleSpec::Public]
}

/// Privileges of one grantee on one object: a table (or some of its columns), a
/// sequence, a schema, or a function. An empty privilege list declares that the grantee
/// holds nothing there (`REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC`).
///
/// In JSON the object is named by its key: `table` (with `columns` for a column grant),
/// `sequence`, `function` (with `args`), or only `schema` for a grant on the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub on: ObjectKind,
    /// The object's schema; for a grant on a schema, that schema.
    pub schema: String,
    /// The table's, sequence's or function's name; empty for a grant on a schema.
    pub table: String,
    /// A function's argument types (its identity, as `format_type` prints them).
    pub args: Vec<String>,
    /// A column grant's columns (a table grant when empty).
    pub columns: Vec<String>,
    pub role: RoleSpec,
    /// Sorted, without duplicates.
    pub privileges: Vec<Privilege>,
    /// `WITH GRANT OPTION`: the grantee may grant these privileges on.
    pub grant_option: bool,
    /// A table grant that includes INSERT also grants USAGE on the table's owned
    /// sequences (serial and identity columns), so that inserts can draw ids; `false`
    /// opts out.
    pub sequences: bool,
}

impl Grant {
    /// A table grant.
    pub fn table(
        schema: impl Into<String>,
        table: impl Into<String>,
        role: RoleSpec,
        privileges: Vec<Privilege>,
    ) -> Grant {
        Grant {
            on: ObjectKind::Table,
            schema: schema.into(),
            table: table.into(),
            args: Vec::new(),
            columns: Vec::new(),
            role,
            privileges,
            grant_option: false,
            sequences: true,
        }
    }

    pub fn table_name(&self) -> TableName {
        TableName::new(&self.schema, &self.table)
    }

    /// The object, as changes name it.
    pub fn object(&self) -> Object {
        Object {
            on: self.on,
            name: TableName::new(&self.schema, &self.table),
            args: self.args.clone(),
        }
    }
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema", &self.schema)?;
        match self.on {
            ObjectKind::Table => m.serialize_entry("table", &self.table)?,
            ObjectKind::Sequence => m.serialize_entry("sequence", &self.table)?,
            ObjectKind::Function => {
                m.serialize_entry("function", &self.table)?;
                m.serialize_entry("args", &self.args)?;
            }
            ObjectKind::Schema => {}
        }
        if !self.columns.is_empty() {
            m.serialize_entry("columns", &self.columns)?;
        }
        m.serialize_entry("role", &self.role)?;
        m.serialize_entry("privileges", &self.privileges)?;
        if self.grant_option {
            m.serialize_entry("grant_option", &true)?;
        }
        if !self.sequences {
            m.serialize_entry("sequences", &false)?;
        }
        m.end()
    }
}

/// Privileges of one grantee on one object, as JSON writes a [`Grant`]: the object is
/// named by its key (`table`, with `columns` for a column grant; `sequence`; `function`
/// with `args`; or only `schema`). An empty `privileges` declares that the grantee holds
/// nothing there.
#[cfg(feature = "ts")]
#[derive(ts_rs::TS)]
#[ts(rename = "Grant")]
#[allow(dead_code)]
pub struct GrantShape {
    schema: String,
    #[ts(optional)]
    table: Option<String>,
    #[ts(optional)]
    sequence: Option<String>,
    #[ts(optional)]
    function: Option<String>,
    #[ts(optional)]
    args: Option<Vec<String>>,
    #[ts(optional)]
    columns: Option<Vec<String>>,
    role: String,
    privileges: Vec<Privilege>,
    #[ts(optional)]
    grant_option: Option<bool>,
    #[ts(optional)]
    sequences: Option<bool>,
}

/// A function policies call (`current_user_id()`, `auth.uid()`), declared so that it is
/// created before the policies that call it, replaced (`CREATE OR REPLACE`) when its
/// definition changes, and dropped after them. Compared as PostgreSQL stores it: the body
/// is `prosrc` (the text between the quotes, verbatim), the result type as
/// `pg_get_function_result` prints it, the search_path as `proconfig` holds it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// The argument list as written between the parentheses (modes, names, types,
    /// defaults): what `CREATE FUNCTION` is given.
    pub arguments: String,
    /// The identity argument types (`format_type` spellings): what names the function.
    pub args: Vec<String>,
    pub returns: String,
    /// `sql`, `plpgsql`, ...
    pub language: String,
    /// `VOLATILE`, `STABLE` or `IMMUTABLE`.
    pub volatility: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub security_definer: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub strict: bool,
    /// `SET search_path TO ..`: the schemas, in order (`[]` for `''`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub search_path: Option<Vec<String>>,
    /// `PARALLEL SAFE` or `RESTRICTED`; `UNSAFE` (the default) is not written.
    #[serde(
        default = "parallel_unsafe",
        skip_serializing_if = "is_parallel_unsafe"
    )]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>", optional))]
    pub parallel: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub leakproof: bool,
    /// `COST` as PostgreSQL prints it (`25`, `0.5`); absent: the default, 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cost: Option<String>,
    pub body: String,
}

fn parallel_unsafe() -> String {
    "UNSAFE".into()
}

fn is_parallel_unsafe(p: &String) -> bool {
    p == "UNSAFE"
}

/// A function's `COST` as stored: None for the default (100), else the number as
/// PostgreSQL prints it (no trailing `.0`). An error for what is not a positive number.
pub fn function_cost(value: f64) -> Result<Option<String>, String> {
    if !value.is_finite() || value <= 0.0 {
        return Err(format!("COST must be a positive number, not {value}"));
    }
    // procost is a float4: compare as PostgreSQL keeps it.
    let v = value as f32;
    Ok((v != 100.0).then(|| format!("{v}")))
}

impl Function {
    /// `"schema"."name"(identity types)`, as DROP FUNCTION and GRANT name it.
    pub fn signature(&self) -> String {
        format!(
            "{}.{}({})",
            crate::sql::quote::ident(&self.schema),
            crate::sql::quote::ident(&self.name),
            self.args.join(", ")
        )
    }

    /// Whether `CREATE OR REPLACE` cannot turn `other` into this function: PostgreSQL
    /// refuses to change a function's result type in place.
    pub fn needs_recreate(&self, other: &Function) -> bool {
        let ws = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        !ws(&self.returns).eq_ignore_ascii_case(&ws(&other.returns))
    }

    /// What differs from `other` (the parts `CREATE OR REPLACE` changes), or nothing.
    pub fn differences(&self, other: &Function) -> Vec<&'static str> {
        let mut out = Vec::new();
        let ws = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if !ws(&self.returns).eq_ignore_ascii_case(&ws(&other.returns)) {
            out.push("result type");
        }
        if !self.language.eq_ignore_ascii_case(&other.language) {
            out.push("language");
        }
        if !self.volatility.eq_ignore_ascii_case(&other.volatility) {
            out.push("volatility");
        }
        if self.security_definer != other.security_definer {
            out.push("SECURITY DEFINER");
        }
        if self.strict != other.strict {
            out.push("STRICT");
        }
        if self.search_path != other.search_path {
            out.push("search_path");
        }
        if !self.parallel.eq_ignore_ascii_case(&other.parallel) {
            out.push("PARALLEL");
        }
        if self.cost != other.cost {
            out.push("COST");
        }
        if self.leakproof != other.leakproof {
            out.push("LEAKPROOF");
        }
        if self.body.trim() != other.body.trim() {
            out.push("body");
        }
        out
    }
}

/// `ALTER DEFAULT PRIVILEGES [FOR ROLE owner] [IN SCHEMA schema] GRANT privileges ON
/// tables | sequences | functions | schemas TO role [WITH GRANT OPTION]`: the privileges
/// objects get when `owner` creates them later. An empty privilege list declares that the
/// grantee gets nothing (`REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultPrivilege {
    /// `FOR ROLE`; absent: the role that runs the plan.
    #[serde(rename = "for_role", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub owner: Option<String>,
    /// `IN SCHEMA`; absent: in every schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub schema: Option<String>,
    /// Tables, sequences, functions (and procedures) or schemas.
    pub on: ObjectKind,
    #[cfg_attr(feature = "ts", ts(as = "String"))]
    pub role: RoleSpec,
    /// Sorted, without duplicates.
    pub privileges: Vec<Privilege>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    pub grant_option: bool,
}

impl ObjectKind {
    /// The plural `ALTER DEFAULT PRIVILEGES` uses (`TABLES`, `ROUTINES`, ...).
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Table => "TABLES",
            ObjectKind::Sequence => "SEQUENCES",
            ObjectKind::Schema => "SCHEMAS",
            ObjectKind::Function => "ROUTINES",
        }
    }

    /// Reads `tables`, `table`, `sequences`, `functions`, `routines`, `schemas`, ... in
    /// any case.
    pub fn parse(s: &str) -> Option<ObjectKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "table" | "tables" => ObjectKind::Table,
            "sequence" | "sequences" => ObjectKind::Sequence,
            "schema" | "schemas" => ObjectKind::Schema,
            "function" | "functions" | "routine" | "routines" | "procedure" | "procedures" => {
                ObjectKind::Function
            }
            _ => return None,
        })
    }
}

/// An object privileges are granted on: a table (`name`), a sequence, a function (with
/// its argument types), or a schema (`name.schema`; `name.name` is empty).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Object {
    #[serde(default)]
    pub on: ObjectKind,
    pub name: TableName,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub args: Vec<String>,
}

impl fmt::Display for Object {
    /// The SQL form after `ON`: `TABLE "s"."t"`, `SEQUENCE ...`, `SCHEMA "s"`,
    /// `ROUTINE "s"."f"(integer, text)` (argument types were checked to be type names).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.on {
            ObjectKind::Table => write!(f, "TABLE {}", self.name),
            ObjectKind::Sequence => write!(f, "SEQUENCE {}", self.name),
            ObjectKind::Schema => {
                write!(f, "SCHEMA {}", crate::sql::quote::ident(&self.name.schema))
            }
            ObjectKind::Function => write!(f, "ROUTINE {}({})", self.name, self.args.join(", ")),
        }
    }
}

/// Facts about the database a schema was read from. Present only on introspected schemas.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DatabaseInfo {
    /// The role that read the catalog; a declared `CURRENT_USER` stands for this role.
    pub current_user: String,
    pub server_version_num: u32,
    /// The search_path under which expressions were printed.
    pub search_path: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Role>>", optional))]
    pub roles: Vec<Role>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<GrantShape>>", optional))]
    pub grants: Vec<Grant>,
    /// Functions the policies call, created and replaced with them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<Function>>", optional))]
    pub functions: Vec<Function>,
    /// `ALTER DEFAULT PRIVILEGES`: what objects created later get.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<DefaultPrivilege>>", optional))]
    pub default_privileges: Vec<DefaultPrivilege>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub database: Option<DatabaseInfo>,
    /// User-defined functions and types that policy expressions use (from a database's
    /// catalog, or CREATE FUNCTION / CREATE TYPE in a `.sql` source); lets the offline
    /// comparison type literals next to them.
    #[serde(skip_serializing_if = "Catalog::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Catalog>", optional))]
    pub catalog: Catalog,
    /// Positions of tables by name, so that lookups stay constant-time at tens of
    /// thousands of tables (see [`TableIndex`]).
    #[serde(skip)]
    pub index: TableIndex,
}

/// A cache of table positions by `(schema, name)`. `tables` is a public field that callers
/// may change at will, so the cache is only a hint: a hit is checked against the table at
/// that position, and a miss or a stale entry rebuilds it (or falls back to a scan), so a
/// lookup is always exact. Clones start empty; it never takes part in equality.
#[derive(Default)]
pub struct TableIndex(std::sync::Mutex<Option<(usize, PositionMap)>>);

/// Table positions by `(schema, name)`.
type PositionMap = std::collections::HashMap<(String, String), usize>;

impl Clone for TableIndex {
    fn clone(&self) -> Self {
        TableIndex::default()
    }
}

impl PartialEq for TableIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for TableIndex {}

impl fmt::Debug for TableIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TableIndex")
    }
}

impl TableIndex {
    /// The position of the table in `tables`, exactly: a hit is checked; a stale entry
    /// or a changed length rebuilds the map; a miss on a map of the right length is
    /// confirmed by a scan only when the map could be stale (never, unless `tables` was
    /// edited in place since it was built).
    fn position(&self, tables: &[Table], schema: &str, name: &str) -> Option<usize> {
        type Map = std::collections::HashMap<(String, String), usize>;
        let matches = |i: usize| {
            tables
                .get(i)
                .is_some_and(|t| t.schema == schema && t.name == name)
        };
        let build = || -> Map {
            let mut m = Map::with_capacity(tables.len());
            for (i, t) in tables.iter().enumerate() {
                m.entry((t.schema.clone(), t.name.clone())).or_insert(i);
            }
            m
        };
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let key = (schema.to_string(), name.to_string());
        for attempt in 0..2 {
            let stale = match guard.as_ref() {
                None => true,
                Some((len, _)) => *len != tables.len(),
            };
            if stale || attempt == 1 {
                *guard = Some((tables.len(), build()));
            }
            let (_, map) = guard.as_ref().expect("built");
            match map.get(&key) {
                Some(&i) if matches(i) => return Some(i),
                Some(_) => continue, // edited in place: rebuild and look again
                None if attempt == 0 && !stale => {
                    // The map was built for this many tables; an in-place rename since
                    // then is the only way it could miss: the entries it has still match.
                    return None;
                }
                None => return None,
            }
        }
        tables
            .iter()
            .position(|t| t.schema == schema && t.name == name)
    }

    /// Records a table just pushed at position `i`.
    fn pushed(&self, schema: &str, name: &str, i: usize) {
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((len, m)) = guard.as_mut() {
            if *len == i {
                m.insert((schema.to_string(), name.to_string()), i);
                *len = i + 1;
            }
        }
    }
}

impl Schema {
    pub fn empty() -> Schema {
        Schema::default()
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.index
            .position(&self.tables, schema, name)
            .map(|i| &self.tables[i])
    }

    pub fn table_mut(&mut self, schema: &str, name: &str) -> Option<&mut Table> {
        let i = self.index.position(&self.tables, schema, name)?;
        Some(&mut self.tables[i])
    }

    /// The table, added (with no columns and undeclared RLS flags) if it is not there yet.
    pub fn table_entry(&mut self, schema: &str, name: &str) -> &mut Table {
        let pos = match self.index.position(&self.tables, schema, name) {
            Some(p) => p,
            None => {
                self.tables.push(Table::new(schema, name));
                let i = self.tables.len() - 1;
                self.index.pushed(schema, name, i);
                i
            }
        };
        &mut self.tables[pos]
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// Puts tables, policies, roles and grants in a stable order (by name) and merges
    /// grants of the same grantee on the same table.
    pub fn normalize(&mut self) {
        self.tables
            .sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        for t in &mut self.tables {
            t.policies.sort_by(|a, b| a.name.cmp(&b.name));
        }
        self.roles.sort_by(|a, b| a.name.cmp(&b.name));
        for r in &mut self.roles {
            r.member_of.sort();
            r.member_of.dedup();
            r.normalize_memberships();
        }
        let mut merged: Vec<Grant> = Vec::new();
        let mut grants = std::mem::take(&mut self.grants);
        for g in &mut grants {
            g.columns.sort();
            g.columns.dedup();
        }
        let key = |g: &Grant| {
            (
                g.on,
                g.schema.clone(),
                g.table.clone(),
                g.args.clone(),
                g.columns.clone(),
                g.role.clone(),
                g.grant_option,
            )
        };
        grants.sort_by_key(key);
        for g in grants {
            match merged.last_mut() {
                Some(last) if key(last) == key(&g) => {
                    last.privileges.extend(g.privileges);
                    last.sequences &= g.sequences;
                }
                _ => merged.push(g),
            }
        }
        for g in &mut merged {
            g.privileges.sort();
            g.privileges.dedup();
        }
        self.grants = merged;
        let dkey = |d: &DefaultPrivilege| {
            (
                d.owner.clone(),
                d.schema.clone(),
                d.on,
                d.role.clone(),
                d.grant_option,
            )
        };
        let mut defaults = std::mem::take(&mut self.default_privileges);
        defaults.sort_by_key(dkey);
        let mut merged: Vec<DefaultPrivilege> = Vec::with_capacity(defaults.len());
        for d in defaults {
            match merged.last_mut() {
                Some(last) if dkey(last) == dkey(&d) => last.privileges.extend(d.privileges),
                _ => merged.push(d),
            }
        }
        for d in &mut merged {
            d.privileges.sort();
            d.privileges.dedup();
        }
        self.default_privileges = merged;
        self.functions
            .sort_by(|a, b| (&a.schema, &a.name, &a.args).cmp(&(&b.schema, &b.name, &b.args)));
    }

    /// Reads the JSON exchange format or the ModelIR shape, then validates.
    pub fn from_json(text: &str) -> crate::Result<Schema> {
        let raw: RawSchema = serde_json::from_str(text)
            .map_err(|e| crate::Error::Source(format!("invalid schema JSON: {e}")))?;
        let mut schema = raw.into_schema()?;
        crate::validate::validate(&schema)?;
        schema.normalize();
        Ok(schema)
    }

    /// The JSON exchange format (pretty-printed).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("schema serializes")
    }

    /// Writes the JSON exchange format (pretty-printed) to `w`, without building it in
    /// memory first.
    pub fn write_json(&self, w: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(w, self).map_err(std::io::Error::from)
    }

    /// The PostgreSQL schemas this declaration names (its tables' and grants'), sorted;
    /// `public` when it names none. What to introspect when comparing with it.
    pub fn schema_names(&self) -> Vec<String> {
        let mut s: Vec<String> = self
            .tables
            .iter()
            .map(|t| t.schema.clone())
            .chain(self.grants.iter().map(|g| g.schema.clone()))
            .chain(
                self.default_privileges
                    .iter()
                    .filter_map(|d| d.schema.clone()),
            )
            .chain(self.functions.iter().map(|f| f.schema.clone()))
            .collect();
        if s.is_empty() {
            s.push("public".into());
        }
        s.sort();
        s.dedup();
        s
    }

    /// Whether this schema was read from a live database.
    pub fn is_introspected(&self) -> bool {
        self.database.is_some()
    }
}
