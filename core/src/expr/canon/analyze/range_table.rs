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

    pub(super) fn column(&self, parts: &[String]) -> R<Node> {
        let nlev = self.levels.len();
        match parts {
            [c] => {
                for li in (0..nlev).rev() {
                    let mut found: Option<Node> = None;
                    for rte in &self.levels[li] {
                        if rte.table.is_none() && li > 0 {
                            return Err(Undecidable::ColumnOfUnknownTable {
                                column: c.clone(),
                                table: rte.relname.clone(),
                            });
                        }
                        if let Some(ty) = self.col_type(rte.table, c)? {
                            if rte.table.is_none() && found.is_some() {
                                continue;
                            }
                            if found.is_some() {
                                return Err(Undecidable::AmbiguousColumn { column: c.clone() });
                            }
                            found = Some(Node::Var {
                                refname: rte.refname.clone(),
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
                    for rte in &self.levels[li] {
                        let m = match want_schema {
                            None => rte.written == *q,
                            Some(s) => !rte.aliased && rte.relname == *q && rte.schema == *s,
                        };
                        if m {
                            return match self.col_type(rte.table, c)? {
                                Some(ty) => Ok(Node::Var {
                                    refname: rte.refname.clone(),
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

    pub(super) fn unique_name(&self, base: &str) -> String {
        let used = |n: &str| self.levels.iter().any(|l| l.iter().any(|r| r.refname == n));
        if !used(base) {
            return base.to_string();
        }
        let mut i = 1;
        loop {
            let cand = format!("{base}_{i}");
            if !used(&cand) {
                return cand;
            }
            i += 1;
        }
    }

    pub(super) fn add_rel(&mut self, tf: &TableFactor) -> R<From> {
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
        let refname = self.unique_name(&written);
        let alias_out = if refname != relname {
            Some(refname.clone())
        } else {
            None
        };
        self.levels.last_mut().unwrap().push(Rte {
            written,
            refname,
            schema,
            relname,
            aliased,
            table: Some(table),
        });
        Ok(From::Rel {
            name: printed,
            alias: alias_out,
        })
    }
}
