//! Prints `core-types.d.ts`: the TypeScript declarations of the typed values the addon
//! hands out (plans, steps, changes, schemas, validation errors), generated from the core's
//! Rust definitions (ts-rs, the core's `ts` feature).
//!
//! `cargo run --release -p pgpolicy-node --example gen_types > bindings/node/core-types.d.ts`;
//! `scripts/test-node.sh` fails when the committed file differs from its output.

use pgpolicy::diff::{
    ClauseChange, DefaultPrivileges, PlanDocument, RecreatedPolicy, RolePrivileges, Step,
};
use pgpolicy::explain::{Effective, Explanation, Verdict};
use pgpolicy::impact::{Check, CheckImpact, Impact, Side, TableImpact};
use pgpolicy::ir::catalog::{Catalog, FunctionSig, SessionSettings, TypeDef, TypeKind, ZoneChange};
use pgpolicy::ir::{DatabaseInfo, GrantShape, Rls};
use pgpolicy::lint::{Finding, Report, Severity};
use pgpolicy::{
    Change, Clause, Column, Command, DefaultPrivilege, Function, MembershipOptions, ObjectKind,
    Policy, Privilege, Role, Schema, Table, TableName, ValidationError,
};
use ts_rs::{Config, TS};

fn decl<T: TS>() -> String {
    let mut s = String::new();
    if let Some(docs) = T::docs() {
        s.push_str(&docs);
        if !docs.ends_with('\n') {
            s.push('\n');
        }
    }
    s.push_str("export ");
    s.push_str(&T::decl(&Config::default()));
    s.push('\n');
    s
}

fn main() {
    let parts = [
        decl::<PlanDocument>(),
        decl::<Step>(),
        decl::<Change>(),
        decl::<ClauseChange>(),
        decl::<RecreatedPolicy>(),
        decl::<Schema>(),
        decl::<Table>(),
        decl::<Column>(),
        decl::<Rls>(),
        decl::<Policy>(),
        decl::<Command>(),
        decl::<Role>(),
        decl::<MembershipOptions>(),
        decl::<GrantShape>(),
        decl::<DefaultPrivilege>(),
        decl::<Function>(),
        decl::<RolePrivileges>(),
        decl::<DefaultPrivileges>(),
        decl::<ObjectKind>(),
        decl::<Privilege>(),
        decl::<TableName>(),
        decl::<DatabaseInfo>(),
        decl::<Catalog>(),
        decl::<FunctionSig>(),
        decl::<SessionSettings>(),
        decl::<ZoneChange>(),
        decl::<TypeDef>(),
        decl::<TypeKind>(),
        decl::<ValidationError>(),
        decl::<Clause>(),
        decl::<Report>(),
        decl::<Finding>(),
        decl::<Severity>(),
        decl::<Explanation>(),
        decl::<Effective>(),
        decl::<Verdict>(),
        decl::<Impact>(),
        decl::<TableImpact>(),
        decl::<CheckImpact>(),
        decl::<Side>(),
        decl::<Check>(),
    ];
    let text = format!(
        "// Generated from the core's Rust definitions (ts-rs) by\n\
         // `cargo run --release -p pgpolicy-node --example gen_types`: do not edit.\n\n{}",
        parts.join("\n")
    );
    for line in text.lines() {
        println!("{}", line.trim_end());
    }
}
