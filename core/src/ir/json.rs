//! Reading the JSON forms: the exchange format (`tables` is a list) and the ModelIR shape
//! (`tables` is a map from table name to `{ columns, rlsEnabled, policies }`). Both are
//! read into raw structs first, so that a bad command or role is reported as a validation
//! error naming its table and policy rather than as a bare serde error.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::*;
use crate::error::{Clause, Error, ValidationError};

/// A JSON object read in the order it was written (ModelIR column order is table order).
#[derive(Debug)]
struct OrderedMap<T>(Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OrderedMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = OrderedMap<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, T>()? {
                    v.push((k, x));
                }
                Ok(OrderedMap(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// `tables` as written: a list, a map (in written order), or something else (an error).
#[derive(Debug, Default)]
enum RawTables<'a> {
    #[default]
    Absent,
    List(Vec<&'a RawValue>),
    Map(Vec<(String, &'a RawValue)>),
    /// Neither: the value as JSON prints it, for the error.
    Other(String),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawTables<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = RawTables<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of tables or an object mapping names to tables")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(RawTables::Absent)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(RawTables::Absent)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RawTables::Other(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawTables::Other(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawTables::Other(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawTables::Other(serde_json::Value::from(v).to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawTables::Other(serde_json::Value::from(v).to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                s: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(s))
                    .map(RawTables::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<Self::Value, A::Error> {
                OrderedMap::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(|m| RawTables::Map(m.0))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// What a [`ListOrMap`] holds, for its error message ("a list of columns or ...").
trait Entries {
    const PLURAL: &'static str;
}

/// A list of entries, or a ModelIR map from name to entry in written order (read by
/// `Vec`'s and [`OrderedMap`]'s own deserializers, not buffered and retried as an
/// untagged enum would be).
#[derive(Debug)]
enum ListOrMap<T> {
    List(Vec<T>),
    Map(OrderedMap<T>),
}

impl<'de, T: Deserialize<'de> + Entries> Deserialize<'de> for ListOrMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Entries> serde::de::Visitor<'de> for V<T> {
            type Value = ListOrMap<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(
                    f,
                    "a list of {0} or an object mapping names to {0}",
                    T::PLURAL
                )
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                s: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(s))
                    .map(ListOrMap::List)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<Self::Value, A::Error> {
                OrderedMap::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ListOrMap::Map)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T> ListOrMap<T> {
    /// The entries, without the map's names.
    fn into_values(self) -> Vec<T> {
        match self {
            ListOrMap::List(v) => v,
            ListOrMap::Map(m) => m.0.into_iter().map(|(_, t)| t).collect(),
        }
    }
}

/// `columns` as written.
type RawColumns = ListOrMap<RawColumn>;

impl Entries for RawColumn {
    const PLURAL: &'static str = "columns";
}

impl<T> Default for ListOrMap<T> {
    fn default() -> Self {
        ListOrMap::List(Vec::new())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchema<'a> {
    /// A list of tables, or a ModelIR map from name to table, kept as raw JSON text (not a
    /// tree) and decoded table by table, so that an error names its table and policy and
    /// a large schema is never held as one JSON tree.
    #[serde(default, borrow)]
    tables: RawTables<'a>,
    #[serde(default)]
    roles: Vec<RawRole>,
    #[serde(default)]
    grants: Vec<RawGrant>,
    #[serde(default, alias = "defaultPrivileges")]
    default_privileges: Vec<RawDefaultPrivilege>,
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default)]
    database: Option<DatabaseInfo>,
    #[serde(default)]
    catalog: Catalog,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRls {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    forced: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct RawTable<'a> {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    columns: RawColumns,
    #[serde(default)]
    rls: Option<RawRls>,
    #[serde(default, alias = "rlsEnabled", alias = "rls_enabled")]
    rls_enabled: Option<bool>,
    #[serde(default, alias = "rlsForced", alias = "rls_forced", alias = "forceRls")]
    rls_forced: Option<bool>,
    #[serde(default, borrow)]
    policies: Vec<&'a RawValue>,
    #[serde(default, alias = "lintAllow")]
    lint_allow: Vec<String>,
}

/// The `name` of a JSON object, when it is a string (to name what failed to decode).
fn name_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        name: Option<serde_json::Value>,
    }
    let n: Named = serde_json::from_str(raw.get()).ok()?;
    n.name?.as_str().map(str::to_string)
}

/// A decoding error's message without serde's " at line L column C" (positions inside
/// one table's text would mislead: the error names the table and policy instead).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

#[derive(Debug, Deserialize)]
struct RawColumn {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type", default)]
    data_type: Option<String>,
    #[serde(default)]
    nullable: Option<bool>,
    #[serde(default, alias = "allowNull")]
    allow_null: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRoles {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    name: String,
    #[serde(default)]
    command: Option<String>,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    permissive: Option<bool>,
    #[serde(default, rename = "as")]
    as_: Option<String>,
    #[serde(default, alias = "to")]
    roles: Option<RawRoles>,
    #[serde(default)]
    using: Option<String>,
    #[serde(default, alias = "withCheck")]
    with_check: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default, alias = "renamedFrom")]
    renamed_from: Option<String>,
    #[serde(default, alias = "lintAllow")]
    lint_allow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: String,
    #[serde(default)]
    login: bool,
    #[serde(default = "yes")]
    inherit: bool,
    #[serde(default)]
    bypassrls: bool,
    #[serde(default, alias = "connectionLimit")]
    connection_limit: Option<i32>,
    #[serde(default, alias = "memberOf")]
    member_of: Vec<RawMembership>,
    #[serde(default, alias = "membershipOptions")]
    membership_options: BTreeMap<String, MembershipOptions>,
}

/// A group the role is a member of: its name, or `{"role": name, "admin": .., "inherit":
/// .., "set": ..}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawMembership {
    Name(String),
    WithOptions {
        role: String,
        #[serde(default)]
        admin: bool,
        #[serde(default)]
        inherit: Option<bool>,
        #[serde(default)]
        set: Option<bool>,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    sequence: Option<String>,
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    args: Option<Vec<String>>,
    #[serde(default)]
    columns: Vec<String>,
    role: String,
    privileges: Vec<String>,
    #[serde(default, alias = "grantOption", alias = "with_grant_option")]
    grant_option: bool,
    #[serde(default)]
    sequences: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaultPrivilege {
    #[serde(default, alias = "forRole", alias = "owner")]
    for_role: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    on: String,
    role: String,
    privileges: Vec<String>,
    #[serde(default, alias = "grantOption")]
    grant_option: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    #[serde(default)]
    schema: Option<String>,
    name: String,
    /// The argument list as written between the parentheses.
    #[serde(default)]
    arguments: String,
    returns: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    volatility: Option<String>,
    #[serde(default, alias = "securityDefiner")]
    security_definer: bool,
    #[serde(default)]
    strict: bool,
    #[serde(default, alias = "searchPath")]
    search_path: Option<Vec<String>>,
    /// `SAFE`, `RESTRICTED` or `UNSAFE` (the default).
    #[serde(default)]
    parallel: Option<String>,
    #[serde(default)]
    leakproof: bool,
    /// A number, or its text as PostgreSQL prints it.
    #[serde(default)]
    cost: Option<serde_json::Value>,
    body: String,
}

/// A declared function: its argument list and result checked to be what they say
/// (nothing else can reach the statement), its identity derived from the arguments.
fn function(f: RawFunction) -> Result<Function, ValidationError> {
    let schema = f.schema.unwrap_or_else(|| "public".into());
    let err = |code, message: String| ValidationError {
        code,
        table: None,
        policy: None,
        clause: Some(Clause::Name),
        message: format!("function {schema}.{}: {message}", f.name),
    };
    let args = crate::sql::read::identity_args(&f.arguments)
        .map_err(|m| err("BAD_FUNCTION_ARGUMENTS", m))?;
    let returns =
        crate::sql::read::result_type(&f.returns).map_err(|m| err("BAD_FUNCTION_RESULT", m))?;
    let language = f
        .language
        .unwrap_or_else(|| "sql".into())
        .to_ascii_lowercase();
    if language.is_empty()
        || !language
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
    {
        return Err(err(
            "BAD_FUNCTION_LANGUAGE",
            format!("unknown language {language:?}"),
        ));
    }
    // A keyword option: upper case, `default` when absent, one of `allowed`.
    let keyword = |value: Option<String>, default: &str, allowed: [&str; 3], code, what: &str| {
        let v = value.unwrap_or_else(|| default.into()).to_ascii_uppercase();
        match allowed.contains(&v.as_str()) {
            true => Ok(v),
            false => Err(err(
                code,
                format!(
                    "{what} {v:?} is not {}, {} or {}",
                    allowed[0], allowed[1], allowed[2]
                ),
            )),
        }
    };
    let volatility = keyword(
        f.volatility,
        "VOLATILE",
        ["VOLATILE", "STABLE", "IMMUTABLE"],
        "BAD_FUNCTION_VOLATILITY",
        "volatility",
    )?;
    let parallel = keyword(
        f.parallel,
        "UNSAFE",
        ["SAFE", "RESTRICTED", "UNSAFE"],
        "BAD_FUNCTION_PARALLEL",
        "parallel",
    )?;
    let cost = match &f.cost {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => {
            let n = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
                .ok_or_else(|| err("BAD_FUNCTION_COST", format!("cost {v} is not a number")))?;
            function_cost(n).map_err(|m| err("BAD_FUNCTION_COST", m))?
        }
    };
    Ok(Function {
        schema: schema.clone(),
        name: f.name.clone(),
        arguments: f.arguments.trim().to_string(),
        args,
        returns,
        language,
        volatility,
        security_definer: f.security_definer,
        strict: f.strict,
        search_path: f.search_path,
        parallel,
        leakproof: f.leakproof,
        cost,
        body: f.body,
    })
}

/// A default privilege as written: `on` is tables, sequences, functions (routines) or
/// schemas; `ALL` stands for every privilege of that kind.
fn default_privilege(d: RawDefaultPrivilege) -> Result<DefaultPrivilege, ValidationError> {
    let err = |code, message: String| ValidationError {
        code,
        table: None,
        policy: None,
        clause: Some(Clause::Grant),
        message: format!("default privileges for {}: {message}", d.role),
    };
    let on = ObjectKind::parse(&d.on).ok_or_else(|| {
        err(
            "UNKNOWN_OBJECT_KIND",
            format!(
                "unknown object kind {:?} (expected tables, sequences, functions or schemas)",
                d.on
            ),
        )
    })?;
    if on == ObjectKind::Schema && d.schema.is_some() {
        return Err(err(
            "SCHEMA_DEFAULTS_IN_SCHEMA",
            "default privileges on schemas cannot be given IN SCHEMA".into(),
        ));
    }
    let allowed = on.privileges(false);
    let mut privileges = Vec::new();
    for p in &d.privileges {
        let up = p.trim().to_ascii_uppercase();
        if up == "ALL" || up == "ALL PRIVILEGES" {
            privileges.extend_from_slice(allowed);
        } else {
            match Privilege::parse(p).filter(|p| allowed.contains(p)) {
                Some(pr) => privileges.push(pr),
                None => {
                    return Err(err(
                        "UNKNOWN_PRIVILEGE",
                        format!("unknown {} privilege {p:?}", on.as_str()),
                    ))
                }
            }
        }
    }
    Ok(DefaultPrivilege {
        owner: d.for_role.clone(),
        schema: d.schema.clone(),
        on,
        role: RoleSpec::parse(&d.role),
        privileges,
        grant_option: d.grant_option,
    })
}

impl RawSchema<'_> {
    pub fn into_schema(self) -> crate::Result<Schema> {
        let mut errors = Vec::new();
        let entries: Vec<(Option<String>, &RawValue)> = match self.tables {
            RawTables::Absent => Vec::new(),
            RawTables::List(v) => v.into_iter().map(|t| (None, t)).collect(),
            RawTables::Map(m) => m.into_iter().map(|(k, t)| (Some(k), t)).collect(),
            RawTables::Other(other) => {
                return Err(Error::Source(format!(
                    "`tables` must be a list of tables or an object mapping names to tables, not {other}"
                )))
            }
        };
        let mut tables = Vec::with_capacity(entries.len());
        // Table by table, straight from the text: no JSON tree is ever built.
        for (key, raw) in entries {
            let t: RawTable = serde_json::from_str(raw.get()).map_err(|e| {
                let label = name_of(raw)
                    .or_else(|| key.clone())
                    .unwrap_or_else(|| "(unnamed)".into());
                Error::Source(format!("table {label}: {}", without_position(&e)))
            })?;
            let name = match (t.name.clone(), key) {
                (Some(n), _) => n,
                (None, Some(k)) => k,
                (None, None) => {
                    errors.push(ValidationError {
                        code: "TABLE_WITHOUT_NAME",
                        table: None,
                        policy: None,
                        clause: Some(Clause::Table),
                        message: "a table has no name".into(),
                    });
                    continue;
                }
            };
            let schema = t.schema.clone().unwrap_or_else(|| "public".to_string());
            let display = format!("{schema}.{name}");
            // Pushed into a vector of their own size (collecting in place would keep the
            // larger raw columns' allocation).
            let mut columns: Vec<Column> = Vec::new();
            match t.columns {
                ListOrMap::List(v) => {
                    columns.reserve_exact(v.len());
                    for c in v {
                        if let Some(n) = c.name.clone() {
                            columns.push(column(n, c));
                        }
                    }
                }
                ListOrMap::Map(m) => {
                    columns.reserve_exact(m.0.len());
                    for (k, c) in m.0 {
                        columns.push(column(k, c));
                    }
                }
            }
            let mut rls = Rls::default();
            if let Some(r) = t.rls {
                rls.enabled = r.enabled;
                rls.forced = r.forced;
            }
            if let Some(e) = t.rls_enabled {
                rls.enabled = Some(e);
            }
            if let Some(f) = t.rls_forced {
                rls.forced = Some(f);
            }
            let mut policies = Vec::with_capacity(t.policies.len());
            for raw in t.policies {
                let p: RawPolicy = serde_json::from_str(raw.get()).map_err(|e| {
                    let label = name_of(raw).unwrap_or_else(|| "(unnamed)".into());
                    Error::Source(format!(
                        "table {display}, policy {label:?}: {}",
                        without_position(&e)
                    ))
                })?;
                let cmd_text = p.command.or(p.for_).unwrap_or_else(|| "ALL".into());
                let command = match Command::parse(&cmd_text) {
                    Some(c) => c,
                    None => {
                        errors.push(ValidationError {
                            code: "UNKNOWN_COMMAND",
                            table: Some(display.clone()),
                            policy: Some(p.name.clone()),
                            clause: Some(Clause::Command),
                            message: format!(
                                "unknown command {cmd_text:?} (expected ALL, SELECT, INSERT, UPDATE or DELETE)"
                            ),
                        });
                        continue;
                    }
                };
                let permissive = match (&p.as_, p.permissive) {
                    (Some(a), _) => match a.to_ascii_uppercase().as_str() {
                        "PERMISSIVE" => true,
                        "RESTRICTIVE" => false,
                        _ => {
                            errors.push(ValidationError {
                                code: "UNKNOWN_PERMISSIVENESS",
                                table: Some(display.clone()),
                                policy: Some(p.name.clone()),
                                clause: Some(Clause::Command),
                                message: format!(
                                    "unknown policy kind {a:?} (expected PERMISSIVE or RESTRICTIVE)"
                                ),
                            });
                            continue;
                        }
                    },
                    (None, Some(b)) => b,
                    (None, None) => true,
                };
                let roles = match p.roles {
                    None => vec![RoleSpec::Public],
                    Some(RawRoles::One(r)) => vec![RoleSpec::parse(&r)],
                    Some(RawRoles::Many(v)) if v.is_empty() => vec![RoleSpec::Public],
                    Some(RawRoles::Many(v)) => v.iter().map(|r| RoleSpec::parse(r)).collect(),
                };
                policies.push(Policy {
                    name: p.name,
                    command,
                    permissive,
                    roles,
                    // A blank clause is kept: validation names it (an empty string never
                    // silently means "no clause").
                    using: p.using,
                    with_check: p.with_check,
                    comment: p.comment,
                    renamed_from: p.renamed_from,
                    lint_allow: p.lint_allow,
                });
            }
            tables.push(Table {
                schema,
                name,
                columns,
                rls,
                policies,
                lint_allow: t.lint_allow,
            });
        }
        let roles = self
            .roles
            .into_iter()
            .map(|r| {
                let mut options = r.membership_options;
                let member_of = r
                    .member_of
                    .into_iter()
                    .map(|m| match m {
                        RawMembership::Name(n) => n,
                        RawMembership::WithOptions {
                            role,
                            admin,
                            inherit,
                            set,
                        } => {
                            let o = MembershipOptions {
                                admin,
                                inherit,
                                set,
                            };
                            options.insert(role.clone(), o);
                            role
                        }
                    })
                    .collect();
                Role {
                    name: r.name,
                    login: r.login,
                    inherit: r.inherit,
                    bypassrls: r.bypassrls,
                    connection_limit: r.connection_limit,
                    member_of,
                    membership_options: options,
                }
            })
            .collect();
        let mut grants = Vec::new();
        for g in self.grants {
            match grant(g) {
                Ok(g) => grants.push(g),
                Err(e) => errors.push(e),
            }
        }
        let mut functions = Vec::new();
        for f in self.functions {
            match function(f) {
                Ok(f) => functions.push(f),
                Err(e) => errors.push(e),
            }
        }
        let mut default_privileges = Vec::new();
        for d in self.default_privileges {
            match default_privilege(d) {
                Ok(d) => default_privileges.push(d),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        // Not normalized yet: validation reports errors in the order they were written.
        Ok(Schema {
            tables,
            roles,
            grants,
            default_privileges,
            catalog: self.catalog.with_functions(&functions),
            functions,
            database: self.database,
            index: Default::default(),
        })
    }
}

/// A grant as written: the object is named by its key (`table`, `sequence`, `function`,
/// or only `schema`); `ALL` stands for every privilege of that kind of object.
fn grant(g: RawGrant) -> Result<Grant, ValidationError> {
    let named = [&g.table, &g.sequence, &g.function]
        .iter()
        .filter(|n| n.is_some())
        .count();
    let (on, name) = match (g.table, g.sequence, g.function) {
        (Some(t), _, _) => (ObjectKind::Table, t),
        (None, Some(s), _) => (ObjectKind::Sequence, s),
        (None, None, Some(f)) => (ObjectKind::Function, f),
        (None, None, None) => (ObjectKind::Schema, String::new()),
    };
    let schema = match (g.schema, on) {
        (Some(s), _) => s,
        (None, ObjectKind::Schema) => String::new(),
        (None, _) => "public".into(),
    };
    // A table grant's errors name the table; others name their object in the message.
    let (table, what) = match on {
        ObjectKind::Table => (Some(format!("{schema}.{name}")), String::new()),
        ObjectKind::Schema if schema.is_empty() => (None, String::new()),
        ObjectKind::Schema => (None, format!("schema {schema}: ")),
        _ => (None, format!("{} {schema}.{name}: ", on.as_str())),
    };
    let err = |code, message: String| ValidationError {
        code,
        table: table.clone(),
        policy: None,
        clause: Some(Clause::Grant),
        message: format!("{what}{message}"),
    };
    if named > 1 {
        return Err(err(
            "AMBIGUOUS_GRANT",
            "a grant names more than one of table, sequence and function".into(),
        ));
    }
    if on == ObjectKind::Schema && schema.is_empty() {
        return Err(err(
            "GRANT_WITHOUT_OBJECT",
            format!(
                "a grant to {} names no table, sequence, function or schema",
                g.role
            ),
        ));
    }
    if g.args.is_some() && on != ObjectKind::Function {
        return Err(err(
            "UNEXPECTED_ARGS",
            "`args` belongs to a function grant".into(),
        ));
    }
    if !g.columns.is_empty() && on != ObjectKind::Table {
        return Err(err(
            "UNEXPECTED_COLUMNS",
            "`columns` belongs to a table grant".into(),
        ));
    }
    let allowed = on.privileges(!g.columns.is_empty());
    let mut privileges = Vec::new();
    for p in &g.privileges {
        let up = p.trim().to_ascii_uppercase();
        if up == "ALL" || up == "ALL PRIVILEGES" {
            privileges.extend_from_slice(allowed);
        } else {
            match Privilege::parse(p).filter(|p| allowed.contains(p)) {
                Some(pr) => privileges.push(pr),
                None => {
                    return Err(err(
                        "UNKNOWN_PRIVILEGE",
                        format!(
                            "unknown {}{} privilege {p:?} granted to {}",
                            on.as_str(),
                            if g.columns.is_empty() { "" } else { " column" },
                            g.role,
                        ),
                    ))
                }
            }
        }
    }
    let args = crate::validate::function_args(&g.args.unwrap_or_default())
        .map_err(|m| err("BAD_ARGUMENT_TYPE", m))?;
    Ok(Grant {
        on,
        schema,
        table: name,
        args,
        columns: g.columns,
        role: RoleSpec::parse(&g.role),
        privileges,
        grant_option: g.grant_option,
        sequences: g.sequences.unwrap_or(true),
    })
}

fn column(name: String, c: RawColumn) -> Column {
    Column {
        name,
        data_type: c.data_type.unwrap_or_else(|| "text".into()),
        nullable: c.nullable.or(c.allow_null).unwrap_or(true),
    }
}

/// The schemas a JSON declaration names (its tables' and grants' `schema`, `public` when
/// absent), read without decoding the rest: a guess that lets a database be read while the
/// declaration is decoded. [`Schema::schema_names`] of the decoded declaration is the rule;
/// a caller compares the two. None when the text is not a JSON object.
pub fn schema_names_hint(text: &str) -> Option<Vec<String>> {
    #[derive(Deserialize)]
    struct Named {
        #[serde(default)]
        schema: Option<String>,
    }
    impl Entries for Named {
        const PLURAL: &'static str = "tables";
    }
    #[derive(Deserialize)]
    struct Hint {
        #[serde(default)]
        tables: Option<ListOrMap<Named>>,
        #[serde(default)]
        grants: Option<Vec<Named>>,
    }
    let h: Hint = serde_json::from_str(text).ok()?;
    let mut s: Vec<String> = h
        .tables
        .map(ListOrMap::into_values)
        .unwrap_or_default()
        .into_iter()
        .chain(h.grants.unwrap_or_default())
        .map(|t| t.schema)
        .map(|s| s.unwrap_or_else(|| "public".to_string()))
        .collect();
    if s.is_empty() {
        s.push("public".into());
    }
    s.sort();
    s.dedup();
    Some(s)
}

#[cfg(test)]
mod hint_tests {
    use super::*;

    #[test]
    fn the_hint_names_the_schemas_the_decoded_declaration_names() {
        for text in [
            r#"{"tables": []}"#,
            r#"{}"#,
            r#"{"tables": [{"name": "a", "policies": []}, {"schema": "app", "name": "b"}]}"#,
            r#"{"tables": {"docs": {"columns": {"id": {"type": "int"}}}}}"#,
            r#"{"tables": [{"schema": "app", "name": "b"}],
                "grants": [{"schema": "billing", "table": "x", "role": "r", "privileges": ["SELECT"]}],
                "roles": [{"name": "r"}]}"#,
        ] {
            let decoded = Schema::from_json(text).unwrap().schema_names();
            assert_eq!(schema_names_hint(text), Some(decoded), "{text}");
        }
        assert_eq!(schema_names_hint("[1]"), None);
    }
}
