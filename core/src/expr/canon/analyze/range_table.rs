//! The range table: column references resolved against the policy's table and the
//! tables of sub-selects (`transformColumnRef`), FROM items and joins.

use super::subselect::from_ids;
use super::*;

pub(super) enum PFrom<'q> {
    Rel(From),
    Join(&'static str, Box<PFrom<'q>>, Box<PFrom<'q>>, Cond<'q>),
}

/// A join's condition as written.
pub(super) enum Cond<'q> {
    On(&'q Expr),
    Using(Vec<String>),
    Natural,
    None,
}

/// The id given to the merged column of an unaliased FULL JOIN: no entry, no name.
const UNNAMED_JOIN: u32 = u32::MAX;

impl<'a> Analyzer<'a> {
    pub(super) fn col_type(&self, table: Option<&Table>, col: &str) -> R<Option<Option<Ty>>> {
        match table {
            None => Ok(Some(None)),
            Some(t) => match t.column(col) {
                None => Ok(None),
                Some(c) => Ok(Some(Some(self.ty(&c.data_type)?))),
            },
        }
    }

    /// A column of a range-table entry: the name `pg_get_expr` prints for it and its type
    /// (None when the entry's columns are not known), or None when the entry has no such
    /// column.
    fn rte_col(&self, rte: &Rte, col: &str) -> R<Option<(String, Option<Ty>)>> {
        match &rte.cols {
            Some(cols) => {
                let mut found = cols.iter().enumerate().filter(|(_, (n, _))| n == col);
                match (found.next(), found.next()) {
                    (Some((k, (_, ty))), None) => {
                        let printed = match &rte.printed_cols {
                            Some(p) => p[k].clone(),
                            None => col.to_string(),
                        };
                        Ok(Some((printed, ty.clone())))
                    }
                    (None, _) => Ok(None),
                    (Some(_), Some(_)) => Err(Undecidable::AmbiguousColumn {
                        column: col.to_string(),
                    }),
                }
            }
            None => Ok(self
                .col_type(rte.table, col)?
                .map(|ty| (col.to_string(), ty))),
        }
    }

    pub(super) fn column(&self, parts: &[String]) -> R<Node> {
        let nlev = self.levels.len();
        match parts {
            [c] => {
                for li in (0..nlev).rev() {
                    let mut found: Option<Node> = None;
                    for rte in &self.levels[li] {
                        if !rte.cols_visible {
                            continue;
                        }
                        if let (Some(cols), Some(vars)) = (&rte.cols, &rte.join_vars) {
                            let mut m = cols.iter().enumerate().filter(|(_, (n, _))| n == c);
                            match (m.next(), m.next()) {
                                (Some((k, _)), None) => {
                                    if found.is_some() {
                                        return Err(Undecidable::AmbiguousColumn {
                                            column: c.clone(),
                                        });
                                    }
                                    found = Some(vars[k].clone());
                                }
                                (Some(_), Some(_)) => {
                                    return Err(Undecidable::AmbiguousColumn { column: c.clone() })
                                }
                                (None, _) => {}
                            }
                            continue;
                        }
                        let unknown = rte.table.is_none() && rte.cols.is_none();
                        if unknown && li > 0 {
                            return Err(Undecidable::ColumnOfUnknownTable {
                                column: c.clone(),
                                table: rte.relname.clone(),
                            });
                        }
                        if let Some((printed, ty)) = self.rte_col(rte, c)? {
                            if unknown && found.is_some() {
                                continue;
                            }
                            if found.is_some() {
                                return Err(Undecidable::AmbiguousColumn { column: c.clone() });
                            }
                            found = Some(Node::Var {
                                refname: rte.written.clone(),
                                rte: rte.id,
                                col: printed,
                                level: li,
                                ty,
                            });
                        }
                    }
                    if let Some(n) = found {
                        return Ok(n);
                    }
                }
                Err(Undecidable::UnknownColumn {
                    qualifier: None,
                    column: c.clone(),
                })
            }
            [q, c] | [_, q, c] => {
                let want_schema = if parts.len() == 3 {
                    Some(&parts[0])
                } else {
                    None
                };
                for li in (0..nlev).rev() {
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
                        {
                            return match self.rte_col(rte, c)? {
                                Some((printed, ty)) => Ok(Node::Var {
                                    refname: rte.written.clone(),
                                    rte: rte.id,
                                    col: printed,
                                    level: li,
                                    ty,
                                }),
                                None => Err(Undecidable::UnknownColumn {
                                    qualifier: Some(q.clone()),
                                    column: c.clone(),
                                }),
                            };
                        }
                    }
                }
                Err(Undecidable::MissingFromEntry {
                    qualifier: q.clone(),
                })
            }
            _ => Err(Undecidable::unsupported("column reference")),
        }
    }

    pub(super) fn resolve_table(
        &self,
        name: &ObjectName,
    ) -> R<(String, String, &'a Table, String)> {
        let parts = name_parts(name)?;
        let schema: &'a crate::ir::Schema = self.ctx.schema;
        let sp = self.ctx.search_path;
        let (s, t) = match parts.as_slice() {
            [(t, _)] => {
                let s = sp
                    .iter()
                    .find(|s| schema.table(s, t).is_some())
                    .ok_or_else(|| Undecidable::UnknownTable { name: t.clone() })?;
                (s.clone(), t.clone())
            }
            [(s, _), (t, _)] => (s.clone(), t.clone()),
            _ => return Err(Undecidable::unsupported("table name")),
        };
        let table = schema
            .table(&s, &t)
            .ok_or_else(|| Undecidable::UnknownTable {
                name: format!("{s}.{t}"),
            })?;
        let first = sp.iter().find(|p| schema.table(p, &t).is_some());
        let visible = first == Some(&s) && !t.starts_with("pg_");
        let printed = if visible {
            quote::ident(&t)
        } else {
            format!("{}.{}", quote::ident(&s), quote::ident(&t))
        };
        Ok((s, t, table, printed))
    }

    pub(super) fn pfrom<'q>(&mut self, twj: &'q sq::TableWithJoins) -> R<PFrom<'q>> {
        let mut cur = match &twj.relation {
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.pfrom(table_with_joins)?,
            other => PFrom::Rel(self.add_rel(other)?),
        };
        for j in &twj.joins {
            if j.global {
                return Err(Undecidable::unsupported("join"));
            }
            let (kind, c) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (" JOIN ", c),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (" LEFT JOIN ", c),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (" RIGHT JOIN ", c),
                JoinOperator::FullOuter(c) => (" FULL JOIN ", c),
                JoinOperator::CrossJoin(c) => (" CROSS JOIN ", c),
                _ => return Err(Undecidable::unsupported("join")),
            };
            let on = match c {
                JoinConstraint::On(e) if kind != " CROSS JOIN " => Cond::On(e),
                JoinConstraint::None if kind == " CROSS JOIN " => Cond::None,
                JoinConstraint::Using(cols) if kind != " CROSS JOIN " => {
                    let mut names = Vec::with_capacity(cols.len());
                    for c in cols {
                        match name_parts(c)?.as_slice() {
                            [(n, _)] => names.push(n.clone()),
                            _ => return Err(Undecidable::unsupported("USING column")),
                        }
                    }
                    Cond::Using(names)
                }
                JoinConstraint::Natural if kind != " CROSS JOIN " => Cond::Natural,
                _ => return Err(Undecidable::JoinWithoutOn),
            };
            let r = match &j.relation {
                TableFactor::NestedJoin {
                    table_with_joins,
                    alias: None,
                } => self.pfrom(table_with_joins)?,
                other => PFrom::Rel(self.add_rel(other)?),
            };
            cur = PFrom::Join(kind, Box::new(cur), Box::new(r), on);
        }
        Ok(cur)
    }

    pub(super) fn finish_from(&mut self, p: PFrom) -> R<From> {
        match p {
            PFrom::Rel(f) => Ok(f),
            PFrom::Join(kind, l, r, cond) => {
                let l = self.finish_from(*l)?;
                let r = self.finish_from(*r)?;
                self.check_nullable_side(kind, &l, &r)?;
                let on = match cond {
                    Cond::On(e) => {
                        let n = self.expr(e)?;
                        Some(self.to_bool(n)?)
                    }
                    Cond::None => None,
                    Cond::Using(names) => return self.join_using(kind, l, r, Some(names)),
                    Cond::Natural => return self.join_using(kind, l, r, None),
                };
                Ok(From::Join {
                    kind,
                    l: Box::new(l),
                    r: Box::new(r),
                    on,
                    using: Vec::new(),
                    rte: None,
                })
            }
        }
    }

    /// `checkWellFormedRecursion`: the self-reference of a recursive term must not be
    /// on the nullable side of an outer join.
    fn check_nullable_side(&self, kind: &str, l: &From, r: &From) -> R<()> {
        let refs: Vec<(u32, usize)> = self
            .recursive_terms
            .iter()
            .filter_map(|t| t.rte.map(|id| (id, t.slot)))
            .collect();
        if refs.is_empty() {
            return Ok(());
        }
        let mut nullable = Vec::new();
        match kind {
            " LEFT JOIN " => from_ids(r, &mut nullable),
            " RIGHT JOIN " => from_ids(l, &mut nullable),
            " FULL JOIN " => {
                from_ids(l, &mut nullable);
                from_ids(r, &mut nullable);
            }
            _ => {}
        }
        for (id, slot) in refs {
            if nullable.contains(&id) {
                return Err(Undecidable::mismatch(format!(
                    "recursive reference to query {:?} must not appear within an outer join",
                    self.ctes[slot].0
                )));
            }
        }
        Ok(())
    }

    /// A join with USING, or NATURAL (`transformFromClauseItem`): the join gets an entry
    /// of its own whose columns are the merged columns (in USING order), then the other
    /// columns of the left side and of the right side. A merged column stands for the
    /// left side's column (the right side's in a RIGHT JOIN; in a FULL JOIN their
    /// COALESCE, printed as the bare name); unqualified references resolve to the
    /// join's columns, no longer to its inputs'. Merged columns of different types
    /// (coerced to a common type) are not modelled.
    fn join_using(
        &mut self,
        kind: &'static str,
        l: From,
        r: From,
        using: Option<Vec<String>>,
    ) -> R<From> {
        let lcols = self.item_columns(&l)?;
        let rcols = self.item_columns(&r)?;
        let count = |cols: &[(Node, String)], n: &str| cols.iter().filter(|c| c.1 == n).count();
        let names = match using {
            Some(names) => {
                let mut seen = std::collections::HashSet::with_capacity(names.len());
                for n in &names {
                    if !seen.insert(n.as_str()) {
                        return Err(Undecidable::mismatch(format!(
                            "column name {n:?} appears more than once in USING clause"
                        )));
                    }
                }
                names
            }
            None => {
                let right: std::collections::HashSet<&str> =
                    rcols.iter().map(|c| c.1.as_str()).collect();
                let mut seen = std::collections::HashSet::new();
                let names: Vec<String> = lcols
                    .iter()
                    .filter(|c| right.contains(c.1.as_str()) && seen.insert(c.1.as_str()))
                    .map(|c| c.1.clone())
                    .collect();
                if names.is_empty() {
                    return Err(Undecidable::not_modelled(
                        "a NATURAL join without common columns",
                    ));
                }
                names
            }
        };
        let using: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
        let mut cols: Columns = Vec::with_capacity(lcols.len() + rcols.len());
        let mut vars = Vec::with_capacity(lcols.len() + rcols.len());
        let level = self.levels.len() - 1;
        for n in &names {
            let side = |cols: &[(Node, String)], which: &str| -> R<Node> {
                match count(cols, n) {
                    1 => Ok(cols.iter().find(|c| c.1 == *n).unwrap().0.clone()),
                    0 => Err(Undecidable::mismatch(format!(
                        "column {n:?} specified in USING clause does not exist in {which} table"
                    ))),
                    _ => Err(Undecidable::mismatch(format!(
                        "common column name {n:?} appears more than once in {which} table"
                    ))),
                }
            };
            let lv = side(&lcols, "left")?;
            let rv = side(&rcols, "right")?;
            let ty = match (lv.ty(), rv.ty()) {
                (Some(a), Some(b)) if a == b => a.clone(),
                _ => {
                    return Err(Undecidable::not_modelled(
                        "a USING column whose types on the two sides are not the same",
                    ))
                }
            };
            let var = match kind {
                " RIGHT JOIN " => rv,
                " FULL JOIN " => Node::Var {
                    refname: String::new(),
                    rte: UNNAMED_JOIN,
                    col: n.clone(),
                    level,
                    ty: Some(ty.clone()),
                },
                _ => lv,
            };
            cols.push((n.clone(), Some(ty)));
            vars.push(var);
        }
        for (node, name) in lcols.into_iter().chain(rcols) {
            if !using.contains(name.as_str()) {
                cols.push((name, node.ty().cloned()));
                vars.push(node);
            }
        }
        // the inputs' columns are reached through the join from now on
        let mut inner = Vec::new();
        from_ids(&l, &mut inner);
        from_ids(&r, &mut inner);
        for rte in self.levels.last_mut().unwrap().iter_mut() {
            if inner.contains(&rte.id) {
                rte.cols_visible = false;
            }
        }
        let id = self.new_id();
        self.push_rte(Rte {
            id,
            written: String::new(),
            visible: false,
            schema: String::new(),
            relname: String::new(),
            aliased: false,
            table: None,
            cols: Some(cols),
            printed_cols: None,
            cols_visible: true,
            join_vars: Some(vars),
        })?;
        Ok(From::Join {
            kind,
            l: Box::new(l),
            r: Box::new(r),
            on: None,
            using: names,
            rte: Some(id),
        })
    }

    /// The columns of a FROM item as a star expands them: the node each stands for and
    /// its name.
    pub(super) fn item_columns(&self, f: &From) -> R<Vec<(Node, String)>> {
        let li = self.levels.len() - 1;
        let entry = |id: u32| {
            self.levels[li]
                .iter()
                .find(|r| r.id == id)
                .expect("a FROM item of this level")
        };
        let mut out = Vec::new();
        match f {
            From::Rel { rte, .. } | From::Subquery { rte, .. } => {
                self.rte_star(entry(*rte), li, &mut out)?
            }
            From::Join { rte: Some(id), .. } => {
                let rte = entry(*id);
                let (Some(cols), Some(vars)) = (&rte.cols, &rte.join_vars) else {
                    unreachable!("a join's entry has its columns")
                };
                for ((name, _), v) in cols.iter().zip(vars) {
                    out.push((v.clone(), name.clone()));
                }
            }
            From::Join { l, r, .. } => {
                out = self.item_columns(l)?;
                out.extend(self.item_columns(r)?);
            }
        }
        Ok(out)
    }

    /// Adds an entry to the current query level (`checkNameSpaceConflicts`: two entries
    /// of one name are refused, unless both are tables without an alias).
    fn push_rte(&mut self, rte: Rte<'a>) -> R<u32> {
        let level = self.levels.last_mut().unwrap();
        let plain = |r: &Rte| r.table.is_some() && r.cols.is_none() && !r.aliased;
        let clash = level.iter().any(|r| {
            r.visible
                && rte.visible
                && r.written == rte.written
                && !(plain(r)
                    && plain(&rte)
                    && (&r.schema, &r.relname) != (&rte.schema, &rte.relname))
        });
        if clash {
            return Err(Undecidable::mismatch(format!(
                "table name {:?} specified more than once",
                rte.written
            )));
        }
        let id = rte.id;
        level.push(rte);
        Ok(id)
    }

    fn new_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn add_rel(&mut self, tf: &TableFactor) -> R<From> {
        if let TableFactor::Derived {
            lateral,
            subquery,
            alias,
            sample: None,
        } = tf
        {
            return self.add_derived(*lateral, subquery, alias.as_ref());
        }
        let TableFactor::Table {
            name,
            alias,
            args,
            with_hints,
            version,
            with_ordinality,
            partitions,
            json_path,
            sample,
            index_directives,
            ..
        } = tf
        else {
            return Err(Undecidable::NotPlainTable);
        };
        if args.is_some()
            || !with_hints.is_empty()
            || version.is_some()
            || *with_ordinality
            || !partitions.is_empty()
            || json_path.is_some()
            || sample.is_some()
            || !index_directives.is_empty()
        {
            return Err(Undecidable::unsupported("FROM item"));
        }
        if let [ObjectNamePart::Identifier(id)] = name.0.as_slice() {
            let n = fold(id);
            if let Some(k) = self.ctes.iter().rposition(|(c, _)| *c == n) {
                return self.add_cte_ref(k, alias.as_ref());
            }
        }
        let (schema, relname, table, printed) = self.resolve_table(name)?;
        let (written, aliased) = match alias {
            Some(a) => (fold(&a.name), true),
            None => (relname.clone(), false),
        };
        // column aliases rename the table's first columns; `pg_get_expr` prints the
        // whole column list
        let (cols, printed_cols, columns) = match alias {
            Some(a) if !a.columns.is_empty() => {
                if table.columns.is_empty() {
                    return Err(Undecidable::ColumnOfUnknownTable {
                        column: fold(&a.columns[0].name),
                        table: relname.clone(),
                    });
                }
                let mut cols: Columns = Vec::with_capacity(table.columns.len());
                for c in &table.columns {
                    cols.push((c.name.clone(), Some(self.ty(&c.data_type)?)));
                }
                let (cols, printed, columns) =
                    with_column_aliases(cols, &column_aliases(a)?, &written)?;
                (Some(cols), printed, columns)
            }
            _ => (None, None, None),
        };
        let id = self.new_id();
        self.push_rte(Rte {
            id,
            written,
            visible: true,
            schema,
            relname: relname.clone(),
            aliased,
            table: Some(table),
            cols,
            printed_cols,
            cols_visible: true,
            join_vars: None,
        })?;
        Ok(From::Rel {
            name: printed,
            rte: id,
            base: relname,
            user_alias: aliased,
            alias: None,
            columns,
        })
    }

    /// A sub-select in FROM (`transformRangeSubselect`): it sees the FROM items to its
    /// left only when LATERAL. Without an alias it is accepted from PostgreSQL 16 on
    /// (named `unnamed_subquery`, not visible to qualified column references); column
    /// aliases are not modelled.
    fn add_derived(
        &mut self,
        lateral: bool,
        q: &sq::Query,
        alias: Option<&sq::TableAlias>,
    ) -> R<From> {
        let (written, aliases) = match alias {
            Some(a) => (Some(fold(&a.name)), column_aliases(a)?),
            None => match self
                .ctx
                .schema
                .database
                .as_ref()
                .map(|d| d.server_version_num)
            {
                Some(v) if v >= 160000 => (None, Vec::new()),
                Some(_) => {
                    return Err(Undecidable::mismatch(
                        "subquery in FROM must have an alias (before PostgreSQL 16)",
                    ))
                }
                None => {
                    return Err(Undecidable::NeedsServerVersion {
                        what: "a sub-select in FROM without an alias".into(),
                        since: 16,
                    })
                }
            },
        };
        let hidden = if lateral {
            Vec::new()
        } else {
            std::mem::take(self.levels.last_mut().unwrap())
        };
        let seen: Vec<bool> = self
            .recursive_terms
            .iter()
            .map(|t| t.rte.is_some())
            .collect();
        self.collecting += 1;
        let r = self.query(q);
        self.collecting -= 1;
        if !lateral {
            *self.levels.last_mut().unwrap() = hidden;
        }
        let (query, tys) = r?;
        let cols: Columns = query.names.iter().cloned().zip(tys).collect();
        let (cols, printed, columns) =
            with_column_aliases(cols, &aliases, written.as_deref().unwrap_or_default())?;
        let id = self.new_id();
        self.push_rte(Rte {
            id,
            visible: written.is_some(),
            written: written.unwrap_or_else(|| "unnamed_subquery".to_string()),
            schema: String::new(),
            relname: String::new(),
            aliased: true,
            table: None,
            cols: Some(cols),
            printed_cols: printed,
            cols_visible: true,
            join_vars: None,
        })?;
        // a self-reference of a recursive term inside this sub-select is, for the joins
        // of this level, this entry
        for (t, seen) in self.recursive_terms.iter_mut().zip(seen) {
            if !seen && t.rte.is_some() {
                t.rte = Some(id);
            }
        }
        Ok(From::Subquery {
            lateral,
            query: Box::new(query),
            rte: id,
            alias: String::new(),
            columns,
        })
    }

    /// A reference to the CTE `self.ctes[k]`.
    fn add_cte_ref(&mut self, k: usize, alias: Option<&sq::TableAlias>) -> R<From> {
        let (name, cols) = self.ctes[k].clone();
        let term = self.recursive_terms.iter().position(|t| t.slot == k);
        if let Some(t) = term {
            let t = &self.recursive_terms[t];
            if t.sublinks != self.sublinks {
                return Err(Undecidable::mismatch(format!(
                    "recursive reference to query {name:?} must not appear within a subquery"
                )));
            }
            if t.cte_bodies != self.cte_bodies {
                return Err(Undecidable::not_modelled(
                    "a recursive reference from a CTE inside the recursive term",
                ));
            }
            if t.rte.is_some() {
                return Err(Undecidable::mismatch(format!(
                    "recursive reference to query {name:?} must not appear more than once"
                )));
            }
        }
        let Some(cols) = cols else {
            return Err(Undecidable::not_modelled(
                "a reference to a CTE of WITH RECURSIVE outside its recursive term",
            ));
        };
        let (written, aliased, aliases) = match alias {
            Some(a) => {
                let aliases = column_aliases(a)?;
                (fold(&a.name), true, aliases)
            }
            None => (name.clone(), false, Vec::new()),
        };
        let (cols, printed, columns) = with_column_aliases(cols, &aliases, &written)?;
        let id = self.new_id();
        self.push_rte(Rte {
            id,
            written,
            visible: true,
            schema: String::new(),
            relname: name.clone(),
            aliased,
            table: None,
            cols: Some(cols),
            printed_cols: printed,
            cols_visible: true,
            join_vars: None,
        })?;
        if let Some(t) = term {
            self.recursive_terms[t].rte = Some(id);
        }
        Ok(From::Rel {
            name: quote::ident(&name),
            rte: id,
            base: name,
            user_alias: aliased,
            alias: None,
            columns,
        })
    }
}

fn column_aliases(a: &sq::TableAlias) -> R<Vec<String>> {
    if a.columns.iter().any(|c| c.data_type.is_some()) {
        return Err(Undecidable::not_modelled("typed column aliases"));
    }
    Ok(a.columns.iter().map(|c| fold(&c.name)).collect())
}

/// The columns of an entry as referenced, the names `pg_get_expr` prints for them where
/// they differ, and the column alias list it prints.
type AliasedColumns = (Columns, Option<Vec<String>>, Option<Vec<String>>);

/// The columns of a sub-select in FROM or a CTE reference under its written column
/// aliases (`set_relation_column_names`): the column alias list is printed when aliases
/// were written or a name was made unique.
fn with_column_aliases(mut cols: Columns, aliases: &[String], table: &str) -> R<AliasedColumns> {
    if aliases.len() > cols.len() {
        return Err(Undecidable::mismatch(format!(
            "table {table:?} has {} columns available but {} columns specified",
            cols.len(),
            aliases.len()
        )));
    }
    for (c, a) in cols.iter_mut().zip(aliases) {
        c.0.clone_from(a);
    }
    let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
    let (printed, changed) = unique_columns(&names);
    let columns = (!aliases.is_empty() || changed).then(|| printed.clone());
    Ok((cols, changed.then_some(printed), columns))
}

/// `make_colname_unique` over the columns of a sub-select in FROM or a CTE reference: a
/// name already used by an earlier column of the entry gets `_1`, `_2`, ... (shortened to
/// stay under `NAMEDATALEN`); whether any name changed (`pg_get_expr` then prints the
/// entry's column alias list).
fn unique_columns(names: &[String]) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    let mut seen: std::collections::HashSet<String> =
        std::collections::HashSet::with_capacity(names.len());
    let mut changed = false;
    for n in names {
        let mut name = n.clone();
        if seen.contains(&name) {
            let mut i = 0;
            name = loop {
                i += 1;
                let cand = crate::expr::canon::print::suffixed(n, i);
                if !seen.contains(&cand) {
                    break cand;
                }
            };
            changed = true;
        }
        seen.insert(name.clone());
        out.push(name);
    }
    (out, changed)
}
