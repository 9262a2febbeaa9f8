//! Expressions: `transformExpr` for every expression form we model (literals, casts,
//! IS tests, IN lists, BETWEEN, LIKE, CASE, ARRAY[], subscripts, EXTRACT, ...).

use super::*;

impl<'a> Analyzer<'a> {
    pub(super) fn expr(&mut self, e: &Expr) -> R<Node> {
        match e {
            Expr::Nested(inner) => {
                // `(- 1)` is how pg_get_expr prints minus applied to a constant, while the
                // grammar folds a written `(-1)` into a negative constant
                if self.mode == Mode::Generic && is_negated_number(inner) {
                    return Err(Undecidable::NeedsOrigin(
                        OriginShape::ParenthesizedNegativeNumber,
                    ));
                }
                self.expr(inner)
            }
            Expr::Identifier(id) => {
                if id.quote_style.is_none() {
                    let kw = match id.value.to_ascii_lowercase().as_str() {
                        "current_role" => Some(("CURRENT_ROLE", "name")),
                        "current_user" => Some(("CURRENT_USER", "name")),
                        "session_user" => Some(("SESSION_USER", "name")),
                        "user" => Some(("USER", "name")),
                        "current_catalog" => Some(("CURRENT_CATALOG", "name")),
                        "current_schema" => Some(("CURRENT_SCHEMA", "name")),
                        "current_date" => Some(("CURRENT_DATE", "date")),
                        "current_timestamp" => Some(("CURRENT_TIMESTAMP", "timestamptz")),
                        "localtimestamp" => Some(("LOCALTIMESTAMP", "timestamp")),
                        "current_time" => Some(("CURRENT_TIME", "timetz")),
                        "localtime" => Some(("LOCALTIME", "time")),
                        _ => None,
                    };
                    if let Some((kw, ty)) = kw {
                        return Ok(Node::SqlValue { kw, ty: t(ty) });
                    }
                }
                self.column(&[fold(id)])
            }
            Expr::CompoundIdentifier(ids) => {
                let parts: Vec<String> = ids.iter().map(fold).collect();
                self.column(&parts)
            }
            Expr::Value(v) => self.value(&v.value),
            Expr::TypedString(ts) => {
                let ty = self.ty(&ts.data_type.to_string())?;
                let s = string_value(&ts.value.value)
                    .ok_or(Undecidable::unsupported("typed literal"))?;
                self.explicit_cast(
                    Node::Const {
                        text: Some(s),
                        ty: None,
                    },
                    ty,
                )
            }
            Expr::Interval(iv) => {
                if iv.leading_field.is_some()
                    || iv.last_field.is_some()
                    || iv.leading_precision.is_some()
                    || iv.fractional_seconds_precision.is_some()
                {
                    return Err(Undecidable::are_not_modelled("interval qualifiers"));
                }
                let s = match &*iv.value {
                    Expr::Value(v) => string_value(&v.value)
                        .ok_or(Undecidable::unsupported("interval literal"))?,
                    _ => return Err(Undecidable::unsupported("interval literal")),
                };
                self.explicit_cast(
                    Node::Const {
                        text: Some(s),
                        ty: None,
                    },
                    t("interval"),
                )
            }
            Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                if format.is_some()
                    || !matches!(kind, sq::CastKind::DoubleColon | sq::CastKind::Cast)
                {
                    return Err(Undecidable::unsupported("cast"));
                }
                let ty = self.ty(&data_type.to_string())?;
                // a cast of an ARRAY[] constructor to an array type is pushed into its
                // elements (transformExprRecurse, T_TypeCast)
                let mut inner: &Expr = expr;
                while let Expr::Nested(i) = inner {
                    inner = i;
                }
                if let (Expr::Array(arr), true) = (inner, ty.array) {
                    if arr.named && !arr.elem.is_empty() {
                        let elems = arr
                            .elem
                            .iter()
                            .map(|x| self.expr(x))
                            .collect::<R<Vec<_>>>()?;
                        return self.cast_elements(elems, &ty);
                    }
                }
                let n = self.expr(expr)?;
                self.explicit_cast(n, ty)
            }
            Expr::IsNull(a) | Expr::IsNotNull(a) => {
                need(a, 5)?;
                let n = self.expr(a)?;
                if n.is_unknown_lit() {
                    return Err(Undecidable::untyped("IS NULL on an untyped literal"));
                }
                Ok(Node::NullTest {
                    arg: Box::new(n),
                    not: matches!(e, Expr::IsNotNull(_)),
                })
            }
            Expr::IsTrue(a)
            | Expr::IsNotTrue(a)
            | Expr::IsFalse(a)
            | Expr::IsNotFalse(a)
            | Expr::IsUnknown(a)
            | Expr::IsNotUnknown(a) => {
                need(a, 5)?;
                let what = match e {
                    Expr::IsTrue(_) => "IS TRUE",
                    Expr::IsNotTrue(_) => "IS NOT TRUE",
                    Expr::IsFalse(_) => "IS FALSE",
                    Expr::IsNotFalse(_) => "IS NOT FALSE",
                    Expr::IsUnknown(_) => "IS UNKNOWN",
                    _ => "IS NOT UNKNOWN",
                };
                let n = self.expr(a)?;
                let n = self.to_bool(n)?;
                Ok(Node::BoolTest {
                    arg: Box::new(n),
                    what,
                })
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b)
                if matches!(&**b, Expr::Identifier(id) if id.quote_style.is_some()
                    && markers::json_predicate(&id.value).is_some()) =>
            {
                // `IS [NOT] JSON ...`, as the token rewrite marks it (PostgreSQL 16)
                let Expr::Identifier(id) = &**b else {
                    unreachable!()
                };
                let (kind, unique) = markers::json_predicate(&id.value).unwrap();
                let kind = match kind {
                    "SCALAR" => "SCALAR",
                    "ARRAY" => "ARRAY",
                    "OBJECT" => "OBJECT",
                    _ => "",
                };
                need(a, 5)?;
                let n = self.expr(a)?;
                // transformJsonParseArg: an untyped literal is text, other string types
                // are coerced to text; json, jsonb, text and bytea are taken as they are
                let n = match inp(&n) {
                    In::U => self.apply(n, Some(TEXT))?,
                    In::K(k) if k.is("json") || k.is("jsonb") || k.is("text") || k.is("bytea") => n,
                    In::K(k) if k.is("varchar") || k.is("bpchar") || k.is("name") => {
                        self.apply(n, Some(TEXT))?
                    }
                    _ => return Err(Undecidable::not_modelled("IS JSON of this type")),
                };
                let p = Node::IsJson {
                    arg: Box::new(n),
                    kind,
                    unique,
                };
                Ok(if matches!(e, Expr::IsNotDistinctFrom(..)) {
                    Node::Not(Box::new(p))
                } else {
                    p
                })
            }
            Expr::IsDistinctFrom(a, b) | Expr::IsNotDistinctFrom(a, b) => {
                need(a, 5)?;
                need(b, 5)?;
                let l = self.expr(a)?;
                let r = self.expr(b)?;
                let rs = resolve_cmp(inp(&l), inp(&r))?;
                let l = self.apply(l, rs.l)?;
                let r = self.apply(r, rs.r)?;
                let d = Node::Distinct {
                    l: Box::new(l),
                    r: Box::new(r),
                };
                Ok(if matches!(e, Expr::IsNotDistinctFrom(..)) {
                    Node::Not(Box::new(d))
                } else {
                    d
                })
            }
            Expr::In {
                expr,
                target,
                negated,
                global,
            } => {
                if *global {
                    return Err(Undecidable::unsupported("IN"));
                }
                need(expr, 7)?;
                match target {
                    sq::InTarget::List(list) => self.in_list(expr, list, *negated),
                    sq::InTarget::Subquery(q) => {
                        let l = self.expr(expr)?;
                        let n = self.any_sublink("=", true, l, q)?;
                        Ok(if *negated { Node::Not(Box::new(n)) } else { n })
                    }
                    _ => Err(Undecidable::unsupported("IN")),
                }
            }
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => {
                need(expr, 7)?;
                // `BETWEEN SYMMETRIC low`, as the token rewrite marks it
                let symmetric = match &**low {
                    Expr::Function(f) if marker_name(&f.name) == Some(markers::SYMMETRIC) => {
                        match &f.args {
                            FunctionArguments::List(l) => match l.args.as_slice() {
                                [FunctionArg::Unnamed(FunctionArgExpr::Expr(x))] => Some(x),
                                _ => return Err(Undecidable::unsupported("BETWEEN SYMMETRIC")),
                            },
                            _ => return Err(Undecidable::unsupported("BETWEEN SYMMETRIC")),
                        }
                    }
                    _ => None,
                };
                let low: &Expr = symmetric.unwrap_or(low);
                need(low, 7)?;
                need(high, 7)?;
                let (o1, o2) = if *negated { ("<", ">") } else { (">=", "<=") };
                let between = |an: &mut Self, low: &Expr, high: &Expr| -> R<Node> {
                    let a = an.binop_expr(o1, expr, low)?;
                    let b = an.binop_expr(o2, expr, high)?;
                    Ok(if *negated {
                        Node::Or(vec![a, b])
                    } else {
                        Node::And(vec![a, b])
                    })
                };
                let first = between(self, low, high)?;
                if symmetric.is_none() {
                    return Ok(first);
                }
                // both orders: OR-ed (AND-ed when negated)
                let second = between(self, high, low)?;
                Ok(if *negated {
                    Node::And(vec![first, second])
                } else {
                    Node::Or(vec![first, second])
                })
            }
            Expr::BinaryOp { left, op, right } => self.binary(e, left, op, right),
            Expr::UnaryOp { op, expr } => {
                match op {
                    U::Not => {
                        need(expr, 3)?;
                        let n = self.expr(expr)?;
                        Ok(Node::Not(Box::new(self.to_bool(n)?)))
                    }
                    U::Minus | U::Plus => {
                        // the grammar folds a minus sign into a numeric literal, even
                        // through parentheses
                        let mut inner: &Expr = expr;
                        while let Expr::Nested(i) = inner {
                            inner = i;
                        }
                        if let (U::Minus, Expr::Value(v), false) =
                            (op, inner, self.mode == Mode::Stored)
                        {
                            if let Value::Number(s, _) = &v.value {
                                return number(&format!("-{s}"));
                            }
                        }
                        need(expr, 14)?;
                        let n = self.expr(expr)?;
                        let ty = match inp(&n) {
                            In::K(k) if k.num_rank().is_some() || k.is("interval") => {
                                Some(k.without_mods())
                            }
                            In::O => None,
                            _ => return Err(Undecidable::unsupported("prefix operator operand")),
                        };
                        let name = if matches!(op, U::Minus) { "-" } else { "+" };
                        Ok(Node::Op {
                            name,
                            l: None,
                            r: Box::new(n),
                            ty,
                        })
                    }
                    _ => Err(Undecidable::unsupported(format!("prefix operator {op}"))),
                }
            }
            Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | Expr::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if escape_char.is_some() {
                    return Err(Undecidable::not_modelled("LIKE ... ESCAPE"));
                }
                need(expr, 7)?;
                need(pattern, 7)?;
                let ilike = matches!(e, Expr::ILike { .. });
                let op = match (ilike, *negated) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                if *any {
                    let l = self.expr(expr)?;
                    let r = self.expr(pattern)?;
                    return self.saop(op, true, l, r);
                }
                self.binop_expr(op, expr, pattern)
            }
            Expr::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | Expr::AllOp {
                left,
                compare_op,
                right,
            } => {
                let any = matches!(e, Expr::AnyOp { .. });
                let op = op_name(compare_op)?;
                need(left, bin_level(compare_op) + 1)?;
                let l = self.expr(left)?;
                if let Expr::Subquery(q) = &**right {
                    return self.any_sublink(op, any, l, q);
                }
                if let Expr::Nested(inner) = &**right {
                    if matches!(**inner, Expr::Subquery(_)) {
                        return Err(Undecidable::not_modelled(
                            "ANY over a parenthesized sub-select",
                        ));
                    }
                }
                let r = self.expr(right)?;
                self.saop(op, any, l, r)
            }
            Expr::Function(f) => self.function(f),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(operand.as_deref(), conditions, else_result.as_deref()),
            Expr::Exists { subquery, negated } => {
                let q = self.sublink(subquery)?;
                let n = Node::Sublink {
                    kind: SubKind::Exists,
                    query: Box::new(q.0),
                    ty: Some(bool_ty()),
                };
                Ok(if *negated { Node::Not(Box::new(n)) } else { n })
            }
            Expr::Subquery(q) => {
                let (q, tys) = self.sublink(q)?;
                if tys.len() != 1 {
                    return Err(Undecidable::mismatch("sub-select must return one column"));
                }
                Ok(Node::Sublink {
                    kind: SubKind::Expr,
                    query: Box::new(q),
                    ty: tys.into_iter().next().unwrap(),
                })
            }
            Expr::Array(arr) => {
                if !arr.named {
                    return Err(Undecidable::unsupported("array syntax"));
                }
                self.array(&arr.elem)
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                let base = self.expr(root)?;
                let mut subs = Vec::new();
                let mut slice_any = false;
                for a in access_chain {
                    match a {
                        sq::AccessExpr::Subscript(sq::Subscript::Index { index }) => {
                            let i = self.expr(index)?;
                            subs.push((None, Some(self.int_index(i)?), false));
                        }
                        sq::AccessExpr::Subscript(sq::Subscript::Slice {
                            lower_bound,
                            upper_bound,
                            stride: None,
                        }) => {
                            let lo = match lower_bound {
                                Some(x) => {
                                    let n = self.expr(x)?;
                                    Some(self.int_index(n)?)
                                }
                                None => None,
                            };
                            let hi = match upper_bound {
                                Some(x) => {
                                    let n = self.expr(x)?;
                                    Some(self.int_index(n)?)
                                }
                                None => None,
                            };
                            slice_any = true;
                            subs.push((lo, hi, true));
                        }
                        _ => return Err(Undecidable::unsupported("field access")),
                    }
                }
                let ty = match inp(&base) {
                    In::K(k) if k.array => Some(if slice_any {
                        k.without_mods()
                    } else {
                        k.elem().unwrap()
                    }),
                    In::K(k) if k.is("jsonb") => {
                        return Err(Undecidable::not_modelled(format!(
                            "subscripting {}",
                            k.name
                        )))
                    }
                    In::O => None,
                    _ => return Err(Undecidable::mismatch("subscript on a non-array")),
                };
                Ok(Node::Subscript {
                    base: Box::new(base),
                    subs,
                    ty,
                })
            }
            Expr::Extract {
                field,
                syntax,
                expr,
            } => {
                if !matches!(syntax, sq::ExtractSyntax::From) {
                    return Err(Undecidable::unsupported("EXTRACT syntax"));
                }
                let f = field.to_string().to_ascii_lowercase();
                if !f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(Undecidable::unsupported("EXTRACT field"));
                }
                let n = self.expr(expr)?;
                match inp(&n) {
                    In::K(k)
                        if k.is_datetime()
                            || k.is("time")
                            || k.is("timetz")
                            || k.is("interval") => {}
                    In::O => {}
                    _ => return Err(Undecidable::not_modelled("EXTRACT argument type")),
                }
                Ok(Node::Sql {
                    kind: SqlKind::Extract(f),
                    args: vec![n],
                    ty: Some(t("numeric")),
                })
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                special,
                shorthand,
            } => {
                if *shorthand {
                    return Err(Undecidable::unsupported("SUBSTRING syntax"));
                }
                let mut args = vec![self.expr(expr)?];
                if let Some(f) = substring_from {
                    args.push(self.expr(f)?);
                } else {
                    return Err(Undecidable::not_modelled("SUBSTRING without FROM"));
                }
                if let Some(f) = substring_for {
                    args.push(self.expr(f)?);
                }
                if *special {
                    let name = vec![("substring".to_string(), false)];
                    return self.call(&name, args);
                }
                if args.iter().any(|a| matches!(inp(a), In::O)) {
                    return Err(Undecidable::signature(
                        "substring",
                        SignatureProblem::Ambiguous,
                    ));
                }
                let (node, _) = self.resolve_call(&[("substring".to_string(), false)], args)?;
                match node {
                    // the regular-expression form, substring(text, text), is printed as
                    // a call (ruleutils has no SQL syntax for it)
                    Node::Func { ref args, .. }
                        if args.len() == 2 && args[1].ty().is_some_and(|t| t.is("text")) =>
                    {
                        Ok(node)
                    }
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Substring,
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return Err(Undecidable::unsupported("TRIM syntax"));
                }
                let (fname, kw) = match trim_where {
                    None | Some(sq::TrimWhereField::Both) => ("btrim", "BOTH"),
                    Some(sq::TrimWhereField::Leading) => ("ltrim", "LEADING"),
                    Some(sq::TrimWhereField::Trailing) => ("rtrim", "TRAILING"),
                };
                let mut args = vec![self.expr(expr)?];
                if let Some(w) = trim_what {
                    args.push(self.expr(w)?);
                }
                let (node, _) = self.resolve_call(&[(fname.to_string(), false)], args)?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Trim(kw),
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::Position { expr, r#in } => {
                let sub = self.expr(expr)?;
                let s = self.expr(r#in)?;
                let (node, _) =
                    self.resolve_call(&[("strpos".to_string(), false)], vec![s, sub])?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Position,
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::AtTimeZone {
                timestamp,
                time_zone,
            } => {
                need(timestamp, 12)?;
                need(time_zone, 13)?;
                let ts = self.expr(timestamp)?;
                let z = self.expr(time_zone)?;
                let out = match inp(&ts) {
                    In::K(k) if k.is("timestamptz") => t("timestamp"),
                    In::K(k) if k.is("timestamp") => t("timestamptz"),
                    _ => return Err(Undecidable::not_modelled("AT TIME ZONE operand type")),
                };
                let z = match inp(&z) {
                    In::U => self.coerce_unknown(z, &TEXT)?,
                    In::K(k) if k.is("text") => z,
                    _ => return Err(Undecidable::not_modelled("AT TIME ZONE zone type")),
                };
                Ok(Node::Sql {
                    kind: SqlKind::AtTimeZone,
                    args: vec![z, ts],
                    ty: Some(out),
                })
            }
            Expr::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                // `a SIMILAR TO p [ESCAPE e]` is `a ~ similar_to_escape(p [, e])`
                need(expr, 7)?;
                need(pattern, 7)?;
                let l = self.expr(expr)?;
                let mut args = vec![self.expr(pattern)?];
                if let Some(esc) = escape_char {
                    need(esc, 7)?;
                    args.push(self.expr(esc)?);
                }
                let (call, _) =
                    self.resolve_call(&[("similar_to_escape".to_string(), false)], args)?;
                self.binop(if *negated { "!~" } else { "~" }, l, call)
            }
            Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![self.expr(expr)?, self.expr(overlay_what)?];
                args.push(self.expr(overlay_from)?);
                if let Some(f) = overlay_for {
                    args.push(self.expr(f)?);
                }
                // overlay() also has bytea and bit signatures: only a string is modelled
                if !matches!(inp(&args[0]), In::K(k) if k.is_stringish()) {
                    return Err(Undecidable::not_modelled("OVERLAY of a non-string"));
                }
                let (node, _) = self.resolve_call(&[("overlay".to_string(), false)], args)?;
                match node {
                    Node::Func { args, ty, .. } => Ok(Node::Sql {
                        kind: SqlKind::Overlay,
                        args,
                        ty,
                    }),
                    _ => unreachable!(),
                }
            }
            Expr::Collate { expr, collation } => {
                need(expr, 15)?;
                let name = self.collation(collation)?;
                let arg = self.expr(expr)?;
                match inp(&arg) {
                    // an untyped literal keeps its COLLATE when it gets its type
                    In::K(k) if k.is_stringish() => {}
                    In::U => {}
                    _ => return Err(Undecidable::not_modelled("COLLATE on this type")),
                }
                Ok(Node::Collate {
                    arg: Box::new(arg),
                    name,
                })
            }
            _ => Err(Undecidable::not_modelled("this expression syntax")),
        }
    }

    /// A collation name as `generate_collation_name` prints it: unqualified, since a name
    /// written unqualified (or qualified with pg_catalog, which is searched first) is
    /// visible; another schema's collation may or may not be visible.
    fn collation(&self, name: &ObjectName) -> R<String> {
        let parts = name_parts(name)?;
        let coll = match parts.as_slice() {
            [(c, _)] => c,
            [(s, _), (c, _)] if s == "pg_catalog" => c,
            _ => return Err(Undecidable::not_modelled("a schema-qualified collation")),
        };
        let mut out = String::new();
        crate::expr::canon::print::push_ident(&mut out, coll);
        Ok(out)
    }

    pub(super) fn int_index(&self, n: Node) -> R<Node> {
        match inp(&n) {
            In::U => self.coerce_unknown(n, &t("int4")),
            In::K(k) if k.is("int4") => Ok(n),
            In::K(k) if k.is("int2") => self.apply(n, Some(t("int4"))),
            In::O => Ok(n),
            _ => Err(Undecidable::mismatch("array subscript must be an integer")),
        }
    }

    pub(super) fn value(&self, v: &Value) -> R<Node> {
        match v {
            Value::Number(s, _) => number(s),
            Value::Boolean(b) => Ok(Node::Const {
                text: Some(if *b { "true" } else { "false" }.into()),
                ty: Some(bool_ty()),
            }),
            Value::Null => Ok(Node::Const {
                text: None,
                ty: None,
            }),
            other => match string_value(other) {
                Some(s) => Ok(Node::Const {
                    text: Some(s),
                    ty: None,
                }),
                None => Err(Undecidable::unsupported("literal")),
            },
        }
    }

    pub(super) fn in_list(&mut self, lexpr: &Expr, list: &[Expr], negated: bool) -> R<Node> {
        let op = if negated { "<>" } else { "=" };
        if let Some(lrow) = row_items(lexpr) {
            // a row on the left: one row comparison per element, never an array
            let mut result: Option<Node> = None;
            for x in list {
                let Some(rrow) = row_items(x) else {
                    return Err(Undecidable::mismatch("IN list of a row needs rows"));
                };
                let cmp = self.row_cmp(op, &lrow, &rrow)?;
                result = Some(match result {
                    None => cmp,
                    Some(prev) if negated => Node::And(vec![prev, cmp]),
                    Some(prev) => Node::Or(vec![prev, cmp]),
                });
            }
            return result.ok_or_else(|| Undecidable::mismatch("empty IN list"));
        }
        let l = self.expr(lexpr)?;
        let cur_level = self.levels.len() - 1;
        let mut items: Vec<(Node, bool)> = Vec::new();
        for x in list {
            let n = self.expr(x)?;
            let v = has_vars(&n, cur_level);
            items.push((n, v));
        }
        let nonvar_count = items.iter().filter(|(_, v)| !*v).count();
        let mut result: Option<Node> = None;
        let rest: Vec<Node>;
        if nonvar_count > 1 {
            let mut ins = vec![inp(&l)];
            ins.extend(items.iter().filter(|(_, v)| !*v).map(|(n, _)| inp(n)));
            let ct = common_type(&ins)
                .map_err(|_| Undecidable::are_not_modelled("IN list element types"))?;
            let mut elems = Vec::new();
            let mut vars = Vec::new();
            for (n, v) in items {
                if v {
                    vars.push(n);
                } else {
                    elems.push(self.apply(n, Some(ct.clone()))?);
                }
            }
            let arr = Node::Array {
                elems,
                ty: ct.array_of(),
            };
            result = Some(self.saop(op, !negated, l.clone(), arr)?);
            rest = vars;
        } else {
            rest = items.into_iter().map(|(n, _)| n).collect();
        }
        for r in rest {
            let cmp = self.binop(op, l.clone(), r)?;
            result = Some(match result {
                None => cmp,
                Some(prev) => {
                    if negated {
                        Node::And(vec![prev, cmp])
                    } else {
                        Node::Or(vec![prev, cmp])
                    }
                }
            });
        }
        result.ok_or_else(|| Undecidable::mismatch("empty IN list"))
    }

    pub(super) fn array(&mut self, elems: &[Expr]) -> R<Node> {
        if elems.is_empty() {
            return Err(Undecidable::not_modelled("empty ARRAY[]"));
        }
        let mut nodes = Vec::new();
        for x in elems {
            if matches!(x, Expr::Array(_)) {
                return Err(Undecidable::not_modelled("multidimensional ARRAY[]"));
            }
            nodes.push(self.expr(x)?);
        }
        let ins: Vec<In> = nodes.iter().map(inp).collect();
        let ct = common_type(&ins)?;
        if ct.array {
            return Err(Undecidable::not_modelled("multidimensional ARRAY[]"));
        }
        let mut out = Vec::new();
        for n in nodes {
            out.push(self.apply(n, Some(ct.clone()))?);
        }
        Ok(Node::Array {
            elems: out,
            ty: ct.array_of(),
        })
    }

    pub(super) fn case(
        &mut self,
        operand: Option<&Expr>,
        conditions: &[sq::CaseWhen],
        else_result: Option<&Expr>,
    ) -> R<Node> {
        let arg = match operand {
            Some(o) => Some(self.expr(o)?),
            None => None,
        };
        let mut whens = Vec::new();
        let mut results = Vec::new();
        for cw in conditions {
            let c = self.expr(&cw.condition)?;
            let c = match &arg {
                Some(a) => {
                    let rs = resolve_cmp(inp(a), inp(&c))?;
                    if rs.l.is_some() && a.is_unknown_lit() {
                        return Err(Undecidable::untyped("untyped CASE operand"));
                    }
                    self.apply(c, rs.r)?
                }
                None => self.to_bool(c)?,
            };
            whens.push(c);
            results.push(self.expr(&cw.result)?);
        }
        let els = match else_result {
            Some(x) => self.expr(x)?,
            None => Node::Const {
                text: None,
                ty: None,
            },
        };
        results.push(els);
        let ins: Vec<In> = results.iter().map(inp).collect();
        let ty = match common_type(&ins) {
            Ok(t) => Some(t),
            Err(_) if ins.iter().all(|x| !matches!(x, In::U)) => None,
            Err(e) => return Err(e),
        };
        let mut rs = Vec::new();
        for r in results {
            rs.push(match &ty {
                Some(t) => self.apply(r, Some(t.clone()))?,
                None => r,
            });
        }
        let els = rs.pop().unwrap();
        Ok(Node::Case {
            arg: arg.map(Box::new),
            whens: whens.into_iter().zip(rs).collect(),
            els: Box::new(els),
            ty,
        })
    }
}

pub(super) fn string_value(v: &Value) -> Option<String> {
    match v {
        Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) => Some(s.clone()),
        Value::DollarQuotedString(d) => Some(d.value.clone()),
        _ => None,
    }
}

pub(super) fn number(s: &str) -> R<Node> {
    let is_int = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c.is_ascii_digit());
    if is_int {
        if let Ok(v) = s.parse::<i64>() {
            let ty = if i32::try_from(v).is_ok() {
                "int4"
            } else {
                "int8"
            };
            return Ok(Node::Const {
                text: Some(v.to_string()),
                ty: Some(t(ty)),
            });
        }
    }
    let n = lit::numeric(s).ok_or_else(|| Undecidable::Literal(format!("bad number {s}")))?;
    Ok(Node::Const {
        text: Some(n),
        ty: Some(t("numeric")),
    })
}

pub(super) fn is_negated_number(e: &Expr) -> bool {
    let Expr::UnaryOp { op: U::Minus, expr } = e else {
        return false;
    };
    let mut inner: &Expr = expr;
    while let Expr::Nested(i) = inner {
        inner = i;
    }
    matches!(inner, Expr::Value(v) if matches!(v.value, Value::Number(..)))
}

/// `contain_vars_of_level(node, 0)` for the query level `level`.
pub(super) fn has_vars(n: &Node, level: usize) -> bool {
    match n {
        Node::Var { level: l, .. } => *l == level,
        Node::Const { .. } | Node::SqlValue { .. } => false,
        Node::Op { l, r, .. } => {
            l.as_deref().map(|x| has_vars(x, level)).unwrap_or(false) || has_vars(r, level)
        }
        Node::Func { args, .. }
        | Node::Sql { args, .. }
        | Node::Coalesce { args, .. }
        | Node::MinMax { args, .. }
        | Node::And(args)
        | Node::Or(args) => args.iter().any(|a| has_vars(a, level)),
        Node::Cast { arg, .. }
        | Node::Not(arg)
        | Node::NullTest { arg, .. }
        | Node::BoolTest { arg, .. } => has_vars(arg, level),
        Node::Distinct { l, r } | Node::NullIf { l, r, .. } | Node::ScalarArray { l, r, .. } => {
            has_vars(l, level) || has_vars(r, level)
        }
        Node::Array { elems, .. } => elems.iter().any(|a| has_vars(a, level)),
        // sub-selects may reference this level's columns: treat as containing vars
        Node::Sublink { .. } => true,
        Node::Case {
            arg, whens, els, ..
        } => {
            arg.as_deref().map(|x| has_vars(x, level)).unwrap_or(false)
                || has_vars(els, level)
                || whens
                    .iter()
                    .any(|(a, b)| has_vars(a, level) || has_vars(b, level))
        }
        Node::Collate { arg, .. }
        | Node::NamedArg { arg, .. }
        | Node::Variadic(arg)
        | Node::IsJson { arg, .. } => has_vars(arg, level),
        Node::RowCompare { l, r, .. } => l.iter().chain(r).any(|x| has_vars(x, level)),
        Node::Subscript { base, subs, .. } => {
            has_vars(base, level)
                || subs.iter().any(|(a, b, _)| {
                    a.as_ref().map(|x| has_vars(x, level)).unwrap_or(false)
                        || b.as_ref().map(|x| has_vars(x, level)).unwrap_or(false)
                })
        }
    }
}
