//! What the lint rules need to know about one policy expression: the function calls it
//! makes (and whether each is evaluated once, inside a sub-select, or per row), the
//! columns of the policy's table it reads, the columns it compares for equality, the JSON
//! keys it reads, and whether it is the constant `true`.
//!
//! The expression is parsed by the canonicalizer's parser (sqlparser, PostgreSQL dialect,
//! exactly one expression); the syntax tree is walked, never the text. Forms the walk
//! does not model mark the result `opaque`, so that rules which need the whole picture
//! ("reads no column") stay silent rather than guess.

use sqlparser::ast::{
    self as sq, BinaryOperator as B, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    InTarget, ObjectNamePart, SelectItem, SetExpr, Value,
};

/// One function call in a policy expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The schema as written (folded), if the name is qualified.
    pub schema: Option<String>,
    /// The function name (folded to lower case unless quoted).
    pub name: String,
    /// How many arguments it is given.
    pub args: usize,
    /// Inside a sub-select (`(SELECT auth.uid())`, `EXISTS (...)`, `IN (SELECT ...)`):
    /// PostgreSQL evaluates an uncorrelated one once per statement (an InitPlan).
    pub in_subquery: bool,
    /// Each argument's type where the expression says it: a cast (`x::uuid`, `CAST(x AS
    /// text)`), an integer, numeric or boolean constant; `None` where it takes a column's
    /// or another expression's type. Lower case, as written (`int` is not `integer`).
    pub arg_types: Vec<Option<String>>,
}

impl Call {
    /// `schema.name` or `name`, as in messages.
    pub fn display(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}()", self.name),
            None => format!("{}()", self.name),
        }
    }

    pub fn is(&self, schema: Option<&str>, name: &str) -> bool {
        self.name == name
            && match (schema, self.schema.as_deref()) {
                (None, _) => true,
                (Some(s), Some(t)) => s == t,
                (Some("pg_catalog"), None) => true,
                (Some(_), None) => false,
            }
    }
}

/// What a policy expression does, as far as the lint rules are concerned.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub calls: Vec<Call>,
    /// Columns read outside sub-selects, unqualified or qualified by `qualifier` (the
    /// policy's table name); folded. May name things that are not columns (the caller
    /// checks them against the table).
    pub columns: Vec<String>,
    /// Columns compared with `=`, `IN (...)` or `= ANY (...)` against something that
    /// reads no other column, in the top-level AND/OR tree: what an index could serve.
    pub equality_columns: Vec<String>,
    /// String constants used as keys of JSON operators (`->`, `->>`, `#>`, `?`) and
    /// identifiers read anywhere (in sub-selects too): where user-editable claims show.
    pub json_keys: Vec<String>,
    pub identifiers: Vec<String>,
    /// The expression is the constant `true` (in any number of parentheses).
    pub is_true: bool,
    /// The expression contains a form the walk does not model.
    pub opaque: bool,
}

/// Parses one policy expression; `None` when pgpolicy's parser cannot read it (rules that
/// need the tree then stay silent).
pub fn analyze(text: &str, table: &str) -> Option<Facts> {
    let e = crate::expr::canon::parse(text).ok()?;
    let mut w = Walker {
        table: table.to_string(),
        facts: Facts::default(),
    };
    w.facts.is_true = is_true(&e);
    w.top(&e);
    w.expr(&e, false);
    let mut f = w.facts;
    f.columns.sort();
    f.columns.dedup();
    f.equality_columns.sort();
    f.equality_columns.dedup();
    Some(f)
}

fn is_true(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_true(inner),
        Expr::Value(v) => matches!(v.value, Value::Boolean(true)),
        _ => false,
    }
}

/// The type an argument has by its own spelling (see [`Call::arg_types`]).
fn arg_type(e: &Expr) -> Option<String> {
    match e {
        Expr::Nested(x) => arg_type(x),
        Expr::Cast { data_type, .. } => Some(data_type.to_string().to_ascii_lowercase()),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) if n.chars().all(|c| c.is_ascii_digit()) => {
                Some(if n.len() > 9 { "bigint" } else { "integer" }.into())
            }
            Value::Number(..) => Some("numeric".into()),
            Value::Boolean(_) => Some("boolean".into()),
            _ => None,
        },
        _ => None,
    }
}

fn fold(id: &sq::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_ascii_lowercase()
    }
}

struct Walker {
    table: String,
    facts: Facts,
}

impl Walker {
    /// The column an expression names directly (possibly in parentheses), if any.
    fn column_of(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Nested(inner) => self.column_of(inner),
            Expr::Identifier(id) => Some(fold(id)),
            Expr::CompoundIdentifier(ids) if ids.len() == 2 && fold(&ids[0]) == self.table => {
                Some(fold(&ids[1]))
            }
            _ => None,
        }
    }

    /// Whether an expression reads a column of the policy's row (outside sub-selects).
    fn reads_column(&self, e: &Expr) -> bool {
        let mut w = Walker {
            table: self.table.clone(),
            facts: Facts::default(),
        };
        w.expr(e, false);
        !w.facts.columns.is_empty() || w.facts.opaque
    }

    /// Equality comparisons in the top-level AND/OR tree.
    fn top(&mut self, e: &Expr) {
        match e {
            Expr::Nested(inner) => self.top(inner),
            Expr::BinaryOp {
                left,
                op: B::And | B::Or,
                right,
            } => {
                self.top(left);
                self.top(right);
            }
            Expr::BinaryOp {
                left,
                op: B::Eq,
                right,
            } => {
                for (a, b) in [(left, right), (right, left)] {
                    if let Some(c) = self.column_of(a) {
                        if !self.reads_column(b) {
                            self.facts.equality_columns.push(c);
                        }
                    }
                }
            }
            Expr::In {
                expr,
                negated: false,
                target,
                ..
            } => {
                if let Some(c) = self.column_of(expr) {
                    let other = match target {
                        InTarget::List(items) => items.iter().any(|i| self.reads_column(i)),
                        _ => false,
                    };
                    if !other {
                        self.facts.equality_columns.push(c);
                    }
                }
            }
            Expr::AnyOp {
                left,
                compare_op: B::Eq,
                right,
                ..
            } => {
                if let Some(c) = self.column_of(left) {
                    if !self.reads_column(right) {
                        self.facts.equality_columns.push(c);
                    }
                }
            }
            _ => {}
        }
    }

    fn exprs<'e>(&mut self, es: impl IntoIterator<Item = &'e Expr>, sub: bool) {
        for e in es {
            self.expr(e, sub);
        }
    }

    fn expr(&mut self, e: &Expr, sub: bool) {
        match e {
            Expr::Identifier(id) => {
                let name = fold(id);
                self.facts.identifiers.push(name.clone());
                if !sub {
                    self.facts.columns.push(name);
                }
            }
            Expr::CompoundIdentifier(ids) => {
                if let Some(last) = ids.last() {
                    self.facts.identifiers.push(fold(last));
                }
                if !sub && ids.len() == 2 && fold(&ids[0]) == self.table {
                    self.facts.columns.push(fold(&ids[1]));
                }
            }
            Expr::Value(_) | Expr::TypedString(_) => {}
            Expr::Nested(x)
            | Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotUnknown(x) => self.expr(x, sub),
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                self.expr(a, sub);
                self.expr(b, sub);
            }
            Expr::BinaryOp { left, op, right } => {
                if matches!(
                    op,
                    B::Arrow | B::LongArrow | B::HashArrow | B::HashLongArrow | B::Question
                ) {
                    self.json_key(right);
                }
                self.expr(left, sub);
                self.expr(right, sub);
            }
            Expr::UnaryOp { op: _, expr } => self.expr(expr, sub),
            Expr::Cast { expr, .. } => self.expr(expr, sub),
            Expr::Collate { expr, .. } => self.expr(expr, sub),
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                self.expr(timestamp, sub);
                self.expr(time_zone, sub);
            }
            Expr::Between {
                expr, low, high, ..
            } => self.exprs([&**expr, &**low, &**high], sub),
            Expr::Like { expr, pattern, .. }
            | Expr::ILike { expr, pattern, .. }
            | Expr::SimilarTo { expr, pattern, .. } => self.exprs([&**expr, &**pattern], sub),
            Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. } => {
                self.exprs([&**left, &**right], sub)
            }
            Expr::In { expr, target, .. } => {
                self.expr(expr, sub);
                match target {
                    InTarget::List(items) => self.exprs(items, sub),
                    InTarget::Subquery(q) => self.query(q),
                    InTarget::Unnest(x) => self.expr(x, sub),
                    _ => self.facts.opaque = true,
                }
            }
            Expr::Tuple(items) => self.exprs(items, sub),
            Expr::Array(a) => self.exprs(&a.elem, sub),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(o) = operand {
                    self.expr(o, sub);
                }
                for c in conditions {
                    self.expr(&c.condition, sub);
                    self.expr(&c.result, sub);
                }
                if let Some(x) = else_result {
                    self.expr(x, sub);
                }
            }
            Expr::Exists { subquery, .. } => self.query(subquery),
            Expr::Subquery(q) => self.query(q),
            Expr::Function(f) => self.function(f, sub),
            Expr::Extract { expr, .. } => self.expr(expr, sub),
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                self.expr(expr, sub);
                for x in [substring_from, substring_for].into_iter().flatten() {
                    self.expr(x, sub);
                }
            }
            Expr::Position { expr, r#in } => self.exprs([&**expr, &**r#in], sub),
            _ => self.facts.opaque = true,
        }
    }

    fn json_key(&mut self, e: &Expr) {
        match e {
            Expr::Nested(x) => self.json_key(x),
            Expr::Cast { expr, .. } => self.json_key(expr),
            Expr::Value(v) => {
                if let Value::SingleQuotedString(s) = &v.value {
                    self.facts.json_keys.push(s.clone());
                }
            }
            // `#>` takes a path: '{user_metadata,role}'
            _ => {}
        }
    }

    fn function(&mut self, f: &sq::Function, sub: bool) {
        let parts: Vec<String> = f
            .name
            .0
            .iter()
            .map(|p| match p {
                ObjectNamePart::Identifier(id) => fold(id),
                _ => String::new(),
            })
            .collect();
        let (schema, name) = match parts.as_slice() {
            [n] => (None, n.clone()),
            [s, n] => (Some(s.clone()), n.clone()),
            _ => {
                self.facts.opaque = true;
                return;
            }
        };
        let mut args = 0;
        let mut arg_types = Vec::new();
        match &f.args {
            FunctionArguments::None => {}
            FunctionArguments::Subquery(q) => {
                args = 1;
                self.query(q);
            }
            FunctionArguments::List(list) => {
                for a in &list.args {
                    args += 1;
                    let arg = match a {
                        FunctionArg::Named { arg, .. } | FunctionArg::ExprNamed { arg, .. } => arg,
                        FunctionArg::Unnamed(arg) => arg,
                    };
                    arg_types.push(match arg {
                        FunctionArgExpr::Expr(x) => arg_type(x),
                        _ => None,
                    });
                    if let FunctionArgExpr::Expr(x) = arg {
                        if name.starts_with("json") && name.contains("extract_path") {
                            self.json_key(x);
                        }
                        self.expr(x, sub)
                    }
                }
                if !list.clauses.is_empty() {
                    self.facts.opaque = true;
                }
            }
        }
        if f.filter.is_some() || f.over.is_some() {
            self.facts.opaque = true;
        }
        self.facts.calls.push(Call {
            schema,
            name,
            args,
            in_subquery: sub,
            arg_types,
        });
    }

    /// A sub-select: its calls and JSON keys count (with `in_subquery`), its columns do
    /// not (they may belong to the tables it reads).
    fn query(&mut self, q: &sq::Query) {
        if q.with.is_some() {
            self.facts.opaque = true;
        }
        self.set_expr(&q.body);
    }

    fn set_expr(&mut self, s: &SetExpr) {
        match s {
            SetExpr::Select(sel) => {
                for item in &sel.projection {
                    match item {
                        SelectItem::UnnamedExpr(x) | SelectItem::ExprWithAlias { expr: x, .. } => {
                            self.expr(x, true)
                        }
                        _ => {}
                    }
                }
                for t in &sel.from {
                    if !t.joins.is_empty() {
                        self.facts.opaque = true;
                    }
                    if let sq::TableFactor::Function { .. } | sq::TableFactor::Derived { .. } =
                        &t.relation
                    {
                        self.facts.opaque = true;
                    }
                }
                if let Some(w) = &sel.selection {
                    self.expr(w, true);
                }
                if sel.having.is_some() {
                    self.facts.opaque = true;
                }
            }
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            _ => self.facts.opaque = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::analyze;

    #[test]
    fn calls_and_subselects() {
        let f = analyze(
            "tenant_id = current_setting('app.tenant')::uuid AND owner = (select auth.uid())",
            "docs",
        )
        .unwrap();
        let names: Vec<(String, bool, usize)> = f
            .calls
            .iter()
            .map(|c| (c.display(), c.in_subquery, c.args))
            .collect();
        assert_eq!(
            names,
            vec![
                ("current_setting()".to_string(), false, 1),
                ("auth.uid()".to_string(), true, 0)
            ]
        );
        assert_eq!(f.columns, vec!["owner", "tenant_id"]);
        assert_eq!(f.equality_columns, vec!["owner", "tenant_id"]);
        assert!(!f.is_true && !f.opaque);
    }

    #[test]
    fn constants_keys_and_comparisons() {
        assert!(analyze("(true)", "t").unwrap().is_true);
        assert!(!analyze("true OR a = 1", "t").unwrap().is_true);
        let f = analyze(
            "(auth.jwt() -> 'user_metadata' ->> 'role') = 'admin' AND docs.a = b",
            "docs",
        )
        .unwrap();
        assert_eq!(f.json_keys, vec!["role", "user_metadata"]);
        // a column compared with a column is not an index lookup
        assert!(f.equality_columns.is_empty(), "{:?}", f.equality_columns);
        let f = analyze(
            "tenant_id IN (SELECT m.tenant_id FROM members m WHERE m.user_id = auth.uid())",
            "docs",
        )
        .unwrap();
        assert_eq!(f.columns, vec!["tenant_id"]);
        assert_eq!(f.equality_columns, vec!["tenant_id"]);
        assert!(f.calls[0].in_subquery);
        assert!(analyze("a = 1 b", "t").is_none());
    }
}
