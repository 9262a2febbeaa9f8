//! Sub-selects: the SELECT forms we model, their target lists and the column names
//! PostgreSQL derives for them (`FigureColname`).

use super::*;

impl<'a> Analyzer<'a> {
    /// A sub-select in an expression (a sub-link).
    pub(super) fn sublink(&mut self, q: &sq::Query) -> R<(Query, Vec<Option<Ty>>)> {
        self.sublinks += 1;
        let r = self.query(q);
        self.sublinks -= 1;
        r
    }

    /// Analyses a sub-select; returns it with the types of its output columns.
    pub(super) fn query(&mut self, q: &sq::Query) -> R<(Query, Vec<Option<Ty>>)> {
        self.has_queries = true;
        let Some(with) = &q.with else {
            return self.query_without_with(q);
        };
        // CTEs: each analysed as a query of its own, in scope for the ones after it and
        // for the body (under RECURSIVE, also for itself)
        let depth = self.ctes.len();
        let r = self.with_ctes(with, q);
        self.ctes.truncate(depth);
        r
    }

    fn with_ctes(&mut self, with: &sq::With, q: &sq::Query) -> R<(Query, Vec<Option<Ty>>)> {
        let depth = self.ctes.len();
        let mut ctes = Vec::with_capacity(with.cte_tables.len());
        for cte in &with.cte_tables {
            let name = fold(&cte.alias.name);
            if with.cte_tables[..ctes.len()]
                .iter()
                .any(|c| fold(&c.alias.name) == name)
            {
                return Err(Undecidable::mismatch(format!(
                    "WITH query name {name:?} specified more than once"
                )));
            }
            if with.recursive {
                // every CTE of WITH RECURSIVE is in scope for all of them; one not yet
                // analysed is not modelled
                self.ctes.push((name.clone(), None));
            }
            ctes.push(name);
        }
        let mut out = Vec::with_capacity(ctes.len());
        for (k, cte) in with.cte_tables.iter().enumerate() {
            if cte.from.is_some() {
                return Err(Undecidable::not_modelled("this CTE syntax"));
            }
            let name = ctes[k].clone();
            let materialized = match &cte.materialized {
                None => None,
                Some(sq::CteAsMaterialized::Materialized) => Some(true),
                Some(sq::CteAsMaterialized::NotMaterialized) => Some(false),
            };
            let aliases: Vec<String> = cte.alias.columns.iter().map(|c| fold(&c.name)).collect();
            if cte.alias.columns.iter().any(|c| c.data_type.is_some()) {
                return Err(Undecidable::not_modelled("typed CTE column aliases"));
            }
            let rename = |names: &mut Vec<String>| -> R<()> {
                if aliases.len() > names.len() {
                    return Err(Undecidable::mismatch(format!(
                        "WITH query {name:?} has {} columns available but {} columns specified",
                        names.len(),
                        aliases.len()
                    )));
                }
                names[..aliases.len()].clone_from_slice(&aliases);
                Ok(())
            };
            self.collecting += 1;
            self.cte_bodies += 1;
            let r = if with.recursive {
                self.recursive_cte(depth + k, &cte.query, &rename)
            } else {
                self.query(&cte.query)
            };
            self.collecting -= 1;
            self.cte_bodies -= 1;
            let (cq, tys) = r?;
            let mut names = cq.names.clone();
            rename(&mut names)?;
            let cols = names.into_iter().zip(tys).collect();
            if with.recursive {
                self.ctes[depth + k].1 = Some(cols);
            } else {
                self.ctes.push((name.clone(), Some(cols)));
            }
            out.push(Cte {
                name,
                columns: aliases,
                materialized,
                query: cq,
            });
        }
        let (mut query, tys) = self.query_without_with(q)?;
        query.with = out;
        query.recursive = with.recursive;
        Ok((query, tys))
    }

    /// A CTE of WITH RECURSIVE (`transformSetOperationTree` on a recursive query): when
    /// it is `non-recursive term UNION [ALL] recursive term`, the first term alone gives
    /// the CTE's columns and types, in scope for the second; the types of the whole must
    /// be those of the first term.
    fn recursive_cte(
        &mut self,
        slot: usize,
        q: &sq::Query,
        rename: &dyn Fn(&mut Vec<String>) -> R<()>,
    ) -> R<(Query, Vec<Option<Ty>>)> {
        let plain = q.with.is_none() && q.order_by.is_none() && q.limit_clause.is_none();
        let SetExpr::SetOperation {
            left,
            op: sq::SetOperator::Union,
            set_quantifier,
            right,
        } = &*q.body
        else {
            return self.query(q);
        };
        if !plain {
            return self.query(q);
        }
        let all = match set_quantifier {
            sq::SetQuantifier::None | sq::SetQuantifier::Distinct => false,
            sq::SetQuantifier::All => true,
            _ => return Err(Undecidable::not_modelled("this set operation")),
        };
        self.has_queries = true;
        let (l, lt) = self.set_expr(left)?;
        if has_unknown_lit(&l) {
            return Err(Undecidable::untyped(
                "an untyped literal in a recursive query",
            ));
        }
        let mut names = l.names.clone();
        rename(&mut names)?;
        // the recursive term: a plain SELECT is modelled; the self-reference only once,
        // in its own FROM, not on the nullable side of an outer join
        let (r, rt) = if matches!(&**right, SetExpr::Select(_)) {
            self.ctes[slot].1 = Some(names.into_iter().zip(lt.iter().cloned()).collect());
            self.recursive_terms.push(RecursiveTerm {
                slot,
                sublinks: self.sublinks,
                cte_bodies: self.cte_bodies,
                rte: None,
            });
            let r = self.set_expr(right);
            self.recursive_terms.pop();
            self.ctes[slot].1 = None;
            r?
        } else {
            self.set_expr(right)?
        };
        if has_unknown_lit(&r) {
            return Err(Undecidable::untyped(
                "an untyped literal in a recursive query",
            ));
        }
        if lt.len() != rt.len() {
            return Err(Undecidable::mismatch(
                "each UNION query must have the same number of columns",
            ));
        }
        for (a, b) in lt.iter().zip(&rt) {
            let ins = [
                a.as_ref().map(In::K).unwrap_or(In::O),
                b.as_ref().map(In::K).unwrap_or(In::O),
            ];
            let common = common_type(&ins)?;
            if a.as_ref()
                .is_none_or(|a| !a.same_base(&common) || !a.mods.is_empty())
            {
                return Err(Undecidable::not_modelled(
                    "a recursive query whose column types are not those of its non-recursive term",
                ));
            }
        }
        let names = l.names.clone();
        Ok((
            Query {
                names,
                setop: Some(Box::new(SetOp {
                    op: "UNION",
                    all,
                    l,
                    r,
                })),
                ..Query::default()
            },
            lt,
        ))
    }

    fn query_without_with(&mut self, q: &sq::Query) -> R<(Query, Vec<Option<Ty>>)> {
        if q.fetch.is_some()
            || !q.locks.is_empty()
            || q.for_clause.is_some()
            || q.settings.is_some()
            || q.format_clause.is_some()
            || !q.pipe_operators.is_empty()
        {
            return Err(Undecidable::not_modelled("this sub-select syntax"));
        }
        let (limit, offset) = match &q.limit_clause {
            None => (None, None),
            Some(sq::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) if limit_by.is_empty() => (limit.as_ref(), offset.as_ref().map(|o| &o.value)),
            _ => return Err(Undecidable::not_modelled("this LIMIT")),
        };
        let order_by: &[sq::OrderByExpr] = match &q.order_by {
            None => &[],
            Some(sq::OrderBy {
                kind: sq::OrderByKind::Expressions(items),
                interpolate: None,
            }) => items,
            Some(_) => return Err(Undecidable::not_modelled("this ORDER BY")),
        };
        match &*q.body {
            SetExpr::Select(s) => {
                let (mut query, tys) = self.leaf(s, order_by, limit)?;
                // the leaf's level is gone: OFFSET sees the levels around it, as its
                // LIMIT's constants do
                query.offset = offset.map(|e| self.limit_value(e)).transpose()?;
                Ok((query, tys))
            }
            body @ SetExpr::SetOperation { .. } => {
                let (mut query, tys) = self.set_expr(body)?;
                if !order_by.is_empty() {
                    query.setop_order = setop_sort(&query, order_by)?;
                }
                query.offset = offset.map(|e| self.limit_value(e)).transpose()?;
                query.limit = limit.map(|e| self.limit_value(e)).transpose()?;
                Ok((query, tys))
            }
            _ => Err(Undecidable::not_modelled("this sub-select syntax")),
        }
    }

    /// One SELECT, at a query level of its own.
    fn leaf(
        &mut self,
        s: &sq::Select,
        order_by: &[sq::OrderByExpr],
        limit: Option<&Expr>,
    ) -> R<(Query, Vec<Option<Ty>>)> {
        let plain_group_by =
            matches!(&s.group_by, sq::GroupByExpr::Expressions(_, m) if m.is_empty());
        if !matches!(s.distinct, None | Some(sq::Distinct::Distinct))
            || s.top.is_some()
            || s.into.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !plain_group_by
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || !s.named_window.is_empty()
            || s.qualify.is_some()
            || s.value_table_mode.is_some()
            || s.exclude.is_some()
            || !s.connect_by.is_empty()
        {
            return Err(Undecidable::not_modelled("this sub-select syntax"));
        }
        self.levels.push(Vec::new());
        let r = self.query_body(s, order_by, limit);
        let level = self.levels.pop().unwrap();
        let (mut query, tys) = r?;
        query.rtable = level.into_iter().map(|r| (r.id, r.written)).collect();
        Ok((query, tys))
    }

    /// `transformSetOperationTree`: both sides analysed at query levels of their own,
    /// each output column of the common type of its inputs. A leaf keeps its own target
    /// list (that is what `pg_get_expr` prints); an untyped literal in a leaf would take
    /// the common type, which is not modelled.
    fn set_expr(&mut self, e: &SetExpr) -> R<(Query, Vec<Option<Ty>>)> {
        match e {
            SetExpr::Select(s) => {
                self.setop_leaf = true;
                let r = self.leaf(s, &[], None);
                self.setop_leaf = false;
                r
            }
            SetExpr::Query(q) => {
                if q.with.is_some()
                    || q.order_by.is_some()
                    || q.limit_clause.is_some()
                    || q.fetch.is_some()
                    || !q.locks.is_empty()
                {
                    return Err(Undecidable::not_modelled(
                        "a parenthesized sub-select with clauses in a set operation",
                    ));
                }
                self.set_expr(&q.body)
            }
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let name = match op {
                    sq::SetOperator::Union => "UNION",
                    sq::SetOperator::Intersect => "INTERSECT",
                    sq::SetOperator::Except => "EXCEPT",
                    _ => return Err(Undecidable::not_modelled("this set operation")),
                };
                let all = match set_quantifier {
                    sq::SetQuantifier::None | sq::SetQuantifier::Distinct => false,
                    sq::SetQuantifier::All => true,
                    _ => return Err(Undecidable::not_modelled("this set operation")),
                };
                let (mut l, lt) = self.set_expr(left)?;
                let (mut r, rt) = self.set_expr(right)?;
                if lt.len() != rt.len() {
                    return Err(Undecidable::mismatch(format!(
                        "each {name} query must have the same number of columns"
                    )));
                }
                // an untyped literal of a leaf takes the column's common type (text when
                // no input has a type), coerced in the leaf's target list
                let mut tys = Vec::with_capacity(lt.len());
                for (k, (a, b)) in lt.iter().zip(&rt).enumerate() {
                    let ins = [input_of(&l, k, a), input_of(&r, k, b)];
                    let common = common_type(&ins)?;
                    for q in [&mut l, &mut r] {
                        if q.setop.is_none() && q.targets[k].0.is_unknown_lit() {
                            let n = std::mem::replace(&mut q.targets[k].0, Node::And(Vec::new()));
                            q.targets[k].0 = self.coerce_unknown(n, &common)?;
                        }
                    }
                    tys.push(Some(common));
                }
                let names = l.names.clone();
                Ok((
                    Query {
                        names,
                        setop: Some(Box::new(SetOp {
                            op: name,
                            all,
                            l,
                            r,
                        })),
                        ..Query::default()
                    },
                    tys,
                ))
            }
            _ => Err(Undecidable::not_modelled("this sub-select syntax")),
        }
    }

    pub(super) fn query_body(
        &mut self,
        s: &sq::Select,
        order_by: &[sq::OrderByExpr],
        limit: Option<&Expr>,
    ) -> R<(Query, Vec<Option<Ty>>)> {
        let setop_leaf = std::mem::take(&mut self.setop_leaf);
        // register every table of this level first, then analyse join conditions
        let mut items = Vec::new();
        for twj in &s.from {
            items.push(self.pfrom(twj)?);
        }
        let mut from = Vec::new();
        for it in items {
            from.push(self.finish_from(it)?);
        }
        let mut targets = Vec::new();
        let mut tys = Vec::new();
        // output column names: only sub-selects in FROM and CTEs need them
        let mut names = Vec::new();
        // the output names, one per target (a star expanded), for ORDER BY by name
        let mut resnames = Vec::with_capacity(s.projection.len());
        for item in &s.projection {
            let (e, alias) = match item {
                SelectItem::UnnamedExpr(e) => (e, None),
                SelectItem::ExprWithAlias { expr, alias } => (expr, Some(fold(alias))),
                SelectItem::Wildcard(opts) => {
                    plain_star(opts)?;
                    for (n, resname) in self.star(None, &from)? {
                        resnames.push(resname.clone());
                        self.push_star_target(n, resname, &mut targets, &mut tys, &mut names);
                    }
                    continue;
                }
                SelectItem::QualifiedWildcard(
                    sq::SelectItemQualifiedWildcardKind::ObjectName(q),
                    opts,
                ) => {
                    plain_star(opts)?;
                    let parts = name_parts(q)?;
                    let parts: Vec<String> = parts.into_iter().map(|(p, _)| p).collect();
                    for (n, resname) in self.star(Some(&parts), &from)? {
                        resnames.push(resname.clone());
                        self.push_star_target(n, resname, &mut targets, &mut tys, &mut names);
                    }
                    continue;
                }
                _ => return Err(Undecidable::not_modelled("this target list item")),
            };
            let mut n = self.expr(e)?;
            if n.is_unknown_lit() && !setop_leaf {
                n = self.coerce_unknown(n, &TEXT)?;
            }
            let resname = match alias {
                Some(a) => a,
                // a scalar sub-select is named after its first output column, which a
                // star names only once expanded
                None => match (&n, starts_with_star(e)) {
                    (Node::Sublink { query, .. }, true) => first_output_name(query)?,
                    _ => colname(e).0,
                },
            };
            resnames.push(resname.clone());
            if self.collecting > 0 {
                names.push(resname.clone());
            }
            let printed_alias = match &n {
                Node::Var { col, .. } => {
                    if *col != resname {
                        Some(resname)
                    } else {
                        None
                    }
                }
                // `?column?` is printed only where column names are visible (see
                // `Printer::query`)
                _ => Some(resname),
            };
            tys.push(n.ty().cloned());
            targets.push((n, printed_alias));
        }
        let filter = match &s.selection {
            Some(w) => {
                let n = self.expr(w)?;
                Some(self.to_bool(n)?)
            }
            None => None,
        };
        // GROUP BY: columns only (SQL92: a bare name is an input column before an
        // output column; a position is the target's); then every target, HAVING and
        // ORDER BY must use this level's columns only through the groups or inside an
        // aggregate of pg_catalog (a grouping by primary key is not modelled)
        let level = self.levels.len() - 1;
        let mut group_by = Vec::new();
        if let sq::GroupByExpr::Expressions(items, _) = &s.group_by {
            for e in items {
                let n = match e {
                    Expr::Identifier(id) => match self.column(&[fold(id)]) {
                        Ok(n) => n,
                        Err(_) => {
                            let name = fold(id);
                            match resnames.iter().position(|r| *r == name) {
                                Some(k) => targets[k].0.clone(),
                                None => self.expr(e)?,
                            }
                        }
                    },
                    Expr::Value(v) if matches!(v.value, Value::Number(..)) => {
                        let k: Option<usize> = match &v.value {
                            Value::Number(n, _) => n.parse().ok(),
                            _ => None,
                        };
                        match k
                            .and_then(|k| k.checked_sub(1))
                            .and_then(|k| targets.get(k))
                        {
                            Some(t) => t.0.clone(),
                            None => {
                                return Err(Undecidable::mismatch(
                                    "GROUP BY position is not in select list",
                                ))
                            }
                        }
                    }
                    _ => self.expr(e)?,
                };
                if !matches!(&n, Node::Var { level: l, .. } if *l == level) {
                    return Err(Undecidable::not_modelled("GROUP BY of an expression"));
                }
                group_by.push(n);
            }
        }
        let having = match &s.having {
            Some(h) => {
                let n = self.expr(h)?;
                Some(self.to_bool(n)?)
            }
            None => None,
        };
        let grouped = !group_by.is_empty() || having.is_some();
        let mut sorts = Vec::with_capacity(order_by.len());
        for o in order_by {
            if o.with_fill.is_some() {
                return Err(Undecidable::not_modelled("WITH FILL"));
            }
            let n = self.sort_key(&o.expr, &resnames, &targets)?;
            sorts.push((n, sort_suffix(o)?));
        }
        let limit = limit.map(|e| self.limit_value(e)).transpose()?;
        if grouped {
            let ok = |n: &Node| grouped_only(n, level, &group_by);
            if !(targets.iter().all(|(n, _)| ok(n))
                && having.iter().all(ok)
                && sorts.iter().all(|(n, _)| ok(n)))
            {
                return Err(Undecidable::not_modelled(
                    "a column of a grouped query outside its GROUP BY",
                ));
            }
        }
        Ok((
            Query {
                setop: None,
                distinct: s.distinct.is_some(),
                with: Vec::new(),
                recursive: false,
                rtable: Vec::new(),
                names,
                targets,
                from,
                filter,
                group_by,
                having,
                order_by: sorts,
                setop_order: Vec::new(),
                offset: None,
                limit,
            },
            tys,
        ))
    }
}

impl<'a> Analyzer<'a> {
    /// A LIMIT or OFFSET value: an int8.
    fn limit_value(&mut self, e: &Expr) -> R<Node> {
        let n = self.expr(e)?;
        match inp(&n) {
            In::U => self.coerce_unknown(n, &t("int8")),
            In::K(k) if k.is_int() => self.apply(n, Some(t("int8"))),
            In::O => Ok(n),
            _ => Err(Undecidable::mismatch("LIMIT must be an integer")),
        }
    }

    /// A target of a star's expansion: a column, printed without an alias unless the
    /// column is printed under another name (made unique).
    fn push_star_target(
        &self,
        n: Node,
        resname: String,
        targets: &mut Vec<(Node, Option<String>)>,
        tys: &mut Vec<Option<Ty>>,
        names: &mut Vec<String>,
    ) {
        let printed_alias = match &n {
            Node::Var { col, .. } if *col != resname => Some(resname.clone()),
            _ => None,
        };
        if self.collecting > 0 {
            names.push(resname);
        }
        tys.push(n.ty().cloned());
        targets.push((n, printed_alias));
    }

    /// `ExpandColumnRefStar`: `*` is every column of every FROM item of this level, in
    /// FROM order (a join's left side before its right); `q.*` every column of the entry
    /// `q` names, at this level or one around it. Each is a column reference with the
    /// column's name as its output name. The columns of a table come from the schema
    /// (PostgreSQL expands the star when the policy is created).
    fn star(&self, qualifier: Option<&[String]>, from: &[From]) -> R<Vec<(Node, String)>> {
        let mut out = Vec::new();
        match qualifier {
            None => {
                if from.is_empty() {
                    return Err(Undecidable::mismatch(
                        "SELECT * with no tables specified is not valid",
                    ));
                }
                for f in from {
                    out.extend(self.item_columns(f)?);
                }
            }
            Some(parts) => {
                let (q, want_schema) = match parts {
                    [q] => (q, None),
                    [s, q] => (q, Some(s)),
                    _ => return Err(Undecidable::unsupported("column reference")),
                };
                for li in (0..self.levels.len()).rev() {
                    let m = |rte: &&Rte| match want_schema {
                        None => rte.visible && rte.written == *q,
                        Some(s) => !rte.aliased && rte.relname == *q && rte.schema == *s,
                    };
                    let mut found = self.levels[li].iter().filter(m);
                    if let Some(rte) = found.next() {
                        if found.next().is_some() {
                            return Err(Undecidable::mismatch(format!(
                                "table reference {q:?} is ambiguous"
                            )));
                        }
                        self.rte_star(rte, li, &mut out)?;
                        return Ok(out);
                    }
                }
                return Err(Undecidable::MissingFromEntry {
                    qualifier: q.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The columns of one entry as a star expands them.
    pub(super) fn rte_star(&self, rte: &Rte, level: usize, out: &mut Vec<(Node, String)>) -> R<()> {
        let var = |col: String, ty: Option<Ty>| Node::Var {
            refname: rte.written.clone(),
            rte: rte.id,
            col,
            level,
            ty,
        };
        match (&rte.cols, rte.table) {
            (Some(cols), _) => {
                for (k, (name, ty)) in cols.iter().enumerate() {
                    let printed = match &rte.printed_cols {
                        Some(p) => p[k].clone(),
                        None => name.clone(),
                    };
                    out.push((var(printed, ty.clone()), name.clone()));
                }
            }
            (None, Some(t)) if !t.columns.is_empty() => {
                for c in &t.columns {
                    let ty = self.ty(&c.data_type)?;
                    out.push((var(c.name.clone(), Some(ty)), c.name.clone()));
                }
            }
            _ => {
                return Err(Undecidable::ColumnOfUnknownTable {
                    column: "*".into(),
                    table: rte.relname.clone(),
                })
            }
        }
        Ok(())
    }

    /// `findTargetlistEntrySQL92`: an ORDER BY item that is a bare name of an output
    /// column, or an integer constant (a position), sorts by that target; anything else
    /// is an expression of the query's scope (which must not be a bare untyped literal).
    fn sort_key(
        &mut self,
        e: &Expr,
        resnames: &[String],
        targets: &[(Node, Option<String>)],
    ) -> R<Node> {
        if let Expr::Identifier(id) = e {
            let name = fold(id);
            let named: Vec<usize> = resnames
                .iter()
                .enumerate()
                .filter(|(_, r)| **r == name)
                .map(|(k, _)| k)
                .collect();
            match named.as_slice() {
                [] => {}
                [k] => return Ok(targets[*k].0.clone()),
                _ => {
                    return Err(Undecidable::not_modelled(
                        "an ORDER BY name of several columns",
                    ))
                }
            }
        }
        if let Expr::Value(v) = e {
            if let Value::Number(n, _) = &v.value {
                let k: usize = n
                    .parse()
                    .map_err(|_| Undecidable::not_modelled("this ORDER BY position"))?;
                return match k.checked_sub(1).and_then(|k| targets.get(k)) {
                    Some(t) => Ok(t.0.clone()),
                    None => Err(Undecidable::mismatch(
                        "ORDER BY position is not in select list",
                    )),
                };
            }
        }
        let n = self.expr(e)?;
        if n.is_unknown_lit() {
            return Err(Undecidable::untyped("an untyped literal in ORDER BY"));
        }
        Ok(n)
    }
}

/// The default < (ASC) or > (DESC) of the type, NULLS LAST for ASC and NULLS FIRST for
/// DESC unless written otherwise.
fn sort_suffix(o: &sq::OrderByExpr) -> R<&'static str> {
    Ok(match (&o.options.sort, o.options.nulls_first) {
        (None | Some(sq::OrderBySort::Asc), None | Some(false)) => "",
        (None | Some(sq::OrderBySort::Asc), Some(true)) => " NULLS FIRST",
        (Some(sq::OrderBySort::Desc), None | Some(true)) => " DESC",
        (Some(sq::OrderBySort::Desc), Some(false)) => " DESC NULLS LAST",
        _ => return Err(Undecidable::not_modelled("ORDER BY ... USING")),
    })
}

/// ORDER BY of a set operation (`transformSetOperationStmt`): only output column names
/// (of the leftmost SELECT) and positions; printed as positions.
fn setop_sort(q: &Query, order_by: &[sq::OrderByExpr]) -> R<Vec<(usize, &'static str)>> {
    let mut leaf = q;
    while let Some(s) = &leaf.setop {
        leaf = &s.l;
    }
    let names: Vec<&str> = leaf
        .targets
        .iter()
        .map(|(n, a)| match (n, a) {
            (_, Some(a)) => a.as_str(),
            (Node::Var { col, .. }, None) => col.as_str(),
            _ => "",
        })
        .collect();
    let mut out = Vec::with_capacity(order_by.len());
    for o in order_by {
        if o.with_fill.is_some() {
            return Err(Undecidable::not_modelled("WITH FILL"));
        }
        let pos = match &o.expr {
            Expr::Identifier(id) => {
                let name = fold(id);
                let mut found = names.iter().enumerate().filter(|(_, n)| **n == name);
                match (found.next(), found.next()) {
                    (Some((k, _)), None) => k + 1,
                    (None, _) => {
                        return Err(Undecidable::mismatch(format!(
                            "column {name:?} does not exist in the set operation's result"
                        )))
                    }
                    _ => {
                        return Err(Undecidable::not_modelled(
                            "an ORDER BY name of several columns",
                        ))
                    }
                }
            }
            Expr::Value(v) if matches!(v.value, Value::Number(..)) => {
                let Value::Number(n, _) = &v.value else {
                    unreachable!()
                };
                match n.parse::<usize>() {
                    Ok(k) if k >= 1 && k <= names.len() => k,
                    _ => {
                        return Err(Undecidable::mismatch(
                            "ORDER BY position is not in select list",
                        ))
                    }
                }
            }
            _ => {
                return Err(Undecidable::mismatch(
                    "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
                ))
            }
        };
        out.push((pos, sort_suffix(o)?));
    }
    Ok(out)
}

/// Whether `n` uses the columns of query level `level` only as grouped columns or inside
/// an aggregate of pg_catalog (a sub-select is not looked into: not modelled).
fn grouped_only(n: &Node, level: usize, groups: &[Node]) -> bool {
    let same = |g: &Node| match (g, n) {
        (
            Node::Var {
                rte: a,
                col: ca,
                level: la,
                ..
            },
            Node::Var {
                rte: b,
                col: cb,
                level: lb,
                ..
            },
        ) => a == b && ca == cb && la == lb,
        _ => false,
    };
    if groups.iter().any(same) {
        return true;
    }
    let all = |xs: &[Node]| xs.iter().all(|x| grouped_only(x, level, groups));
    let one = |x: &Node| grouped_only(x, level, groups);
    match n {
        Node::Var { level: l, .. } => *l != level,
        Node::Const { .. } | Node::SqlValue { .. } => true,
        Node::Func { name, args, .. } => {
            super::functions::BUILTIN_AGGREGATES.contains(&name.as_str()) || all(args)
        }
        Node::Op { l, r, .. } => l.as_deref().is_none_or(one) && one(r),
        Node::Sql { args, .. }
        | Node::Coalesce { args, .. }
        | Node::MinMax { args, .. }
        | Node::And(args)
        | Node::Or(args)
        | Node::Array { elems: args, .. } => all(args),
        Node::Cast { arg, .. }
        | Node::Not(arg)
        | Node::NullTest { arg, .. }
        | Node::BoolTest { arg, .. }
        | Node::Collate { arg, .. }
        | Node::NamedArg { arg, .. }
        | Node::Variadic(arg)
        | Node::IsJson { arg, .. } => one(arg),
        Node::Distinct { l, r } | Node::NullIf { l, r, .. } | Node::ScalarArray { l, r, .. } => {
            one(l) && one(r)
        }
        Node::Case {
            arg, whens, els, ..
        } => {
            arg.as_deref().is_none_or(one)
                && one(els)
                && whens.iter().all(|(a, b)| one(a) && one(b))
        }
        Node::RowCompare { l, r, .. } => all(l) && all(r),
        Node::Subscript { base, subs, .. } => {
            one(base)
                && subs
                    .iter()
                    .all(|(a, b, _)| a.as_ref().is_none_or(one) && b.as_ref().is_none_or(one))
        }
        Node::Sublink { .. } => false,
    }
}

/// The input a set operation's column `k` takes from one side: an untyped literal of a
/// leaf is unknown.
fn input_of<'t>(q: &Query, k: usize, ty: &'t Option<Ty>) -> In<'t> {
    if q.setop.is_none() && q.targets[k].0.is_unknown_lit() {
        return In::U;
    }
    ty.as_ref().map(In::K).unwrap_or(In::O)
}

/// Whether a leaf keeps an untyped literal in its target list.
fn has_unknown_lit(q: &Query) -> bool {
    q.setop.is_none() && q.targets.iter().any(|(n, _)| n.is_unknown_lit())
}

/// Whether `e` is a scalar sub-select whose first output column is a star's.
fn starts_with_star(e: &Expr) -> bool {
    let mut e = e;
    while let Expr::Nested(i) = e {
        e = i;
    }
    let Expr::Subquery(q) = e else {
        return false;
    };
    let mut body: &SetExpr = &q.body;
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(q) => body = &q.body,
            _ => break,
        }
    }
    matches!(body, SetExpr::Select(sel) if matches!(
        sel.projection.first(),
        Some(SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..))
    ))
}

/// The name of a query's first output column (its leftmost leaf's).
fn first_output_name(q: &Query) -> R<String> {
    let mut q = q;
    while let Some(s) = &q.setop {
        q = &s.l;
    }
    match q.targets.first() {
        Some((_, Some(a))) => Ok(a.clone()),
        Some((Node::Var { col, .. }, None)) => Ok(col.clone()),
        _ => Err(Undecidable::not_modelled("the name of this sub-select")),
    }
}

/// The entries of a FROM item (a join's own included).
pub(super) fn from_ids(f: &From, out: &mut Vec<u32>) {
    match f {
        From::Rel { rte, .. } | From::Subquery { rte, .. } => out.push(*rte),
        From::Join { l, r, rte, .. } => {
            out.extend(*rte);
            from_ids(l, out);
            from_ids(r, out);
        }
    }
}

fn plain_star(opts: &sq::WildcardAdditionalOptions) -> R<()> {
    if opts.opt_ilike.is_some()
        || opts.opt_exclude.is_some()
        || opts.opt_except.is_some()
        || opts.opt_replace.is_some()
        || opts.opt_rename.is_some()
        || opts.opt_alias.is_some()
    {
        return Err(Undecidable::unsupported("this star"));
    }
    Ok(())
}

/// `FigureColname` on the written expression: the column name PostgreSQL derives.
pub(super) fn colname(e: &Expr) -> (String, u8) {
    let s = |x: &str| x.to_string();
    match e {
        Expr::Nested(i) => colname(i),
        Expr::Identifier(id) => (fold(id), 2),
        Expr::CompoundIdentifier(ids) => (fold(ids.last().unwrap()), 2),
        Expr::Function(f) => {
            let last = match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => fold(id),
                _ => s("?column?"),
            };
            if matches!(f.args, FunctionArguments::Subquery(_)) && last == "array" {
                return (s("array"), 2);
            }
            (last, 2)
        }
        Expr::Cast {
            expr, data_type, ..
        } => {
            let (n, st) = colname(expr);
            if st > 1 {
                return (n, st);
            }
            let tn = data_type.to_string();
            struct NoT;
            impl TypeLookup for NoT {
                fn resolve_type_schema(&self, _: &str) -> Option<String> {
                    None
                }
            }
            match parse_type(&tn, &NoT, &[]) {
                Ok(t) => (t.name.to_string(), 1),
                Err(_) => (s("?column?"), 0),
            }
        }
        Expr::CompoundFieldAccess { root, .. } => colname(root),
        Expr::Case { else_result, .. } => {
            if let Some(er) = else_result {
                let (n, st) = colname(er);
                if st > 1 {
                    return (n, st);
                }
            }
            (s("case"), 1)
        }
        Expr::Subquery(q) => {
            let mut body: &SetExpr = &q.body;
            loop {
                match body {
                    SetExpr::SetOperation { left, .. } => body = left,
                    SetExpr::Query(q) => body = &q.body,
                    _ => break,
                }
            }
            if let SetExpr::Select(sel) = body {
                match sel.projection.first() {
                    Some(SelectItem::ExprWithAlias { alias, .. }) => return (fold(alias), 2),
                    Some(SelectItem::UnnamedExpr(x)) => return (colname(x).0, 2),
                    _ => {}
                }
            }
            (s("?column?"), 0)
        }
        Expr::Exists { .. } => (s("exists"), 2),
        Expr::Array(_) => (s("array"), 1),
        Expr::Extract { .. } => (s("extract"), 2),
        Expr::Substring { .. } => (s("substring"), 2),
        Expr::Position { .. } => (s("position"), 2),
        Expr::AtTimeZone { .. } => (s("timezone"), 2),
        Expr::Trim { trim_where, .. } => (
            s(match trim_where {
                Some(sq::TrimWhereField::Leading) => "ltrim",
                Some(sq::TrimWhereField::Trailing) => "rtrim",
                _ => "btrim",
            }),
            2,
        ),
        Expr::TypedString(ts) => {
            let (n, st) = colname(&Expr::Cast {
                kind: sq::CastKind::DoubleColon,
                expr: Box::new(Expr::Value(ts.value.clone())),
                data_type: ts.data_type.clone(),
                format: None,
            });
            (n, st)
        }
        Expr::Interval(_) => (s("interval"), 1),
        _ => (s("?column?"), 0),
    }
}
