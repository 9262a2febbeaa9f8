//! The range table: column references resolved against the policy's table and the
//! tables of sub-selects (`transformColumnRef`), FROM items and joins.

use super::*;

pub(super) enum PFrom<'q> {
    Rel(From),
    Join(
        &'static str,
        Box<PFrom<'q>>,
        Box<PFrom<'q>>,
        Option<&'q Expr>,
    ),
}

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

    /// A column of a range-table entry: its type (None when the entry's columns are not
    /// known), or None when the entry has no such column.
    fn rte_col(&self, rte: &Rte, col: &str) -> R<Option<Option<Ty>>> {
        match &rte.cols {
            Some(cols) => {
                let mut found = cols.iter().filter(|(n, _)| n == col);
                match (found.next(), found.next()) {
                    (Some((_, ty)), None) => Ok(Some(ty.clone())),
                    (None, _) => Ok(None),
                    (Some(_), Some(_)) => Err(Undecidable::AmbiguousColumn {
                        column: col.to_string(),
                    }),
                }
            }
            None => self.col_type(rte.table, col),
        }
    }

    pub(super) fn column(&self, parts: &[String]) -> R<Node> {
        let nlev = self.levels.len();
        match parts {
            [c] => {
                for li in (0..nlev).rev() {
                    let mut found: Option<Node> = None;
                    for rte in &self.levels[li] {
                        let unknown = rte.table.is_none() && rte.cols.is_none();
                        if unknown && li > 0 {
                            return Err(Undecidable::ColumnOfUnknownTable {
                                column: c.clone(),
                                table: rte.relname.clone(),
                            });
                        }
                        if let Some(ty) = self.rte_col(rte, c)? {
                            if unknown && found.is_some() {
                                continue;
                            }
                            if found.is_some() {
                                return Err(Undecidable::AmbiguousColumn { column: c.clone() });
                            }
                            found = Some(Node::Var {
                                refname: rte.written.clone(),
                                rte: rte.id,
                                col: c.clone(),
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
                                Some(ty) => Ok(Node::Var {
                                    refname: rte.written.clone(),
                                    rte: rte.id,
                                    col: c.clone(),
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
                JoinConstraint::On(e) if kind != " CROSS JOIN " => Some(e),
                JoinConstraint::None if kind == " CROSS JOIN " => None,
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
            PFrom::Join(kind, l, r, on) => {
                let l = self.finish_from(*l)?;
                let r = self.finish_from(*r)?;
                let on = match on {
                    Some(e) => {
                        let n = self.expr(e)?;
                        Some(self.to_bool(n)?)
                    }
                    None => None,
                };
                Ok(From::Join {
                    kind,
                    l: Box::new(l),
                    r: Box::new(r),
                    on,
                })
            }
        }
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
            Some(a) => {
                if !a.columns.is_empty() {
                    return Err(Undecidable::are_not_modelled("column aliases"));
                }
                (fold(&a.name), true)
            }
            None => (relname.clone(), false),
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
            cols: None,
        })?;
        Ok(From::Rel {
            name: printed,
            rte: id,
            base: relname,
            user_alias: aliased,
            alias: None,
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
        let written = match alias {
            Some(a) if !a.columns.is_empty() => {
                return Err(Undecidable::not_modelled(
                    "a sub-select in FROM with column aliases",
                ))
            }
            Some(a) => Some(fold(&a.name)),
            None => match self
                .ctx
                .schema
                .database
                .as_ref()
                .map(|d| d.server_version_num)
            {
                Some(v) if v >= 160000 => None,
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
        self.collecting += 1;
        let r = self.query(q);
        self.collecting -= 1;
        if !lateral {
            *self.levels.last_mut().unwrap() = hidden;
        }
        let (query, tys) = r?;
        let cols: Columns = query.names.iter().cloned().zip(tys).collect();
        unique_columns(&cols)?;
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
        })?;
        Ok(From::Subquery {
            lateral,
            query: Box::new(query),
            rte: id,
            alias: String::new(),
        })
    }

    /// A reference to the CTE `self.ctes[k]`.
    fn add_cte_ref(&mut self, k: usize, alias: Option<&sq::TableAlias>) -> R<From> {
        let (name, cols) = self.ctes[k].clone();
        let Some(cols) = cols else {
            return Err(Undecidable::not_modelled(
                "a reference to a CTE of WITH RECURSIVE outside its recursive term",
            ));
        };
        unique_columns(&cols)?;
        let (written, aliased) = match alias {
            Some(a) if !a.columns.is_empty() => {
                return Err(Undecidable::are_not_modelled("column aliases"))
            }
            Some(a) => (fold(&a.name), true),
            None => (name.clone(), false),
        };
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
        })?;
        Ok(From::Rel {
            name: quote::ident(&name),
            rte: id,
            base: name,
            user_alias: aliased,
            alias: None,
        })
    }
}

/// `pg_get_expr` gives the columns of a sub-select in FROM or a CTE unique names and then
/// prints a column alias list (`s(a, a_1)`), which is not modelled.
fn unique_columns(cols: &Columns) -> R<()> {
    let mut seen = std::collections::HashSet::with_capacity(cols.len());
    if cols.iter().all(|(n, _)| seen.insert(n.as_str())) {
        Ok(())
    } else {
        Err(Undecidable::not_modelled(
            "a sub-select in FROM or a CTE with two output columns of one name",
        ))
    }
}
