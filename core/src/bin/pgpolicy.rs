//! The `pgpolicy` command: plan, inspect, apply, lint, explain.
//!
//! Exit status: 0 success (and no drift), 1 an error, 2 drift found by `plan --exit-code`
//! (or findings at or above `--fail-on` by `lint --exit-code`),
//! 64 a usage error (an unknown flag or a missing argument), 141 stdout closed early (a
//! broken pipe, e.g. `| head`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use pgpolicy::diff::Resolver;
use pgpolicy::introspect::{DevDb, LiveDb};
use pgpolicy::session::{parse_duration, Timeouts};
use pgpolicy::source::Source;
use pgpolicy::{DiffOptions, Error, Plan, Schema};

/// `plan --exit-code` found drift.
const EXIT_DRIFT: u8 = 2;
/// A usage error (clap's own default, 2, would read as drift).
const EXIT_USAGE: u8 = 64;
/// stdout was closed before everything was written.
const EXIT_PIPE: u8 = 141;

#[derive(Parser)]
#[command(
    name = "pgpolicy",
    version,
    about = "PostgreSQL row-level security as code"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Sql,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the plan that takes FROM to TO.
    Plan {
        /// A postgres URL, a .json file, a .sql file, or `empty`.
        #[arg(long)]
        from: String,
        /// A postgres URL, a .json file, a .sql file, or `empty`.
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "sql")]
        format: Format,
        /// Print the plan that undoes the plan.
        #[arg(long)]
        reverse: bool,
        /// Exit with status 2 when the plan is not empty (drift check).
        #[arg(long)]
        exit_code: bool,
        /// Schemas to read from a database (repeatable). Default: the schemas the
        /// declared side names (public when it names none).
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// Measure, before the plan runs, how many rows of each table it touches become
        /// visible / invisible, writable / unwritable to --role (FROM must be a database;
        /// evaluated as that role in a rolled-back, read-only transaction).
        #[arg(long, requires = "role")]
        impact: bool,
        /// The role whose rows --impact measures.
        #[arg(long, requires = "impact")]
        role: Option<String>,
        /// A setting the role runs with, name=value (repeatable), e.g. app.tenant_id=2.
        #[arg(long = "setting", requires = "impact")]
        settings: Vec<String>,
        /// Rows evaluated per table; above it, a sample of this size.
        #[arg(long, requires = "impact", default_value_t = pgpolicy::impact::DEFAULT_SAMPLE_LIMIT)]
        sample_limit: u64,
        #[command(flatten)]
        dev: DevArgs,
        #[command(flatten)]
        limits: Limits,
    },
    /// Print the RLS state of a database.
    Inspect {
        /// A postgres URL.
        url: String,
        /// Schemas to read (repeatable; default public).
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// `json` (the exchange format) or `sql` (the statements that recreate it).
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        #[command(flatten)]
        limits: Limits,
    },
    /// Bring a database to the declared state, in one transaction (the tables must exist).
    Apply {
        /// The database to change (a postgres URL).
        #[arg(long)]
        url: String,
        /// The declared state: a .json file, a .sql file, a postgres URL, or `empty`.
        #[arg(long)]
        to: String,
        /// Print the plan instead of running it.
        #[arg(long)]
        dry_run: bool,
        /// Schemas to read from the database (repeatable). Default: the schemas the
        /// declaration names (public when it names none).
        #[arg(long = "schema")]
        schemas: Vec<String>,
        /// Run a plan that weakens protection (disables RLS or FORCE, drops or changes a
        /// restrictive policy, opens a policy to PUBLIC with `true`, grants BYPASSRLS).
        #[arg(long)]
        allow_weaken: bool,
        /// Retries after a lock timeout, with backoff (0.25 s, 0.5 s, 1 s, ...).
        #[arg(long, default_value_t = 3)]
        retries: u32,
        #[command(flatten)]
        dev: DevArgs,
        #[command(flatten)]
        limits: Limits,
    },
    /// Check what the policies mean: tables exposed without RLS, policies that let anyone
    /// write, per-row function calls, roles that bypass RLS, views that skip it (see
    /// docs/lints.md).
    Lint {
        /// A .json or .sql declaration, or a postgres URL.
        src: String,
        /// Check the declaration against the database it will run on (roles, owners,
        /// indexes, views, functions).
        #[arg(long)]
        db: Option<String>,
        /// Schemas to read from a database (repeatable). Default: the declaration's, or
        /// public.
        #[arg(long = "schema")]
        schemas: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: LintFormat,
        /// Exit with status 2 when a finding is at or above --fail-on.
        #[arg(long)]
        exit_code: bool,
        #[arg(long, value_enum, default_value = "warning")]
        fail_on: FailOn,
        /// The configuration file (its [lint] section). Default: ./pgpolicy.toml if present.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        #[command(flatten)]
        limits: Limits,
    },
    /// The predicate PostgreSQL applies to a role's command on a table: permissive policies
    /// OR-ed, restrictive ones AND-ed, WITH CHECK falling back to USING, the bypasses
    /// (superuser, BYPASSRLS, owner without FORCE); without --role, a roles x commands
    /// matrix.
    Explain {
        /// A .json or .sql declaration, or a postgres URL.
        src: String,
        /// The table (`schema.table`, or a table in public).
        #[arg(long)]
        table: String,
        #[arg(long)]
        role: Option<String>,
        /// SELECT, INSERT, UPDATE or DELETE.
        #[arg(long)]
        command: Option<String>,
        /// Explain the declaration on the database it will run on (roles, owners, grants).
        #[arg(long)]
        db: Option<String>,
        #[arg(long = "schema")]
        schemas: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
        #[command(flatten)]
        limits: Limits,
    },
    /// Run policy tests (a TOML file of cases: as role R with settings S, command C on
    /// table T sees / changes these rows, or is denied), each in a rolled-back transaction,
    /// on --db or on a throwaway PostgreSQL prepared by the file's setup and declaration.
    Test {
        file: std::path::PathBuf,
        /// Run on this database instead of a throwaway one (setup and declaration are
        /// then not run).
        #[arg(long)]
        db: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: ExplainFormat,
        #[command(flatten)]
        limits: Limits,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum LintFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Info,
    Warning,
    Error,
}

/// The `[lint]` section of the configuration file given, or of ./pgpolicy.toml.
fn lint_config(path: Option<&std::path::Path>) -> Result<pgpolicy::lint::LintConfig, Error> {
    let default = std::path::Path::new("pgpolicy.toml");
    let path = match path {
        Some(p) => p,
        None if default.is_file() => default,
        None => return Ok(pgpolicy::lint::LintConfig::default()),
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Source(format!("cannot read {}: {e}", path.display())))?;
    pgpolicy::lint::LintConfig::from_toml(&text)
        .map_err(|e| Error::Source(format!("{}: {e}", path.display())))
}

/// Time limits of every transaction pgpolicy runs.
#[derive(clap::Args)]
struct Limits {
    /// How long a statement waits for a table lock (e.g. 5s, 500ms; minimum 1ms).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    lock_timeout: Duration,
    /// How long one statement may run (0 for no limit).
    #[arg(long, default_value = "300s", value_parser = parse_duration)]
    statement_timeout: Duration,
    /// How long connecting may take; a URL's `connect_timeout` takes precedence.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    connect_timeout: Duration,
}

impl Limits {
    fn timeouts(&self) -> Timeouts {
        Timeouts {
            lock: self.lock_timeout,
            statement: self.statement_timeout,
            connect: self.connect_timeout,
        }
    }
}

/// Where expressions the offline layer cannot prove equal are compared.
#[derive(clap::Args)]
struct DevArgs {
    /// Compare on this scratch database instead of the target.
    #[arg(long, conflicts_with = "dev")]
    dev_url: Option<String>,
    /// `embedded`: compare on a throwaway PostgreSQL started from local binaries.
    #[arg(long, value_parser = ["embedded"])]
    dev: Option<String>,
}

impl DevArgs {
    fn open(&self, t: Timeouts) -> Result<Option<DevDb>, Error> {
        match (&self.dev_url, &self.dev) {
            (Some(url), _) => Ok(Some(DevDb::url_with(url, t)?)),
            (None, Some(_)) => Ok(Some(DevDb::embedded()?)),
            _ => Ok(None),
        }
    }
}

fn schemas_of(declared: &Schema, explicit: &[String]) -> Vec<String> {
    if explicit.is_empty() {
        declared.schema_names()
    } else {
        explicit.to_vec()
    }
}

/// A loaded side of a plan; a database side keeps its connection for comparisons.
struct Side {
    schema: Schema,
    db: Option<LiveDb>,
}

/// Loads a source; a database read `for_plan` keeps its transaction open for the plan's
/// comparisons (one snapshot), else it is read in a read-only transaction.
fn load(src: &str, schemas: &[String], t: Timeouts, for_plan: bool) -> Result<Side, Error> {
    let source = Source::parse(src)?;
    if let Source::Url(url) = &source {
        let mut db = LiveDb::connect_with(url, t)?;
        let schema = if for_plan {
            db.introspect_for_plan(schemas)?
        } else {
            db.introspect(schemas)?
        };
        return Ok(Side {
            schema,
            db: Some(db),
        });
    }
    let (schema, warnings) = source.load(schemas)?;
    for w in warnings {
        eprintln!("warning: {src}: {w}");
    }
    Ok(Side { schema, db: None })
}

/// Loads both sides; a database side reads the schemas the declared side names.
fn load_pair(
    from: &str,
    to: &str,
    explicit: &[String],
    t: Timeouts,
) -> Result<(Side, Side), Error> {
    let is_url = |s: &str| matches!(Source::parse(s), Ok(Source::Url(_)));
    if let (true, Ok(Source::Json(path)), true) =
        (is_url(from), Source::parse(to), explicit.is_empty())
    {
        return load_json_beside_db(from, &path, t);
    }
    if is_url(to) && !is_url(from) {
        let from_s = load(from, explicit, t, true)?;
        let to_s = load(to, &schemas_of(&from_s.schema, explicit), t, true)?;
        Ok((from_s, to_s))
    } else {
        let to_s = load(to, explicit, t, true)?;
        let from_s = load(from, &schemas_of(&to_s.schema, explicit), t, true)?;
        Ok((from_s, to_s))
    }
}

/// A database against a JSON declaration: the declaration is decoded on a second thread
/// while the database is read, for the schemas the declaration's text names
/// ([`schema_names_hint`]). The decoded declaration's own [`Schema::schema_names`] is the
/// rule: should they differ, the database is read again for those.
fn load_json_beside_db(url: &str, path: &str, t: Timeouts) -> Result<(Side, Side), Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Source(format!("cannot read {path}: {e}")))?;
    let hint = pgpolicy::ir::schema_names_hint(&text);
    let decoding = std::thread::spawn(move || Schema::from_json(&text));
    let current = hint.as_ref().map(|h| load(url, h, t, true));
    let desired = decoding
        .join()
        .map_err(|_| Error::Source(format!("decoding {path} failed")))??;
    let wanted = desired.schema_names();
    let current = match current {
        Some(c) if hint.as_ref() == Some(&wanted) => c?,
        _ => load(url, &wanted, t, true)?,
    };
    Ok((
        current,
        Side {
            schema: desired,
            db: None,
        },
    ))
}

/// Diff with the strongest comparison available: the dev database when given, else the
/// round trip on whichever side is a database (the current side first).
fn plan_between(
    current: &mut Side,
    desired: &mut Side,
    dev: &DevArgs,
    t: Timeouts,
) -> Result<Plan, Error> {
    let opts = DiffOptions::default();
    let mut dev_db = dev.open(t)?;
    let resolver: Option<&mut dyn Resolver> = match (&mut dev_db, &mut current.db, &mut desired.db)
    {
        (Some(d), _, _) => Some(d),
        (None, Some(db), _) | (None, None, Some(db)) => Some(db),
        (None, None, None) => None,
    };
    let plan = pgpolicy::diff_with(&current.schema, &desired.schema, &opts, resolver)?;
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    Ok(plan)
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly with 141.
fn emit(text: &str) {
    emit_with(|out| out.write_all(text.as_bytes()))
}

/// Like [`emit`], for output written piece by piece (buffered).
fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if let Err(e) = write(&mut out).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(EXIT_PIPE.into());
        }
        eprintln!("error: writing the output: {e}");
        std::process::exit(1);
    }
}

fn print_plan(plan: &Plan, format: Format, t: &Timeouts) {
    match format {
        Format::Sql => emit(&plan.sql_with(t)),
        Format::Json => emit(&format!("{}\n", plan.to_json())),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Cmd::Plan {
            from,
            to,
            format,
            reverse,
            exit_code,
            schemas,
            impact,
            role,
            settings,
            sample_limit,
            dev,
            limits,
        } => {
            let t = limits.timeouts();
            let opts = match (impact, role) {
                (true, Some(role)) => {
                    if reverse {
                        return Err(Error::Source(
                            "--impact measures the plan FROM -> TO; swap --from and --to instead of --reverse".into(),
                        ));
                    }
                    if !matches!(Source::parse(&from)?, Source::Url(_)) {
                        return Err(Error::Source(
                            "--impact counts the rows of the database the plan runs on: --from must be a postgres URL".into(),
                        ));
                    }
                    let settings = settings
                        .iter()
                        .map(|s| pgpolicy::impact::ImpactOptions::parse_setting(s))
                        .collect::<Result<Vec<_>, _>>()?;
                    Some(pgpolicy::impact::ImpactOptions::new(
                        &role,
                        settings,
                        sample_limit,
                    )?)
                }
                _ => None,
            };
            let (mut current, mut desired) = load_pair(&from, &to, &schemas, t)?;
            let mut plan = plan_between(&mut current, &mut desired, &dev, t)?;
            if let Some(opts) = opts {
                let db = current.db.as_mut().expect("a database side");
                let report = db.impact(&current.schema, &desired.schema, &plan, &opts)?;
                match format {
                    Format::Sql => emit(&format!(
                        "{}\n{}",
                        report.to_comment("-- "),
                        plan.sql_with(&t)
                    )),
                    Format::Json => {
                        let mut doc: serde_json::Value =
                            serde_json::from_str(&plan.to_json()).expect("plan JSON");
                        doc["impact"] = serde_json::to_value(&report).expect("impact JSON");
                        emit(&format!(
                            "{}\n",
                            serde_json::to_string_pretty(&doc).expect("plan JSON")
                        ));
                    }
                }
                if exit_code && !plan.is_empty() {
                    return Ok(ExitCode::from(EXIT_DRIFT));
                }
                return Ok(ExitCode::SUCCESS);
            }
            if reverse {
                plan = plan.reverse();
            }
            print_plan(&plan, format, &t);
            if exit_code && !plan.is_empty() {
                return Ok(ExitCode::from(EXIT_DRIFT));
            }
        }
        Cmd::Inspect {
            url,
            schemas,
            format,
            limits,
        } => {
            if !matches!(Source::parse(&url)?, Source::Url(_)) {
                return Err(Error::Source(format!(
                    "inspect reads a database: expected a postgres URL, not {url:?}"
                )));
            }
            let schema = pgpolicy::introspect::into_declaration(
                load(&url, &schemas, limits.timeouts(), false)?.schema,
            );
            match format {
                Format::Json => emit_with(|out| {
                    schema.write_json(&mut *out)?;
                    out.write_all(b"\n")
                }),
                Format::Sql => {
                    let mut declared = schema.clone();
                    declared.database = None;
                    let plan =
                        pgpolicy::diff(&Schema::empty(), &declared, &DiffOptions::default())?;
                    let mut text = String::new();
                    for stmt in plan.statements() {
                        text.push_str(&stmt);
                        text.push_str(";\n");
                    }
                    emit(&text);
                }
            }
        }
        Cmd::Apply {
            url,
            to,
            dry_run,
            schemas,
            allow_weaken,
            retries,
            dev,
            limits,
        } => {
            if !matches!(Source::parse(&url)?, Source::Url(_)) {
                return Err(Error::Source(format!(
                    "--url must be a postgres URL, not {url:?}"
                )));
            }
            let t = limits.timeouts();
            let mut desired = load(&to, &schemas, t, true)?;
            let mut current = load(&url, &schemas_of(&desired.schema, &schemas), t, true)?;
            let plan = plan_between(&mut current, &mut desired, &dev, t)?;
            if dry_run {
                emit(&plan.sql_with(&t));
            } else if plan.is_empty() {
                eprintln!("nothing to apply");
            } else {
                plan.check_weakening(allow_weaken)?;
                let db = current.db.as_mut().expect("database side");
                db.set_retries(retries);
                db.apply(&plan)?;
                eprintln!("applied {} change(s)", plan.len());
            }
        }
        Cmd::Lint {
            src,
            db,
            schemas,
            format,
            exit_code,
            fail_on,
            config,
            limits,
        } => {
            use pgpolicy::lint::{self, Severity};
            let cfg = lint_config(config.as_deref())?;
            let (report, warnings) =
                lint::lint_source(&src, db.as_deref(), &schemas, &cfg, limits.timeouts())?;
            for w in warnings {
                eprintln!("warning: {src}: {w}");
            }
            match format {
                LintFormat::Text => emit(&lint::to_text(&report)),
                LintFormat::Json => emit(&format!("{}\n", report.to_json())),
                LintFormat::Sarif => {
                    let artifact = (!src.contains("://")).then_some(src.as_str());
                    emit(&format!("{}\n", lint::to_sarif(&report, artifact)))
                }
            }
            let level = match fail_on {
                FailOn::Info => Severity::Info,
                FailOn::Warning => Severity::Warning,
                FailOn::Error => Severity::Error,
            };
            if exit_code && report.fails(level) {
                return Ok(ExitCode::from(EXIT_DRIFT));
            }
        }
        Cmd::Test {
            file,
            db,
            format,
            limits,
        } => {
            use pgpolicy::policy_tests::{self, TestFile};
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error::Source(format!("cannot read {}: {e}", file.display())))?;
            let tests = TestFile::from_toml(&text)
                .map_err(|e| Error::Source(format!("{}: {e}", file.display())))?;
            let t = limits.timeouts();
            // A throwaway cluster lives until the tests are done.
            let mut cluster = None;
            let url = match db {
                Some(url) => url,
                None => {
                    let dir = file.parent().unwrap_or(std::path::Path::new("."));
                    let c = pgpolicy::embedded::Cluster::start()?;
                    let url = c.create_database("app")?;
                    for s in &tests.setup {
                        c.psql_file("app", &dir.join(s))?;
                    }
                    if let Some(d) = &tests.declaration {
                        let path = dir.join(d).display().to_string();
                        let mut desired = load(&path, &[], t, true)?;
                        let mut current = load(&url, &schemas_of(&desired.schema, &[]), t, true)?;
                        let dev = DevArgs {
                            dev_url: None,
                            dev: None,
                        };
                        let plan = plan_between(&mut current, &mut desired, &dev, t)?;
                        current.db.as_mut().expect("database side").apply(&plan)?;
                    }
                    cluster = Some(c);
                    url
                }
            };
            let mut conn = LiveDb::connect_with(&url, t)?;
            let outcomes =
                policy_tests::run(&mut conn, pgpolicy::exec::Scope::Transaction, &t, &tests)?;
            drop(conn);
            drop(cluster);
            match format {
                ExplainFormat::Text => emit(&policy_tests::to_text(&outcomes)),
                ExplainFormat::Json => emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(&outcomes).expect("outcomes serialize")
                )),
            }
            if outcomes.iter().any(|o| !o.passed) {
                return Ok(ExitCode::from(EXIT_DRIFT));
            }
        }
        Cmd::Explain {
            src,
            table,
            role,
            command,
            db,
            schemas,
            format,
            limits,
        } => {
            let command = match command.as_deref() {
                None => None,
                Some(c) => Some(pgpolicy::Command::parse(c).ok_or_else(|| {
                    Error::Source(format!(
                        "--command {c:?}: expected SELECT, INSERT, UPDATE or DELETE"
                    ))
                })?),
            };
            let (schema, facts, warnings) =
                pgpolicy::lint::load(&src, db.as_deref(), &schemas, limits.timeouts())?;
            for w in warnings {
                eprintln!("warning: {src}: {w}");
            }
            let ex = pgpolicy::explain::explain(
                &schema,
                facts.as_ref(),
                &table,
                role.as_deref(),
                command,
            )?;
            match format {
                ExplainFormat::Text => emit(&ex.to_text()),
                ExplainFormat::Json => emit(&format!("{}\n", ex.to_json())),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            if e.print().is_err() && !e.use_stderr() {
                return ExitCode::from(EXIT_PIPE);
            }
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            for line in e.to_string().lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(1)
        }
    }
}
