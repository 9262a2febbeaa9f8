//! pgpolicy: PostgreSQL row-level security as code.
//!
//! Data flows source → IR → changes → plan → SQL: [`ir`] holds the schema model and its
//! JSON forms, [`sql`] reads `.sql` sources and renders DDL, [`expr`] validates and
//! canonicalizes policy expressions, [`diff`] computes ordered, reversible plans,
//! [`introspect`] reads a live database, and [`embedded`] starts a throwaway PostgreSQL.

#[cfg(feature = "fast-alloc")]
mod alloc;

pub mod context;
pub mod diff;
pub mod embedded;
pub mod error;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod impact;
pub mod introspect;
pub mod ir;
pub mod lint;
pub mod policy_tests;
pub mod session;
pub mod source;
pub mod sql;
pub mod validate;

pub use diff::{diff, diff_with, Change, DiffOptions, Plan};
pub use error::{Clause, Error, Result, ValidationError};
pub use ir::{
    Column, Command, DefaultPrivilege, Function, Grant, MembershipOptions, Object, ObjectKind,
    Policy, Privilege, Rls, Role, RoleSpec, Schema, Table, TableName,
};
