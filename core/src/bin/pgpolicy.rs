//! The `pgpolicy` command: plan, inspect, apply.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pgpolicy::source::Source;
use pgpolicy::diff::Resolver;
use pgpolicy::introspect::{DevDb, LiveDb};
use pgpolicy::{DiffOptions, Error, Plan, Schema};

#[derive(Parser)]
#[command(name = "pgpolicy", version, about = "PostgreSQL row-level security as code")]
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
        /// Schemas to read from a database (repeatable; default public).
        #[arg(long = "schema")]
        schemas: Vec<String>,
        #[command(flatten)]
        dev: DevArgs,
    },
    /// Print the RLS state of a database.
    Inspect {
        url: String,
        #[arg(long = "schema")]
        schemas: Vec<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Bring a database to the declared state, in one transaction.
    Apply {
        #[arg(long)]
        url: String,
        #[arg(long)]
        to: String,
        /// Print the plan instead of running it.
        #[arg(long)]
        dry_run: bool,
        #[arg(long = "schema")]
        schemas: Vec<String>,
        #[command(flatten)]
        dev: DevArgs,
    },
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
    fn open(&self) -> Result<Option<DevDb>, Error> {
        match (&self.dev_url, &self.dev) {
            (Some(url), _) => Ok(Some(DevDb::url(url)?)),
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

fn load(src: &str, schemas: &[String]) -> Result<Side, Error> {
    let source = Source::parse(src)?;
    if let Source::Url(url) = &source {
        let db = LiveDb::connect(url)?;
        let schema = db.introspect(schemas)?;
        return Ok(Side { schema, db: Some(db) });
    }
    let (schema, warnings) = source.load(schemas)?;
    for w in warnings {
        eprintln!("warning: {src}: {w}");
    }
    Ok(Side { schema, db: None })
}

/// Loads both sides; a database side reads the schemas the declared side names.
fn load_pair(from: &str, to: &str, explicit: &[String]) -> Result<(Side, Side), Error> {
    let is_url = |s: &str| matches!(Source::parse(s), Ok(Source::Url(_)));
    if is_url(to) && !is_url(from) {
        let from_s = load(from, explicit)?;
        let to_s = load(to, &schemas_of(&from_s.schema, explicit))?;
        Ok((from_s, to_s))
    } else {
        let to_s = load(to, explicit)?;
        let from_s = load(from, &schemas_of(&to_s.schema, explicit))?;
        Ok((from_s, to_s))
    }
}

/// Diff with the strongest comparison available: the dev database when given, else the
/// round trip on whichever side is a database (the current side first).
fn plan_between(current: &mut Side, desired: &mut Side, dev: &DevArgs) -> Result<Plan, Error> {
    let opts = DiffOptions::default();
    let mut dev_db = dev.open()?;
    let resolver: Option<&mut dyn Resolver> = match (&mut dev_db, &mut current.db, &mut desired.db) {
        (Some(d), _, _) => Some(d),
        (None, Some(db), _) | (None, None, Some(db)) => Some(db),
        (None, None, None) => None,
    };
    pgpolicy::diff_with(&current.schema, &desired.schema, &opts, resolver)
}

fn print_plan(plan: &Plan, format: Format) {
    match format {
        Format::Sql => print!("{}", plan.sql()),
        Format::Json => println!("{}", plan.to_json()),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Cmd::Plan { from, to, format, reverse, exit_code, schemas, dev } => {
            let (mut current, mut desired) = load_pair(&from, &to, &schemas)?;
            let mut plan = plan_between(&mut current, &mut desired, &dev)?;
            if reverse {
                plan = plan.reverse();
            }
            print_plan(&plan, format);
            if exit_code && !plan.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        Cmd::Inspect { url, schemas, format } => {
            let schema = load(&url, &schemas)?.schema;
            match format {
                Format::Json => println!("{}", schema.to_json()),
                Format::Sql => {
                    let mut declared = schema.clone();
                    let me = schema.database.as_ref().map(|d| d.current_user.clone());
                    declared.roles.retain(|r| Some(&r.name) != me.as_ref());
                    declared.database = None;
                    let plan = pgpolicy::diff(&Schema::empty(), &declared, &DiffOptions::default())?;
                    for stmt in plan.statements() {
                        println!("{stmt};");
                    }
                }
            }
        }
        Cmd::Apply { url, to, dry_run, schemas, dev } => {
            if !matches!(Source::parse(&url)?, Source::Url(_)) {
                return Err(Error::Source(format!("--url must be a postgres URL, not {url:?}")));
            }
            let mut desired = load(&to, &schemas)?;
            let mut current = load(&url, &schemas_of(&desired.schema, &schemas))?;
            let plan = plan_between(&mut current, &mut desired, &dev)?;
            if dry_run {
                print!("{}", plan.sql());
            } else if plan.is_empty() {
                eprintln!("nothing to apply");
            } else {
                current.db.as_ref().expect("database side").apply(&plan)?;
                eprintln!("applied {} change(s)", plan.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
