//! The analysed expression tree and its printer, which follows PostgreSQL's
//! `ruleutils.c` (`pg_get_expr` with `PRETTYFLAG_INDENT`): every operator expression in
//! its own parentheses, implicit casts shown where ruleutils shows them, sub-selects and
//! CASE laid out on several lines.

use super::types::Ty;
use super::undecidable::Undecidable;
use crate::sql::quote;

#[derive(Clone, Debug)]
pub enum Node {
    /// A constant. `text: None` is NULL; `ty: None` is a literal whose type could not be
    /// determined (never printed: it makes the expression fail to canonicalize).
    Const {
        text: Option<String>,
        ty: Option<Ty>,
    },
    Var {
        /// The entry's printed name (set by [`name_range_tables`]).
        refname: String,
        /// The range-table entry (0 is the policy's table).
        rte: u32,
        col: String,
        level: usize,
        ty: Option<Ty>,
    },
    Op {
        name: &'static str,
        l: Option<Box<Node>>,
        r: Box<Node>,
        ty: Option<Ty>,
    },
    Func {
        name: String,
        args: Vec<Node>,
        star: bool,
        ty: Option<Ty>,
    },
    Sql {
        kind: SqlKind,
        args: Vec<Node>,
        ty: Option<Ty>,
    },
    SqlValue {
        kw: &'static str,
        ty: Ty,
    },
    Cast {
        arg: Box<Node>,
        ty: Ty,
        implicit: bool,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    NullTest {
        arg: Box<Node>,
        not: bool,
    },
    BoolTest {
        arg: Box<Node>,
        what: &'static str,
    },
    Distinct {
        l: Box<Node>,
        r: Box<Node>,
    },
    NullIf {
        l: Box<Node>,
        r: Box<Node>,
        ty: Option<Ty>,
    },
    Coalesce {
        args: Vec<Node>,
        ty: Option<Ty>,
    },
    MinMax {
        name: &'static str,
        args: Vec<Node>,
        ty: Option<Ty>,
    },
    ScalarArray {
        op: &'static str,
        any: bool,
        l: Box<Node>,
        r: Box<Node>,
    },
    Array {
        elems: Vec<Node>,
        ty: Ty,
    },
    Sublink {
        kind: SubKind,
        query: Box<Query>,
        ty: Option<Ty>,
    },
    Case {
        arg: Option<Box<Node>>,
        whens: Vec<(Node, Node)>,
        els: Box<Node>,
        ty: Option<Ty>,
    },
    Subscript {
        base: Box<Node>,
        subs: Vec<(Option<Node>, Option<Node>, bool)>,
        ty: Option<Ty>,
    },
    /// `arg COLLATE name`: `name` as `generate_collation_name` prints it.
    Collate {
        arg: Box<Node>,
        name: String,
    },
    /// A function argument in named notation: `name => arg`.
    NamedArg {
        name: String,
        arg: Box<Node>,
    },
    /// A function's last argument passed as its VARIADIC array: `VARIADIC arg`.
    Variadic(Box<Node>),
    /// `arg IS JSON [SCALAR | ARRAY | OBJECT] [WITH UNIQUE KEYS]` (PostgreSQL 16).
    IsJson {
        arg: Box<Node>,
        kind: &'static str,
        unique: bool,
    },
    /// `ROW(l...) op ROW(r...)` for `<`, `<=`, `>`, `>=` (the operands already coerced).
    RowCompare {
        op: &'static str,
        l: Vec<Node>,
        r: Vec<Node>,
    },
}

#[derive(Clone, Debug)]
pub enum SqlKind {
    Extract(String),
    Substring,
    Trim(&'static str),
    Position,
    AtTimeZone,
    Overlaps,
    /// `OVERLAY(string PLACING replacement FROM start [FOR count])`
    Overlay,
}

#[derive(Clone, Debug)]
pub enum SubKind {
    Exists,
    Expr,
    Array,
    Any { op: &'static str, left: Box<Node> },
    All { op: &'static str, left: Box<Node> },
}

/// `l op [ALL] r` (`op` is UNION, INTERSECT or EXCEPT).
#[derive(Clone, Debug)]
pub struct SetOp {
    pub op: &'static str,
    pub all: bool,
    pub l: Query,
    pub r: Query,
}

#[derive(Clone, Debug, Default)]
pub struct Query {
    /// A set operation: then nothing else of the query is used.
    pub setop: Option<Box<SetOp>>,
    /// `SELECT DISTINCT` (not `DISTINCT ON`).
    pub distinct: bool,
    /// `WITH [RECURSIVE] name AS (query), ...`
    pub with: Vec<Cte>,
    pub recursive: bool,
    /// The entries of this query level's FROM, in the parser's order: id and the name the
    /// parser gives each (`set_rtable_names` starts from these).
    pub rtable: Vec<(u32, String)>,
    /// The output columns' names (kept for sub-selects in FROM and CTEs only).
    pub names: Vec<String>,
    pub targets: Vec<(Node, Option<String>)>,
    pub from: Vec<From>,
    pub filter: Option<Node>,
    /// ORDER BY items: the sort expression and what follows it (` DESC`, ` NULLS FIRST`,
    /// ...).
    pub order_by: Vec<(Node, &'static str)>,
    /// GROUP BY columns and HAVING.
    pub group_by: Vec<Node>,
    pub having: Option<Node>,
    /// ORDER BY of a set operation: output column positions (1-based), as printed.
    pub setop_order: Vec<(usize, &'static str)>,
    pub offset: Option<Node>,
    pub limit: Option<Node>,
}

/// `name [(columns)] AS [[NOT] MATERIALIZED] (query)`
#[derive(Clone, Debug)]
pub struct Cte {
    pub name: String,
    pub columns: Vec<String>,
    pub materialized: Option<bool>,
    pub query: Query,
}

#[derive(Clone, Debug)]
pub enum From {
    /// A table or a CTE reference: `name` as printed, `base` the table's or CTE's own
    /// name; `alias` (set by [`name_range_tables`]) is printed when the user wrote one or
    /// when the entry was renamed.
    Rel {
        name: String,
        rte: u32,
        base: String,
        user_alias: bool,
        alias: Option<String>,
        /// The column alias list, when printed (`get_column_alias_list`).
        columns: Option<Vec<String>>,
    },
    Join {
        kind: &'static str,
        l: Box<From>,
        r: Box<From>,
        on: Option<Node>,
        /// `USING (columns)` (NATURAL is printed so too).
        using: Vec<String>,
        /// The join's own entry, when it has one (a join with USING).
        rte: Option<u32>,
    },
    /// `[LATERAL] (query) alias` (`alias` set by [`name_range_tables`]).
    Subquery {
        lateral: bool,
        query: Box<Query>,
        rte: u32,
        alias: String,
        /// The column alias list, when printed (`get_column_alias_list`).
        columns: Option<Vec<String>>,
    },
}

impl Node {
    pub fn ty(&self) -> Option<&Ty> {
        match self {
            Node::Const { ty, .. }
            | Node::Var { ty, .. }
            | Node::Op { ty, .. }
            | Node::Func { ty, .. }
            | Node::Sql { ty, .. }
            | Node::NullIf { ty, .. }
            | Node::Coalesce { ty, .. }
            | Node::MinMax { ty, .. }
            | Node::Sublink { ty, .. }
            | Node::Case { ty, .. }
            | Node::Subscript { ty, .. } => ty.as_ref(),
            Node::SqlValue { ty, .. } | Node::Cast { ty, .. } | Node::Array { ty, .. } => Some(ty),
            Node::Collate { arg, .. } | Node::NamedArg { arg, .. } | Node::Variadic(arg) => {
                arg.ty()
            }
            Node::And(_)
            | Node::Or(_)
            | Node::Not(_)
            | Node::NullTest { .. }
            | Node::BoolTest { .. }
            | Node::Distinct { .. }
            | Node::RowCompare { .. }
            | Node::IsJson { .. }
            | Node::ScalarArray { .. } => Some(&BOOL),
        }
    }
    /// An untyped literal, also under a COLLATE (which takes its type from its context).
    pub fn is_unknown_lit(&self) -> bool {
        match self {
            Node::Const { ty: None, .. } => true,
            Node::Collate { arg, .. } => arg.is_unknown_lit(),
            _ => false,
        }
    }
}

pub static BOOL: Ty = Ty::builtin("bool");

pub fn bool_ty() -> Ty {
    Ty::builtin("bool")
}

pub fn is_bool(t: &Ty) -> bool {
    t.is("bool")
}

pub struct Printer<'a> {
    pub buf: String,
    indent: i32,
    /// Columns are printed qualified inside sub-selects.
    prefix: bool,
    pub search_path: &'a [String],
    pub error: Option<Undecidable>,
}

const STD: i32 = 8;
const JOIN: i32 = 4;
const VAR: i32 = 4;
const LIMIT: i32 = 40;

impl<'a> Printer<'a> {
    pub fn new(search_path: &'a [String]) -> Printer<'a> {
        Printer {
            buf: String::with_capacity(128),
            indent: 0,
            prefix: false,
            search_path,
            error: None,
        }
    }

    fn keyword(&mut self, s: &str, before: i32, after: i32, plus: i32) {
        self.indent += before;
        while self.buf.ends_with(' ') {
            self.buf.pop();
        }
        self.buf.push('\n');
        let amount = if self.indent < LIMIT {
            self.indent.max(0) + plus
        } else {
            let a = LIMIT + (self.indent - LIMIT) / (STD / 2);
            a % LIMIT + plus
        };
        for _ in 0..amount {
            self.buf.push(' ');
        }
        self.buf.push_str(s);
        self.indent += after;
        if self.indent < 0 {
            self.indent = 0;
        }
    }

    fn fmt_ty(&self, t: &Ty) -> String {
        t.format(self.search_path)
    }

    fn const_(&mut self, text: &Option<String>, ty: &Option<Ty>, showtype: i32) {
        let Some(ty) = ty else {
            self.error.get_or_insert_with(|| {
                Undecidable::untyped("a literal's type cannot be determined offline")
            });
            self.buf.push_str("'?'");
            return;
        };
        let Some(v) = text else {
            self.buf.push_str("NULL");
            if showtype >= 0 {
                let t = self.fmt_ty(ty);
                self.buf.push_str("::");
                self.buf.push_str(&t);
            }
            return;
        };
        let mut needlabel = false;
        let plain = !ty.array && ty.schema.is_none();
        if plain && ty.name == "int4" {
            if v.starts_with('-') {
                quote_lit(&mut self.buf, v);
                needlabel = true;
            } else {
                self.buf.push_str(v);
            }
        } else if plain && ty.name == "numeric" {
            if v.as_bytes()[0].is_ascii_digit() && v.contains(['.', 'e', 'E']) {
                self.buf.push_str(v);
            } else {
                quote_lit(&mut self.buf, v);
                needlabel = true;
            }
            needlabel |= !ty.mods.is_empty();
        } else if is_bool(ty) {
            self.buf.push_str(v);
            return;
        } else if plain && ty.name == "unknown" {
            quote_lit(&mut self.buf, v);
        } else {
            quote_lit(&mut self.buf, v);
            needlabel = true;
        }
        if showtype < 0 {
            return;
        }
        if needlabel || showtype > 0 {
            let t = self.fmt_ty(ty);
            self.buf.push_str("::");
            self.buf.push_str(&t);
        }
    }

    pub fn expr(&mut self, n: &Node, showimplicit: bool) {
        match n {
            Node::Const { text, ty } => self.const_(text, ty, 0),
            Node::Var { refname, col, .. } => {
                // a merged column of an unaliased FULL JOIN has no entry name
                if self.prefix && !refname.is_empty() {
                    push_ident(&mut self.buf, refname);
                    self.buf.push('.');
                }
                push_ident(&mut self.buf, col);
            }
            Node::Op { name, l, r, .. } => {
                self.buf.push('(');
                if let Some(l) = l {
                    self.expr(l, true);
                    self.buf.push(' ');
                    self.buf.push_str(name);
                    self.buf.push(' ');
                } else {
                    self.buf.push_str(name);
                    self.buf.push(' ');
                }
                self.expr(r, true);
                self.buf.push(')');
            }
            Node::Func {
                name, args, star, ..
            } => {
                self.buf.push_str(name);
                self.buf.push('(');
                if *star {
                    self.buf.push('*');
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(", ");
                    }
                    self.expr(a, true);
                }
                self.buf.push(')');
            }
            Node::NamedArg { name, arg } => {
                self.buf.push_str(&quote::ident(name));
                self.buf.push_str(" => ");
                self.expr(arg, showimplicit);
            }
            Node::Variadic(arg) => {
                self.buf.push_str("VARIADIC ");
                self.expr(arg, showimplicit);
            }
            Node::IsJson { arg, kind, unique } => {
                self.buf.push('(');
                self.expr(arg, true);
                self.buf.push_str(" IS JSON");
                if !kind.is_empty() {
                    self.buf.push(' ');
                    self.buf.push_str(kind);
                }
                if *unique {
                    self.buf.push_str(" WITH UNIQUE KEYS");
                }
                self.buf.push(')');
            }
            Node::Sql { kind, args, .. } => self.sql(kind, args),
            Node::SqlValue { kw, .. } => self.buf.push_str(kw),
            Node::Cast { arg, ty, implicit } => {
                if *implicit && !showimplicit {
                    self.expr(arg, false);
                    return;
                }
                match &**arg {
                    Node::Const {
                        text,
                        ty: Some(cty),
                    } if cty.same_base(ty) && cty.mods.is_empty() => {
                        self.const_(text, &Some(cty.clone()), -1);
                    }
                    _ => {
                        self.buf.push('(');
                        self.expr(arg, false);
                        self.buf.push(')');
                    }
                }
                let t = self.fmt_ty(ty);
                self.buf.push_str("::");
                self.buf.push_str(&t);
            }
            Node::And(args) | Node::Or(args) => {
                let sep = if matches!(n, Node::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.buf.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(sep);
                    }
                    self.expr(a, false);
                }
                self.buf.push(')');
            }
            Node::Not(a) => {
                self.buf.push_str("(NOT ");
                self.expr(a, false);
                self.buf.push(')');
            }
            Node::NullTest { arg, not } => {
                self.buf.push('(');
                self.expr(arg, true);
                self.buf
                    .push_str(if *not { " IS NOT NULL)" } else { " IS NULL)" });
            }
            Node::BoolTest { arg, what } => {
                self.buf.push('(');
                self.expr(arg, true);
                self.buf.push(' ');
                self.buf.push_str(what);
                self.buf.push(')');
            }
            Node::Distinct { l, r } => {
                self.buf.push('(');
                self.expr(l, true);
                self.buf.push_str(" IS DISTINCT FROM ");
                self.expr(r, true);
                self.buf.push(')');
            }
            Node::NullIf { l, r, .. } => {
                self.buf.push_str("NULLIF(");
                self.expr(l, true);
                self.buf.push_str(", ");
                self.expr(r, true);
                self.buf.push(')');
            }
            Node::Coalesce { args, .. } | Node::MinMax { args, .. } => {
                let name = match n {
                    Node::MinMax { name, .. } => name,
                    _ => "COALESCE",
                };
                self.buf.push_str(name);
                self.buf.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(", ");
                    }
                    self.expr(a, true);
                }
                self.buf.push(')');
            }
            Node::ScalarArray { op, any, l, r } => {
                self.buf.push('(');
                self.expr(l, true);
                self.buf.push(' ');
                self.buf.push_str(op);
                self.buf.push_str(if *any { " ANY (" } else { " ALL (" });
                self.expr(r, true);
                self.buf.push_str("))");
            }
            Node::Array { elems, ty } => {
                self.buf.push_str("ARRAY[");
                for (i, a) in elems.iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(", ");
                    }
                    self.expr(a, true);
                }
                self.buf.push(']');
                if elems.is_empty() {
                    let t = self.fmt_ty(ty);
                    self.buf.push_str("::");
                    self.buf.push_str(&t);
                }
            }
            Node::Sublink { kind, query, .. } => {
                if matches!(kind, SubKind::Array) {
                    self.buf.push_str("ARRAY(");
                } else {
                    self.buf.push('(');
                }
                let mut need_paren = true;
                match kind {
                    SubKind::Exists => self.buf.push_str("EXISTS "),
                    SubKind::Any { op, left } => {
                        self.expr(left, true);
                        if *op == "=" {
                            self.buf.push_str(" IN ");
                        } else {
                            self.buf.push(' ');
                            self.buf.push_str(op);
                            self.buf.push_str(" ANY ");
                        }
                    }
                    SubKind::All { op, left } => {
                        self.expr(left, true);
                        self.buf.push(' ');
                        self.buf.push_str(op);
                        self.buf.push_str(" ALL ");
                    }
                    SubKind::Expr | SubKind::Array => need_paren = false,
                }
                if need_paren {
                    self.buf.push('(');
                }
                self.query(query, false);
                self.buf.push_str(if need_paren { "))" } else { ")" });
            }
            Node::Case {
                arg, whens, els, ..
            } => {
                self.keyword("CASE", 0, VAR, 0);
                if let Some(a) = arg {
                    self.buf.push(' ');
                    self.expr(a, true);
                }
                for (w, r) in whens {
                    self.keyword("WHEN ", 0, 0, 0);
                    self.expr(w, false);
                    self.buf.push_str(" THEN ");
                    self.expr(r, true);
                }
                self.keyword("ELSE ", 0, 0, 0);
                self.expr(els, true);
                self.keyword("END", -VAR, 0, 0);
            }
            Node::RowCompare { op, l, r } => {
                self.buf.push_str("(ROW(");
                for (k, x) in l.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(", ");
                    }
                    self.expr(x, true);
                }
                self.buf.push_str(") ");
                self.buf.push_str(op);
                self.buf.push_str(" ROW(");
                for (k, x) in r.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(", ");
                    }
                    self.expr(x, true);
                }
                self.buf.push_str("))");
            }
            Node::Collate { arg, name } => {
                // ruleutils passes its showimplicit on to the argument
                self.buf.push('(');
                self.expr(arg, showimplicit);
                self.buf.push_str(" COLLATE ");
                self.buf.push_str(name);
                self.buf.push(')');
            }
            Node::Subscript { base, subs, .. } => {
                let paren = !matches!(**base, Node::Var { .. });
                if paren {
                    self.buf.push('(');
                }
                self.expr(base, showimplicit);
                if paren {
                    self.buf.push(')');
                }
                for (lo, hi, slice) in subs {
                    self.buf.push('[');
                    if *slice {
                        if let Some(lo) = lo {
                            self.expr(lo, false);
                        }
                        self.buf.push(':');
                    }
                    if let Some(hi) = hi {
                        self.expr(hi, false);
                    }
                    self.buf.push(']');
                }
            }
        }
    }

    fn sql(&mut self, kind: &SqlKind, args: &[Node]) {
        match kind {
            SqlKind::Extract(field) => {
                self.buf.push_str("EXTRACT(");
                self.buf.push_str(field);
                self.buf.push_str(" FROM ");
                self.expr(&args[0], false);
                self.buf.push(')');
            }
            SqlKind::Substring => {
                // substring(text, text, text) is the SIMILAR form
                let similar = args.len() == 3 && args[1].ty().is_some_and(|t| t.is("text"));
                self.buf.push_str("SUBSTRING(");
                self.expr(&args[0], false);
                self.buf
                    .push_str(if similar { " SIMILAR " } else { " FROM " });
                self.expr(&args[1], false);
                if args.len() > 2 {
                    self.buf
                        .push_str(if similar { " ESCAPE " } else { " FOR " });
                    self.expr(&args[2], false);
                }
                self.buf.push(')');
            }
            SqlKind::Trim(w) => {
                self.buf.push_str("TRIM(");
                self.buf.push_str(w);
                if args.len() == 2 {
                    self.buf.push(' ');
                    self.expr(&args[1], false);
                }
                self.buf.push_str(" FROM ");
                self.expr(&args[0], false);
                self.buf.push(')');
            }
            SqlKind::Position => {
                // args: (string, substring)
                self.buf.push_str("POSITION((");
                self.expr(&args[1], false);
                self.buf.push_str(") IN (");
                self.expr(&args[0], false);
                self.buf.push_str("))");
            }
            SqlKind::AtTimeZone => {
                // args: (zone, timestamp)
                self.buf.push('(');
                self.expr(&args[1], false);
                self.buf.push_str(" AT TIME ZONE ");
                self.expr(&args[0], false);
                self.buf.push(')');
            }
            SqlKind::Overlay => {
                self.buf.push_str("OVERLAY(");
                self.expr(&args[0], false);
                self.buf.push_str(" PLACING ");
                self.expr(&args[1], false);
                self.buf.push_str(" FROM ");
                self.expr(&args[2], false);
                if args.len() > 3 {
                    self.buf.push_str(" FOR ");
                    self.expr(&args[3], false);
                }
                self.buf.push(')');
            }
            SqlKind::Overlaps => {
                self.buf.push_str("((");
                self.expr(&args[0], false);
                self.buf.push_str(", ");
                self.expr(&args[1], false);
                self.buf.push_str(") OVERLAPS (");
                self.expr(&args[2], false);
                self.buf.push_str(", ");
                self.expr(&args[3], false);
                self.buf.push_str("))");
            }
        }
    }

    /// `get_setop_query`: the left input in parentheses when it is another kind of set
    /// operation, the right one whenever it is a set operation.
    fn setop(&mut self, s: &SetOp, visible: bool) {
        let lparen = matches!(&s.l.setop, Some(ls) if !(ls.op == s.op && ls.all == s.all));
        let sub = if lparen { STD } else { 0 };
        if lparen {
            self.buf.push('(');
            self.keyword("", sub, 0, 0);
        }
        self.query(&s.l, visible);
        if lparen {
            self.keyword(") ", -sub, 0, 0);
        } else {
            self.keyword("", -sub, 0, 0);
        }
        self.buf.push_str(s.op);
        self.buf.push(' ');
        if s.all {
            self.buf.push_str("ALL ");
        }
        let rparen = s.r.setop.is_some();
        let sub = if rparen { STD } else { 0 };
        if rparen {
            self.buf.push('(');
        }
        self.keyword("", sub, 0, 0);
        self.query(&s.r, false);
        self.indent -= sub;
        if rparen {
            self.keyword(")", 0, 0, 0);
        }
    }

    /// `get_with_clause`
    fn with_clause(&mut self, q: &Query) {
        self.indent += STD;
        self.buf.push(' ');
        for (i, cte) in q.with.iter().enumerate() {
            self.buf.push_str(match (i, q.recursive) {
                (0, false) => "WITH ",
                (0, true) => "WITH RECURSIVE ",
                _ => ", ",
            });
            push_ident(&mut self.buf, &cte.name);
            if !cte.columns.is_empty() {
                self.buf.push('(');
                for (k, c) in cte.columns.iter().enumerate() {
                    if k > 0 {
                        self.buf.push_str(", ");
                    }
                    push_ident(&mut self.buf, c);
                }
                self.buf.push(')');
            }
            self.buf.push_str(match cte.materialized {
                None => " AS (",
                Some(true) => " AS MATERIALIZED (",
                Some(false) => " AS NOT MATERIALIZED (",
            });
            self.keyword("", 0, 0, 0);
            self.query(&cte.query, true);
            self.keyword("", 0, 0, 0);
            self.buf.push(')');
        }
        self.indent -= STD;
        self.keyword("", 0, 0, 0);
    }

    /// `get_query_def`; `visible` is its `colNamesVisible`.
    fn query(&mut self, q: &Query, visible: bool) {
        if !q.with.is_empty() {
            let save_indent = self.indent;
            self.with_clause(q);
            self.indent = save_indent;
        }
        if let Some(s) = &q.setop {
            self.setop(s, visible);
            // get_select_query_def: at the query's own indentation (a SELECT adds one
            // level, a set operation does not)
            let (save_indent, save_prefix) = (self.indent, self.prefix);
            for (k, (pos, suffix)) in q.setop_order.iter().enumerate() {
                if k == 0 {
                    self.keyword(" ORDER BY ", -STD, STD, 1);
                } else {
                    self.buf.push_str(", ");
                }
                self.buf.push_str(&pos.to_string());
                self.buf.push_str(suffix);
            }
            self.offset_limit(q);
            self.indent = save_indent;
            self.prefix = save_prefix;
            return;
        }
        let (save_indent, save_prefix) = (self.indent, self.prefix);
        self.prefix = true;
        self.indent += STD;
        self.buf.push(' ');
        self.buf.push_str("SELECT");
        if q.distinct {
            self.buf.push_str(" DISTINCT");
        }
        let mut sep = " ";
        let mut last_multiline = false;
        for (colno, (node, alias)) in q.targets.iter().enumerate() {
            self.buf.push_str(sep);
            sep = ", ";
            // print the field into its own buffer to decide on wrapping
            let outer = std::mem::take(&mut self.buf);
            self.expr(node, true);
            // get_target_list: FigureColname's fallback is shown only where the
            // column names are visible (colNamesVisible: a sub-select in FROM, a CTE,
            // the first input of their set operations)
            let alias = match alias.as_deref() {
                // a literal printed with its type reads back named after the type
                // (FigureColname of the cast): the fixed point shows that name
                Some("?column?") if !visible => cast_colname(node),
                a => a,
            };
            if let Some(a) = alias {
                self.buf.push_str(" AS ");
                push_ident(&mut self.buf, a);
            }
            let field = std::mem::replace(&mut self.buf, outer);
            if field.starts_with('\n') {
                while self.buf.ends_with(' ') {
                    self.buf.pop();
                }
            } else if colno > 0 {
                // wrapColumn is 0: every further column starts a new line
                self.keyword("", -STD, STD, VAR);
            }
            let _ = last_multiline;
            last_multiline = field.contains('\n');
            self.buf.push_str(&field);
        }
        for (i, f) in q.from.iter().enumerate() {
            if i == 0 {
                self.keyword(" FROM ", -STD, STD, 2);
                self.from(f);
            } else {
                self.buf.push_str(", ");
                let outer = std::mem::take(&mut self.buf);
                self.from(f);
                let item = std::mem::replace(&mut self.buf, outer);
                if item.starts_with('\n') {
                    while self.buf.ends_with(' ') {
                        self.buf.pop();
                    }
                } else {
                    self.keyword("", -STD, STD, VAR);
                }
                self.buf.push_str(&item);
            }
        }
        if let Some(w) = &q.filter {
            self.keyword(" WHERE ", -STD, STD, 1);
            self.expr(w, false);
        }
        for (k, n) in q.group_by.iter().enumerate() {
            if k == 0 {
                self.keyword(" GROUP BY ", -STD, STD, 1);
            } else {
                self.buf.push_str(", ");
            }
            self.expr(n, true);
        }
        if let Some(h) = &q.having {
            self.keyword(" HAVING ", -STD, STD, 0);
            self.expr(h, false);
        }
        for (k, (n, suffix)) in q.order_by.iter().enumerate() {
            if k == 0 {
                self.keyword(" ORDER BY ", -STD, STD, 1);
            } else {
                self.buf.push_str(", ");
            }
            // get_rule_sortgroupclause: a constant shows its type, function-like
            // expressions get parentheses
            match n {
                Node::Const { text, ty } => self.const_(text, ty, 1),
                Node::Func { .. } => {
                    self.buf.push('(');
                    self.expr(n, true);
                    self.buf.push(')');
                }
                _ => self.expr(n, true),
            }
            self.buf.push_str(suffix);
        }
        self.offset_limit(q);
        self.indent = save_indent;
        self.prefix = save_prefix;
    }

    /// OFFSET, then LIMIT (`get_select_query_def`).
    fn offset_limit(&mut self, q: &Query) {
        if let Some(o) = &q.offset {
            self.keyword(" OFFSET ", -STD, STD, 0);
            self.expr(o, false);
        }
        if let Some(l) = &q.limit {
            self.keyword(" LIMIT ", -STD, STD, 0);
            self.expr(l, false);
        }
    }

    fn column_aliases(&mut self, columns: &Option<Vec<String>>) {
        if let Some(cols) = columns {
            self.buf.push('(');
            for (k, c) in cols.iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                push_ident(&mut self.buf, c);
            }
            self.buf.push(')');
        }
    }

    fn from(&mut self, f: &From) {
        match f {
            From::Rel {
                name,
                alias,
                columns,
                ..
            } => {
                self.buf.push_str(name);
                if let Some(a) = alias {
                    self.buf.push(' ');
                    push_ident(&mut self.buf, a);
                }
                self.column_aliases(columns);
            }
            From::Join {
                kind,
                l,
                r,
                on,
                using,
                ..
            } => {
                self.buf.push('(');
                self.from(l);
                self.keyword(kind, -STD, STD, JOIN);
                self.from(r);
                if !using.is_empty() {
                    self.buf.push_str(" USING (");
                    for (k, c) in using.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        push_ident(&mut self.buf, c);
                    }
                    self.buf.push(')');
                } else if let Some(on) = on {
                    self.buf.push_str(" ON (");
                    self.expr(on, false);
                    self.buf.push(')');
                } else if *kind != " CROSS JOIN " && *kind != " JOIN " {
                    self.buf.push_str(" ON TRUE");
                }
                self.buf.push(')');
            }
            From::Subquery {
                lateral,
                query,
                alias,
                columns,
                ..
            } => {
                if *lateral {
                    self.buf.push_str("LATERAL ");
                }
                self.buf.push('(');
                self.query(query, true);
                self.buf.push_str(") ");
                push_ident(&mut self.buf, alias);
                self.column_aliases(columns);
            }
        }
    }
}

/// The column name PostgreSQL gives a constant as `pg_get_expr` prints it: the type's
/// name when the constant is printed with a cast (`'a'::text`, `NULL::uuid`,
/// `'-1'::integer`), none when it is printed bare (`5`, `1.5`, `true`).
fn cast_colname(n: &Node) -> Option<&str> {
    let Node::Const { text, ty: Some(ty) } = n else {
        return None;
    };
    let plain = !ty.array && ty.schema.is_none();
    let bare = match text {
        None => false,
        Some(v) => {
            is_bool(ty)
                || (plain && ty.name == "unknown")
                || (plain && ty.name == "int4" && !v.starts_with('-'))
                || (plain
                    && ty.name == "numeric"
                    && ty.mods.is_empty()
                    && v.as_bytes()[0].is_ascii_digit()
                    && v.contains(['.', 'e', 'E']))
        }
    };
    (!bare).then_some(&*ty.name)
}

/// `quote_identifier` without an intermediate allocation.
pub(crate) fn push_ident(buf: &mut String, name: &str) {
    if quote::is_bare(name) {
        buf.push_str(name);
    } else {
        buf.push_str(&quote::ident(name));
    }
}

/// `simple_quote_literal` with standard_conforming_strings on.
fn quote_lit(buf: &mut String, v: &str) {
    buf.push('\'');
    for c in v.chars() {
        if c == '\'' {
            buf.push('\'');
        }
        buf.push(c);
    }
    buf.push('\'');
}

/// `set_rtable_names`, as `pg_get_expr` applies it: each query level names its range-table
/// entries (their alias, else the table's or CTE's name) so that no name is one of the
/// levels around it (the policy's table included), appending `_1`, `_2`, ... (shortening
/// the name to keep it under `NAMEDATALEN`); the Vars and FROM items take those names.
/// Levels side by side may use the same names. `count` is the number of entries.
pub fn name_range_tables(n: &mut Node, top: &str, count: u32) {
    let mut names = Names {
        stack: vec![vec![top.to_string()]],
        by_id: vec![None; count as usize],
    };
    names.by_id[0] = Some(top.to_string());
    names.node(n);
}

const NAMEDATALEN: usize = 64;

/// `name_<n>`, the name shortened by whole characters (never the digits) to stay under
/// `NAMEDATALEN`: how ruleutils makes a range-table name (`set_rtable_names`) or a column
/// name (`make_colname_unique`) unique.
pub(super) fn suffixed(name: &str, n: u32) -> String {
    let mut len = name.len();
    loop {
        let c = format!("{}_{n}", &name[..len]);
        if c.len() < NAMEDATALEN {
            return c;
        }
        len -= 1;
        while !name.is_char_boundary(len) {
            len -= 1;
        }
    }
}

struct Names {
    /// The names of each enclosing query level, outermost first.
    stack: Vec<Vec<String>>,
    by_id: Vec<Option<String>>,
}

impl Names {
    /// The names of one level's entries, in order, unique against the enclosing levels
    /// and each other.
    fn level(&self, initial: &[&str]) -> Vec<String> {
        use std::collections::HashMap;
        let mut used: HashMap<String, u32> = HashMap::new();
        for n in self.stack.iter().flatten() {
            used.insert(n.clone(), 0);
        }
        let mut out = Vec::with_capacity(initial.len());
        for &refname in initial {
            let Some(&counter) = used.get(refname) else {
                used.insert(refname.to_string(), 0);
                out.push(refname.to_string());
                continue;
            };
            let mut counter = counter;
            let name = loop {
                counter += 1;
                let cand = suffixed(refname, counter);
                if !used.contains_key(&cand) {
                    break cand;
                }
            };
            used.insert(refname.to_string(), counter);
            used.insert(name.clone(), 0);
            out.push(name);
        }
        out
    }

    fn query(&mut self, q: &mut Query) {
        if q.setop.is_some() {
            // one level whose entries are the leaves, `*SELECT* 1`, `*SELECT* 2`, ...
            let mut leaves = 0;
            count_leaves(q, &mut leaves);
            let initial: Vec<String> = (1..=leaves).map(|k| format!("*SELECT* {k}")).collect();
            let initial: Vec<&str> = initial.iter().map(String::as_str).collect();
            let level = self.level(&initial);
            self.stack.push(level);
            for cte in &mut q.with {
                self.query(&mut cte.query);
            }
            let mut s = q.setop.take().unwrap();
            self.leaves(&mut s);
            q.setop = Some(s);
            for n in [&mut q.offset, &mut q.limit].into_iter().flatten() {
                self.node(n);
            }
            self.stack.pop();
            return;
        }
        let initial: Vec<&str> = q.rtable.iter().map(|(_, n)| n.as_str()).collect();
        let level = self.level(&initial);
        for ((id, _), name) in q.rtable.iter().zip(&level) {
            self.by_id[*id as usize] = Some(name.clone());
        }
        self.stack.push(level);
        for cte in &mut q.with {
            self.query(&mut cte.query);
        }
        for (t, _) in &mut q.targets {
            self.node(t);
        }
        for f in &mut q.from {
            self.from(f);
        }
        if let Some(w) = &mut q.filter {
            self.node(w);
        }
        for n in q.group_by.iter_mut().chain(q.having.as_mut()) {
            self.node(n);
        }
        for (o, _) in &mut q.order_by {
            self.node(o);
        }
        for n in [&mut q.offset, &mut q.limit].into_iter().flatten() {
            self.node(n);
        }
        self.stack.pop();
    }

    fn leaves(&mut self, s: &mut SetOp) {
        for q in [&mut s.l, &mut s.r] {
            match &mut q.setop {
                Some(inner) => self.leaves(inner),
                None => self.query(q),
            }
        }
    }

    fn name_of(&self, id: u32) -> String {
        self.by_id[id as usize].clone().unwrap_or_default()
    }

    fn from(&mut self, f: &mut From) {
        match f {
            From::Rel {
                rte,
                base,
                user_alias,
                alias,
                columns,
                ..
            } => {
                // get_rte_alias: a written alias, a column alias list or a renamed entry
                let name = self.name_of(*rte);
                *alias = (*user_alias || columns.is_some() || name != *base).then_some(name);
            }
            From::Join { l, r, on, .. } => {
                self.from(l);
                self.from(r);
                if let Some(on) = on {
                    self.node(on);
                }
            }
            From::Subquery {
                query, rte, alias, ..
            } => {
                *alias = self.name_of(*rte);
                self.query(query);
            }
        }
    }

    fn node(&mut self, n: &mut Node) {
        match n {
            Node::Const { .. } | Node::SqlValue { .. } => {}
            Node::Var { refname, rte, .. } => {
                if let Some(Some(name)) = self.by_id.get(*rte as usize) {
                    refname.clone_from(name);
                }
            }
            Node::Op { l, r, .. } => {
                if let Some(l) = l {
                    self.node(l);
                }
                self.node(r);
            }
            Node::Func { args, .. }
            | Node::Sql { args, .. }
            | Node::Coalesce { args, .. }
            | Node::MinMax { args, .. }
            | Node::And(args)
            | Node::Or(args)
            | Node::Array { elems: args, .. } => {
                for a in args {
                    self.node(a);
                }
            }
            Node::Cast { arg, .. }
            | Node::Not(arg)
            | Node::NullTest { arg, .. }
            | Node::BoolTest { arg, .. }
            | Node::Collate { arg, .. }
            | Node::NamedArg { arg, .. }
            | Node::Variadic(arg)
            | Node::IsJson { arg, .. } => self.node(arg),
            Node::Distinct { l, r }
            | Node::NullIf { l, r, .. }
            | Node::ScalarArray { l, r, .. } => {
                self.node(l);
                self.node(r);
            }
            Node::Sublink { kind, query, .. } => {
                if let SubKind::Any { left, .. } | SubKind::All { left, .. } = kind {
                    self.node(left);
                }
                self.query(query);
            }
            Node::Case {
                arg, whens, els, ..
            } => {
                if let Some(a) = arg {
                    self.node(a);
                }
                for (w, r) in whens {
                    self.node(w);
                    self.node(r);
                }
                self.node(els);
            }
            Node::Subscript { base, subs, .. } => {
                self.node(base);
                for (lo, hi, _) in subs {
                    for x in [lo, hi].into_iter().flatten() {
                        self.node(x);
                    }
                }
            }
            Node::RowCompare { l, r, .. } => {
                for x in l.iter_mut().chain(r.iter_mut()) {
                    self.node(x);
                }
            }
        }
    }
}

fn count_leaves(q: &Query, n: &mut usize) {
    match &q.setop {
        Some(s) => {
            count_leaves(&s.l, n);
            count_leaves(&s.r, n);
        }
        None => *n += 1,
    }
}
