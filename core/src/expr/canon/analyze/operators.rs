//! Operators: resolution of operator names and operand types (a subset of
//! `oper_select_candidate` for the built-in types we model), and the analysis of binary,
//! row, ANY/ALL and sub-select comparisons.

use super::*;

pub(super) fn res(l: Option<Ty>, r: Option<Ty>, out: Option<Ty>) -> R<OpRes> {
    Ok(OpRes { l, r, out })
}

pub(super) fn op_name(op: &B) -> R<&'static str> {
    Ok(match op {
        B::Eq => "=",
        B::NotEq => "<>",
        B::Lt => "<",
        B::LtEq => "<=",
        B::Gt => ">",
        B::GtEq => ">=",
        B::Plus => "+",
        B::Minus => "-",
        B::Multiply => "*",
        B::Divide => "/",
        B::Modulo => "%",
        B::StringConcat => "||",
        B::PGRegexMatch => "~",
        B::PGRegexIMatch => "~*",
        B::PGRegexNotMatch => "!~",
        B::PGRegexNotIMatch => "!~*",
        B::PGLikeMatch => "~~",
        B::PGILikeMatch => "~~*",
        B::PGNotLikeMatch => "!~~",
        B::PGNotILikeMatch => "!~~*",
        B::Arrow => "->",
        B::LongArrow => "->>",
        B::HashArrow => "#>",
        B::HashLongArrow => "#>>",
        B::AtArrow => "@>",
        B::ArrowAt => "<@",
        B::Question => "?",
        B::QuestionAnd => "?&",
        B::QuestionPipe => "?|",
        B::AtQuestion => "@?",
        B::AtAt => "@@",
        B::HashMinus => "#-",
        B::PGOverlap => "&&",
        B::PGExp => "^",
        B::BitwiseAnd => "&",
        B::BitwiseOr => "|",
        B::PGBitwiseXor => "#",
        B::PGBitwiseShiftLeft => "<<",
        B::PGBitwiseShiftRight => ">>",
        other => return Err(Undecidable::unsupported(format!("operator {other}"))),
    })
}

pub(super) fn is_cmp(op: &str) -> bool {
    matches!(op, "=" | "<>" | "<" | "<=" | ">" | ">=")
}
pub(super) fn is_pattern(op: &str) -> bool {
    matches!(
        op,
        "~~" | "~~*" | "!~~" | "!~~*" | "~" | "~*" | "!~" | "!~*"
    )
}

// ---------------------------------------------------------------------------------------
// Operator resolution
// ---------------------------------------------------------------------------------------

pub(super) fn cmp_known(a: &Ty, b: &Ty) -> R<(Option<Ty>, Option<Ty>)> {
    let bad = || {
        Err(Undecidable::not_modelled(format!(
            "comparison of {} with {}",
            a.name, b.name
        )))
    };
    if a.same_base(b) {
        if a.is("varchar") {
            return Ok((Some(TEXT), Some(TEXT)));
        }
        if a.is("json") || a.is("xml") || a.is("point") {
            return bad();
        }
        if a.is_user() && !a.is_enum
            || !a.is_user()
                && a.category() == Cat::Other
                && !matches!(
                    &*a.name,
                    "bytea"
                        | "oid"
                        | "char"
                        | "money"
                        | "bit"
                        | "varbit"
                        | "tsvector"
                        | "tsquery"
                        | "macaddr"
                        | "regclass"
                        | "regtype"
                        | "regrole"
                        | "regproc"
                        | "regnamespace"
                        | "pg_lsn"
                )
        {
            return bad();
        }
        return Ok((None, None));
    }
    if let (Some(ra), Some(rb)) = (a.num_rank(), b.num_rank()) {
        if ra <= 2 && rb <= 2 || ra >= 4 && rb >= 4 {
            return Ok((None, None));
        }
        let hi = ra.max(rb);
        if hi == 3 || hi == 5 {
            let target = if hi == 3 { t("numeric") } else { t("float8") };
            return Ok(if ra < rb {
                (Some(target), None)
            } else {
                (None, Some(target))
            });
        }
        return bad();
    }
    if a.is_datetime() && b.is_datetime() {
        return Ok((None, None));
    }
    if a.is_stringish() && b.is_stringish() {
        let (x, y) = (&*a.name, &*b.name);
        return Ok(match (x, y) {
            ("text", "varchar") | ("text", "bpchar") => (None, Some(TEXT)),
            ("varchar", "text") | ("bpchar", "text") => (Some(TEXT), None),
            ("text", "name") | ("name", "text") => (None, None),
            _ => return bad(),
        });
    }
    bad()
}

pub(super) fn unknown_vs(k: &Ty) -> R<(Option<Ty>, Option<Ty>)> {
    // literal compared with a known type: the literal takes that type
    if k.is("varchar") {
        return Ok((Some(TEXT), Some(TEXT)));
    }
    if k.is("json") || k.is("xml") {
        return Err(Undecidable::not_modelled(format!(
            "comparison with {}",
            k.name
        )));
    }
    Ok((None, Some(k.without_mods())))
}

pub(super) fn resolve_cmp(l: In, r: In) -> R<OpRes> {
    let b = Some(bool_ty());
    match (l, r) {
        (In::U, In::U) => res(Some(TEXT), Some(TEXT), b),
        (In::K(k), In::U) => {
            let (kt, ut) = unknown_vs(k)?;
            res(kt, ut, b)
        }
        (In::U, In::K(k)) => {
            let (kt, ut) = unknown_vs(k)?;
            res(ut, kt, b)
        }
        (In::K(x), In::K(y)) => {
            let (a, c) = cmp_known(x, y)?;
            res(a, c, b)
        }
        (In::O, In::U) | (In::U, In::O) => Err(Undecidable::untyped(
            "a literal is compared with an expression of unknown type",
        )),
        _ => res(None, None, b),
    }
}

pub(super) fn resolve_binop(op: &str, l: In, r: In) -> R<OpRes> {
    let b = Some(bool_ty());
    if is_cmp(op) {
        return resolve_cmp(l, r);
    }
    if is_pattern(op) {
        let side = |x: In| -> R<Option<Ty>> {
            Ok(match x {
                In::U => Some(TEXT),
                In::O => None,
                In::K(k) if k.is("text") => None,
                In::K(k) if k.is_stringish() => Some(TEXT),
                In::K(k) => {
                    return Err(Undecidable::not_modelled(format!(
                        "pattern match on {}",
                        k.name
                    )))
                }
            })
        };
        let lt = match l {
            In::K(k) if k.is("name") || k.is("bpchar") => None,
            x => side(x)?,
        };
        return res(lt, side(r)?, b);
    }
    let is_json = |x: In| matches!(x, In::K(k) if k.is("json") || k.is("jsonb"));
    let jsonish = |x: In| is_json(x) || matches!(x, In::O);
    match op {
        "->" | "->>" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") || k.is("int4") => None,
                In::K(k) if k.is("varchar") => Some(TEXT),
                In::O => None,
                _ => return Err(Undecidable::unsupported("json accessor")),
            };
            let out = if op == "->>" {
                Some(TEXT)
            } else {
                match l {
                    In::K(k) => Some(k.clone()),
                    _ => None,
                }
            };
            return res(None, rt, out);
        }
        "#>" | "#>>" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err(Undecidable::unsupported("json path accessor")),
            };
            let out = if op == "#>>" {
                Some(TEXT)
            } else {
                match l {
                    In::K(k) => Some(k.clone()),
                    _ => None,
                }
            };
            return res(None, rt, out);
        }
        "?" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") => None,
                In::K(k) if k.is("varchar") => Some(TEXT),
                In::O => None,
                _ => return Err(Undecidable::unsupported("? operand")),
            };
            return res(None, rt, b);
        }
        "?|" | "?&" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err(Undecidable::unsupported("?| operand")),
            };
            return res(None, rt, b);
        }
        "@?" | "@@" if jsonish(l) => {
            if matches!(l, In::O) && op == "@@" {
                return Err(Undecidable::untyped("@@ on an expression of unknown type"));
            }
            let rt = match r {
                In::U => Some(t("jsonpath")),
                In::K(k) if k.is("jsonpath") => None,
                In::O => None,
                _ => return Err(Undecidable::unsupported("jsonpath operand")),
            };
            return res(None, rt, b);
        }
        "#-" if jsonish(l) => {
            let rt = match r {
                In::U => Some(TEXT.array_of()),
                In::K(k) if k.array && k.name == "text" => None,
                In::O => None,
                _ => return Err(Undecidable::unsupported("#- operand")),
            };
            return res(None, rt, l_ty(l));
        }
        "-" if is_json(l) => {
            let rt = match r {
                In::U => Some(TEXT),
                In::K(k) if k.is("text") || k.is("int4") || (k.array && k.name == "text") => None,
                In::O => None,
                _ => return Err(Undecidable::unsupported("jsonb - operand")),
            };
            return res(None, rt, l_ty(l));
        }
        "@>" | "<@" | "&&" => {
            return match (l, r) {
                (In::K(a), In::U) if a.is("jsonb") && op != "&&" || a.array => {
                    res(None, Some(a.without_mods()), b)
                }
                (In::U, In::K(a)) if a.is("jsonb") && op != "&&" || a.array => {
                    res(Some(a.without_mods()), None, b)
                }
                (In::K(a), In::K(c))
                    if a.is("jsonb") && c.is("jsonb") && op != "&&"
                        || a.array && c.array && a.same_base(c) =>
                {
                    res(None, None, b)
                }
                (In::O, In::K(_)) | (In::K(_), In::O) | (In::O, In::O) => res(None, None, b),
                _ => Err(Undecidable::are_not_modelled(format!("operands of {op}"))),
            };
        }
        "||" => return resolve_concat(l, r),
        "+" | "-" | "*" | "/" | "%" => return resolve_arith(op, l, r),
        _ => {}
    }
    match (l, r) {
        (In::U, _) | (_, In::U) => Err(Undecidable::untyped(format!(
            "a literal operand of {op} cannot be typed offline"
        ))),
        _ => res(None, None, None),
    }
}

/// The columns of a row constructor: `(a, b)` or `ROW(a, b)` (`ROW(a)` too; a
/// parenthesized single expression is not a row).
pub(super) fn row_items(e: &Expr) -> Option<Vec<&Expr>> {
    match e {
        Expr::Tuple(items) => Some(items.iter().collect()),
        Expr::Function(f)
            if f.name.0.len() == 1
                && matches!(&f.name.0[0], ObjectNamePart::Identifier(id)
                    if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("row"))
                && f.filter.is_none()
                && f.over.is_none()
                && f.within_group.is_empty()
                && matches!(f.parameters, FunctionArguments::None) =>
        {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return None;
            }
            list.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

pub(super) fn l_ty(l: In) -> Option<Ty> {
    match l {
        In::K(k) => Some(k.clone()),
        _ => None,
    }
}

pub(super) fn resolve_concat(l: In, r: In) -> R<OpRes> {
    let s = |x: In| matches!(x, In::U) || matches!(x, In::K(k) if k.is_stringish());
    if s(l) && s(r) {
        let side = |x: In| match x {
            In::K(k) if k.is("text") => None,
            _ => Some(TEXT),
        };
        return res(side(l), side(r), Some(TEXT));
    }
    match (l, r) {
        (In::K(a), In::U) | (In::U, In::K(a)) if a.is("jsonb") => {
            let (x, y) = if matches!(l, In::U) {
                (Some(a.clone()), None)
            } else {
                (None, Some(a.clone()))
            };
            res(x, y, Some(a.clone()))
        }
        (In::K(a), In::K(c)) if a.is("jsonb") && c.is("jsonb") => res(None, None, Some(a.clone())),
        (In::K(a), In::U) if !a.array && !a.is("jsonb") && !a.is_user() => {
            res(None, Some(TEXT), Some(TEXT))
        }
        (In::U, In::K(a)) if !a.array && !a.is("jsonb") && !a.is_user() => {
            res(Some(TEXT), None, Some(TEXT))
        }
        (In::K(a), In::K(c))
            if (a.is("text") && !c.array && !c.is("jsonb") && !c.is_user())
                || (c.is("text") && !a.array && !a.is("jsonb") && !a.is_user()) =>
        {
            res(None, None, Some(TEXT))
        }
        (In::U, _) | (_, In::U) => Err(Undecidable::untyped(
            "a literal operand of || cannot be typed offline",
        )),
        (In::K(a), In::K(c)) if a.array || c.array => {
            Err(Undecidable::not_modelled("array concatenation"))
        }
        _ => res(None, None, None),
    }
}

pub(super) fn resolve_arith(op: &str, l: In, r: In) -> R<OpRes> {
    let bad = || Err(Undecidable::are_not_modelled(format!("operands of {op}")));
    match (l, r) {
        (In::K(a), In::K(c)) => {
            if let (Some(ra), Some(rc)) = (a.num_rank(), c.num_rank()) {
                if ra <= 2 && rc <= 2 {
                    let out = if ra >= rc {
                        a.without_mods()
                    } else {
                        c.without_mods()
                    };
                    return res(None, None, Some(out));
                }
                if ra >= 4 && rc >= 4 {
                    return res(
                        None,
                        None,
                        Some(t(if ra == 5 || rc == 5 {
                            "float8"
                        } else {
                            "float4"
                        })),
                    );
                }
                let hi = ra.max(rc);
                if ra == rc {
                    return res(None, None, Some(a.without_mods()));
                }
                if hi == 3 || hi == 5 {
                    let target = if hi == 3 { t("numeric") } else { t("float8") };
                    return Ok(if ra < rc {
                        OpRes {
                            l: Some(target.clone()),
                            r: None,
                            out: Some(target),
                        }
                    } else {
                        OpRes {
                            l: None,
                            r: Some(target.clone()),
                            out: Some(target),
                        }
                    });
                }
                return bad();
            }
            let (x, y) = (&*a.name, &*c.name);
            if a.array || c.array || a.is_user() || c.is_user() {
                return bad();
            }
            let out = match (op, x, y) {
                ("+", "date", "int4") | ("+", "int4", "date") | ("-", "date", "int4") => "date",
                ("-", "date", "date") => "int4",
                ("+" | "-", "date", "interval") | ("+", "interval", "date") => "timestamp",
                ("+" | "-", "timestamptz", "interval") | ("+", "interval", "timestamptz") => {
                    "timestamptz"
                }
                ("+" | "-", "timestamp", "interval") | ("+", "interval", "timestamp") => {
                    "timestamp"
                }
                ("-", "timestamptz", "timestamptz") | ("-", "timestamp", "timestamp") => "interval",
                ("+" | "-", "interval", "interval") => "interval",
                ("*" | "/", "interval", "float8") | ("*", "float8", "interval") => "interval",
                ("*" | "/", "interval", _) if c.num_rank().is_some() => {
                    return res(None, Some(t("float8")), Some(t("interval")));
                }
                ("*", _, "interval") if a.num_rank().is_some() => {
                    return res(Some(t("float8")), None, Some(t("interval")));
                }
                _ => return bad(),
            };
            res(None, None, Some(t(out)))
        }
        (In::K(a), In::U) | (In::U, In::K(a)) => {
            let left_known = matches!(l, In::K(_));
            let lit = a.without_mods();
            let out = if a.num_rank().is_some() {
                Some(lit.clone())
            } else if op == "-" && left_known && a.is("date") {
                Some(t("int4"))
            } else if (op == "-" && left_known && (a.is("timestamptz") || a.is("timestamp")))
                || ((op == "+" || op == "-") && a.is("interval"))
            {
                Some(t("interval"))
            } else {
                return bad();
            };
            if left_known {
                res(None, Some(lit), out)
            } else {
                res(Some(lit), None, out)
            }
        }
        (In::U, _) | (_, In::U) => bad(),
        _ => res(None, None, None),
    }
}

impl<'a> Analyzer<'a> {
    pub(super) fn binary(&mut self, e: &Expr, left: &Expr, op: &B, right: &Expr) -> R<Node> {
        let lv = bin_level(op);
        match op {
            B::And | B::Or => {
                need(left, lv)?;
                need(right, lv + 1)?;
                // the grammar flattens a left operand that is itself AND (OR) on sight
                let mut args = Vec::new();
                let mut spine = vec![right];
                let mut cur = left;
                loop {
                    let mut c = cur;
                    while let Expr::Nested(inner) = c {
                        c = inner;
                    }
                    let parenthesized = !std::ptr::eq(c, cur);
                    match c {
                        Expr::BinaryOp { op: o2, .. }
                            if o2 == op && parenthesized && self.mode == Mode::Stored =>
                        {
                            spine.push(cur);
                            break;
                        }
                        Expr::BinaryOp { op: o2, .. }
                            if o2 == op && parenthesized && self.mode == Mode::Generic =>
                        {
                            return Err(Undecidable::NeedsOrigin(OriginShape::NestedAndOr));
                        }
                        Expr::BinaryOp {
                            left: l2,
                            op: o2,
                            right: r2,
                        } if o2 == op => {
                            need(l2, lv)?;
                            need(r2, lv + 1)?;
                            spine.push(r2);
                            cur = l2;
                        }
                        _ => {
                            spine.push(cur);
                            break;
                        }
                    }
                }
                for x in spine.into_iter().rev() {
                    let n = self.expr(x)?;
                    args.push(self.to_bool(n)?);
                }
                Ok(if matches!(op, B::And) {
                    Node::And(args)
                } else {
                    Node::Or(args)
                })
            }
            B::Overlaps => {
                let (Expr::Tuple(a), Expr::Tuple(b)) = (left, right) else {
                    return Err(Undecidable::mismatch("OVERLAPS needs two pairs"));
                };
                if a.len() != 2 || b.len() != 2 {
                    return Err(Undecidable::mismatch("OVERLAPS needs two pairs"));
                }
                let mut args = Vec::new();
                for x in a.iter().chain(b.iter()) {
                    args.push(self.expr(x)?);
                }
                let ins: Vec<In> = args.iter().map(inp).collect();
                let ct = common_type(&ins)?;
                if !(ct.is_datetime() || ct.is("time") || ct.is("timetz"))
                    || ins
                        .iter()
                        .any(|x| matches!(x, In::K(k) if !k.same_base(&ct)))
                {
                    return Err(Undecidable::are_not_modelled("OVERLAPS operand types"));
                }
                let mut out = Vec::new();
                for a in args {
                    out.push(self.apply(a, Some(ct.clone()))?);
                }
                Ok(Node::Sql {
                    kind: SqlKind::Overlaps,
                    args: out,
                    ty: Some(bool_ty()),
                })
            }
            _ => {
                let name = op_name(op)?;
                if lv == 5 {
                    need(left, lv + 1)?;
                } else {
                    need(left, lv)?;
                }
                need(right, lv + 1)?;
                if let (Some(a), Some(b)) = (row_items(left), row_items(right)) {
                    return self.row_cmp(name, &a, &b);
                }
                let _ = e;
                self.binop_expr(name, left, right)
            }
        }
    }

    /// `make_row_comparison_op`: `=` is an AND of the column comparisons, `<>` an OR, and
    /// `<`, `<=`, `>`, `>=` a row comparison; a one-column row compares as its column.
    pub(super) fn row_cmp(&mut self, op: &'static str, a: &[&Expr], b: &[&Expr]) -> R<Node> {
        if a.len() != b.len() {
            return Err(Undecidable::mismatch(
                "unequal number of entries in row expressions",
            ));
        }
        if a.is_empty() {
            return Err(Undecidable::not_modelled("comparison of empty rows"));
        }
        if !matches!(op, "=" | "<>" | "<" | "<=" | ">" | ">=") {
            return Err(Undecidable::not_modelled(format!(
                "row comparison with {op}"
            )));
        }
        let mut out = Vec::new();
        for (x, y) in a.iter().zip(b) {
            out.push(self.binop_expr(op, x, y)?);
        }
        if out.len() == 1 {
            return Ok(out.pop().unwrap());
        }
        Ok(match op {
            "=" => Node::And(out),
            "<>" => Node::Or(out),
            _ => {
                let (mut l, mut r) = (Vec::new(), Vec::new());
                for n in out {
                    match n {
                        Node::Op {
                            l: Some(x), r: y, ..
                        } => {
                            l.push(*x);
                            r.push(*y);
                        }
                        _ => return Err(Undecidable::not_modelled("row comparison")),
                    }
                }
                Node::RowCompare { op, l, r }
            }
        })
    }

    pub(super) fn binop_expr(&mut self, op: &'static str, left: &Expr, right: &Expr) -> R<Node> {
        let l = self.expr(left)?;
        let r = self.expr(right)?;
        self.binop(op, l, r)
    }

    pub(super) fn binop(&self, op: &'static str, l: Node, r: Node) -> R<Node> {
        let rs = resolve_binop(op, inp(&l), inp(&r))?;
        let l = self.apply(l, rs.l)?;
        let r = self.apply(r, rs.r)?;
        Ok(Node::Op {
            name: op,
            l: Some(Box::new(l)),
            r: Box::new(r),
            ty: rs.out,
        })
    }

    pub(super) fn saop(&self, op: &'static str, any: bool, l: Node, r: Node) -> R<Node> {
        if !(is_cmp(op) || is_pattern(op)) {
            return Err(Undecidable::not_modelled(format!("{op} ANY")));
        }
        let elem: Option<Ty>;
        let r_in = match inp(&r) {
            In::U => In::U,
            In::O => In::O,
            In::K(k) if k.array => {
                elem = k.elem();
                In::K(elem.as_ref().unwrap())
            }
            In::K(_) => return Err(Undecidable::mismatch("ANY/ALL needs an array")),
        };
        let rs = resolve_binop(op, inp(&l), r_in)?;
        let r_target = match (&rs.r, inp(&r)) {
            (Some(et), In::U) => Some(et.clone().array_of()),
            (Some(et), In::K(k)) if !k.elem().map(|x| x.same_base(et)).unwrap_or(false) => {
                Some(et.clone().array_of())
            }
            _ => None,
        };
        let l = self.apply(l, rs.l)?;
        let r = self.apply(r, r_target)?;
        Ok(Node::ScalarArray {
            op,
            any,
            l: Box::new(l),
            r: Box::new(r),
        })
    }

    pub(super) fn any_sublink(
        &mut self,
        op: &'static str,
        any: bool,
        l: Node,
        q: &sq::Query,
    ) -> R<Node> {
        let (q, tys) = self.sublink(q)?;
        if tys.len() != 1 {
            return Err(Undecidable::mismatch("sub-select must return one column"));
        }
        let rt = tys[0].clone();
        let r_in = match &rt {
            Some(t) => In::K(t),
            None => In::O,
        };
        let rs = resolve_binop(op, inp(&l), r_in)?;
        if !matches!(rs.out, Some(ref b) if is_bool(b)) {
            return Err(Undecidable::not_modelled("sub-select comparison"));
        }
        let l = self.apply(l, rs.l)?;
        let kind = if any {
            SubKind::Any {
                op,
                left: Box::new(l),
            }
        } else {
            SubKind::All {
                op,
                left: Box::new(l),
            }
        };
        Ok(Node::Sublink {
            kind,
            query: Box::new(q),
            ty: Some(bool_ty()),
        })
    }
}
