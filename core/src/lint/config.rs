//! The `[lint]` section of `pgpolicy.toml`:
//!
//! ```toml
//! [lint]
//! # Roles the application connects as or switches to (default: every role a policy or a
//! # grant names, except admin_roles and the role that runs pgpolicy).
//! app_roles = ["app_user"]
//! # Roles meant to see everything (migrations, support tools).
//! admin_roles = ["app_admin"]
//! # Schemas whose functions the application can call (default: the linted schemas).
//! exposed_schemas = ["public"]
//!
//! [lint.rules]            # per rule: "off", "on", or a severity
//! rls_enabled_no_policy = "off"
//! per_row_function_call = "error"
//!
//! [lint.allow]            # per table, policy-free object or role: rules not to report
//! "public.audit_log" = ["rls_enabled_no_policy"]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Severity;
use crate::error::Error;

/// Whether a rule runs, and at what severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    /// The rule's own severity.
    On,
    Off,
    Severity(Severity),
}

/// The lint configuration (`[lint]` in `pgpolicy.toml`, or built by a package).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    #[serde(default)]
    pub app_roles: Option<Vec<String>>,
    #[serde(default)]
    pub admin_roles: Vec<String>,
    #[serde(default)]
    pub exposed_schemas: Option<Vec<String>>,
    /// Rule id → `off`, `on`, `info`, `warning` or `error`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// `schema.table` (or a view, a function `schema.name`, a role) → rule ids (or `all`).
    #[serde(default)]
    pub allow: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    lint: Option<LintConfig>,
}

impl LintConfig {
    /// Reads the `[lint]` section of a `pgpolicy.toml` text (other sections are left to
    /// their readers). Unknown rule ids and settings are errors, so a typo does not
    /// silently keep a rule on.
    pub fn from_toml(text: &str) -> Result<LintConfig, Error> {
        let file: File =
            toml::from_str(text).map_err(|e| Error::Source(format!("pgpolicy.toml: {e}")))?;
        let cfg = file.lint.unwrap_or_default();
        cfg.check()?;
        Ok(cfg)
    }

    /// Refuses unknown rule ids and settings.
    pub fn check(&self) -> Result<(), Error> {
        let known = |id: &str| super::RULES.iter().any(|r| r.id == id);
        for (id, v) in &self.rules {
            if !known(id) {
                return Err(Error::Source(format!(
                    "pgpolicy.toml: [lint.rules]: unknown rule {id:?}"
                )));
            }
            if parse_setting(v).is_none() {
                return Err(Error::Source(format!(
                    "pgpolicy.toml: [lint.rules]: {id} = {v:?}: expected \"off\", \"on\", \"info\", \"warning\" or \"error\""
                )));
            }
        }
        for (object, ids) in &self.allow {
            for id in ids {
                if id != "all" && !known(id) {
                    return Err(Error::Source(format!(
                        "pgpolicy.toml: [lint.allow]: {object:?}: unknown rule {id:?}"
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn setting(&self, rule: &str) -> RuleSetting {
        self.rules
            .get(rule)
            .and_then(|v| parse_setting(v))
            .unwrap_or(RuleSetting::On)
    }

    /// Whether `[lint.allow]` silences `rule` for `object`.
    pub fn allows(&self, object: &str, rule: &str) -> bool {
        self.allow
            .get(object)
            .is_some_and(|ids| ids.iter().any(|i| i == rule || i == "all"))
    }
}

fn parse_setting(v: &str) -> Option<RuleSetting> {
    match v.trim().to_ascii_lowercase().as_str() {
        "off" | "false" => Some(RuleSetting::Off),
        "on" | "true" => Some(RuleSetting::On),
        other => Severity::parse(other).map(RuleSetting::Severity),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lint_section() {
        let c = LintConfig::from_toml(
            r#"
[other]
x = 1
[lint]
app_roles = ["app_user"]
[lint.rules]
rls_enabled_no_policy = "off"
per_row_function_call = "error"
[lint.allow]
"public.audit" = ["rls_disabled_with_policies"]
"#,
        )
        .unwrap();
        assert_eq!(c.app_roles, Some(vec!["app_user".to_string()]));
        assert_eq!(c.setting("rls_enabled_no_policy"), RuleSetting::Off);
        assert_eq!(
            c.setting("per_row_function_call"),
            RuleSetting::Severity(Severity::Error)
        );
        assert_eq!(c.setting("superuser_app_role"), RuleSetting::On);
        assert!(c.allows("public.audit", "rls_disabled_with_policies"));
        assert!(!c.allows("public.audit", "rls_enabled_no_policy"));
        let e = LintConfig::from_toml("[lint.rules]\nno_such_rule = \"off\"\n").unwrap_err();
        assert!(
            e.to_string().contains("unknown rule \"no_such_rule\""),
            "{e}"
        );
        let e = LintConfig::from_toml("[lint.rules]\nsuperuser_app_role = \"loud\"\n").unwrap_err();
        assert!(e.to_string().contains("expected \"off\""), "{e}");
        let e = LintConfig::from_toml("[lint]\napp_role = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("app_role"), "{e}");
        assert_eq!(LintConfig::from_toml("").unwrap(), LintConfig::default());
    }
}
