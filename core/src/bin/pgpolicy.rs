//! The `pgpolicy` command: plan, inspect, apply.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pgpolicy::source::Source;
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
    },
}

fn schemas_of(declared: &Schema, explicit: &[String]) -> Vec<String> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    let mut s: Vec<String> = declared.tables.iter().map(|t| t.schema.clone()).collect();
    s.extend(declared.grants.iter().map(|g| g.schema.clone()));
    if s.is_empty() {
        s.push("public".into());
    }
    s.sort();
    s.dedup();
    s
}

fn load(src: &str, schemas: &[String]) -> Result<Schema, Error> {
    let (schema, warnings) = Source::parse(src)?.load(schemas)?;
    for w in warnings {
        eprintln!("warning: {src}: {w}");
    }
    Ok(schema)
}

/// Loads both sides; a database side reads the schemas the declared side names.
fn load_pair(from: &str, to: &str, explicit: &[String]) -> Result<(Schema, Schema), Error> {
    let is_url = |s: &str| matches!(Source::parse(s), Ok(Source::Url(_)));
    if is_url(to) && !is_url(from) {
        let from_s = load(from, explicit)?;
        let to_s = load(to, &schemas_of(&from_s, explicit))?;
        Ok((from_s, to_s))
    } else {
        let to_s = load(to, explicit)?;
        let from_s = load(from, &schemas_of(&to_s, explicit))?;
        Ok((from_s, to_s))
    }
}

fn print_plan(plan: &Plan, format: Format) {
    match format {
        Format::Sql => print!("{}", plan.sql()),
        Format::Json => println!("{}", plan.to_json()),
    }
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Cmd::Plan { from, to, format, reverse, exit_code, schemas } => {
            let (current, desired) = load_pair(&from, &to, &schemas)?;
            let mut plan = pgpolicy::diff(&current, &desired, &DiffOptions::default())?;
            if reverse {
                plan = plan.reverse();
            }
            print_plan(&plan, format);
            if exit_code && !plan.is_empty() {
                return Ok(ExitCode::from(2));
            }
        }
        Cmd::Inspect { url, schemas, format } => {
            let schema = load(&url, &if schemas.is_empty() { vec!["public".into()] } else { schemas })?;
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
        Cmd::Apply { url, to, dry_run, schemas } => {
            let desired = load(&to, &schemas)?;
            let current = load(&url, &schemas_of(&desired, &schemas))?;
            let plan = pgpolicy::diff(&current, &desired, &DiffOptions::default())?;
            if dry_run {
                print!("{}", plan.sql());
            } else if plan.is_empty() {
                eprintln!("nothing to apply");
            } else {
                pgpolicy::introspect::blocking::apply_url(&url, &plan)?;
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
