//! Coercion: implicit casts, `select_common_type`, untyped literals taking the type they
//! are resolved to, explicit casts.

use super::*;

/// Implicit casts between the built-in types we model.
pub(super) fn can_implicit(from: &Ty, to: &Ty) -> bool {
    if from.same_base(to) {
        return true;
    }
    if from.array && to.array {
        return can_implicit(&from.elem().unwrap(), &to.elem().unwrap());
    }
    if let (Some(a), Some(b)) = (from.num_rank(), to.num_rank()) {
        return a < b;
    }
    if from.is_stringish() && to.is_stringish() {
        return true;
    }
    if from.is("date") && (to.is("timestamp") || to.is("timestamptz")) {
        return true;
    }
    if from.is("timestamp") && to.is("timestamptz") {
        return true;
    }
    false
}

/// `select_common_type`.
pub(super) fn common_type(tys: &[In]) -> R<Ty> {
    let mut first: Option<&Ty> = None;
    let mut all_same = true;
    for x in tys {
        match x {
            In::O => return Err(Undecidable::untyped("expression of unknown type in a list")),
            In::U => all_same = false,
            In::K(k) => match first {
                None => first = Some(k),
                Some(f) => {
                    if !f.same_base(k) {
                        all_same = false
                    }
                }
            },
        }
    }
    if let (true, Some(f)) = (all_same, first) {
        return Ok(f.without_mods());
    }
    let mut p: Option<&Ty> = None;
    for x in tys {
        if let In::K(n) = x {
            match p {
                None => p = Some(n),
                Some(pt) if pt.same_base(n) => {}
                Some(pt) => {
                    if pt.category() != n.category()
                        || pt.category() == Cat::User
                        || pt.category() == Cat::Other
                        || pt.category() == Cat::Array
                    {
                        return Err(Undecidable::mismatch(format!(
                            "no common type for {} and {}",
                            pt.name, n.name
                        )));
                    }
                    if !pt.preferred() && can_implicit(pt, n) && !can_implicit(n, pt) {
                        p = Some(n);
                    }
                }
            }
        }
    }
    Ok(p.map(|t| t.without_mods()).unwrap_or(TEXT))
}

impl<'a> Analyzer<'a> {
    pub(super) fn coerce_unknown(&self, n: Node, t: &Ty) -> R<Node> {
        match n {
            // coerce_type: the literal is coerced beneath the COLLATE, which a type
            // without collation drops (a user type may be a domain over text: not
            // modelled)
            Node::Collate { arg, name } => {
                if t.is_stringish() {
                    Ok(Node::Collate {
                        arg: Box::new(self.coerce_unknown(*arg, t)?),
                        name,
                    })
                } else if t.schema.is_none() {
                    self.coerce_unknown(*arg, t)
                } else {
                    Err(Undecidable::not_modelled(
                        "COLLATE on a literal of a user type",
                    ))
                }
            }
            Node::Const {
                text: Some(v),
                ty: None,
            } => {
                let f = |x: &Ty| self.user_kind(x);
                let out = lit::output(&v, t, &f, self.cat.session.as_ref())?;
                Ok(Node::Const {
                    text: Some(out),
                    ty: Some(t.clone()),
                })
            }
            Node::Const {
                text: None,
                ty: None,
            } => Ok(Node::Const {
                text: None,
                ty: Some(t.clone()),
            }),
            other => Ok(other),
        }
    }

    pub(super) fn apply(&self, n: Node, target: Option<Ty>) -> R<Node> {
        let Some(t) = target else { return Ok(n) };
        if n.is_unknown_lit() {
            return self.coerce_unknown(n, &t);
        }
        match n.ty() {
            Some(nt) if nt.same_base(&t) => Ok(n),
            // An implicit coercion of an ARRAY[] constructor prints as a cast of the
            // constructor (`(ARRAY['a'::character varying])::text[]`), which PostgreSQL
            // reads back as a cast of each element: the canonical form is that fixed point.
            Some(nt)
                if nt.array
                    && t.array
                    && can_implicit(nt, &t)
                    && matches!(n, Node::Array { .. }) =>
            {
                let Node::Array { elems, .. } = n else {
                    unreachable!()
                };
                self.cast_elements(elems, &t)
            }
            Some(nt) if !can_implicit(nt, &t) => Err(Undecidable::mismatch(format!(
                "no implicit cast from {} to {}",
                nt.name, t.name
            ))),
            // coerce_type pushes a coercion under a COLLATE (dropping it for a type that
            // has no collation)
            _ if matches!(n, Node::Collate { .. }) => match n {
                Node::Collate { arg, name } if t.is_stringish() => Ok(Node::Collate {
                    arg: Box::new(self.apply(*arg, Some(t))?),
                    name,
                }),
                _ => Err(Undecidable::not_modelled(
                    "a coercion of a COLLATE expression",
                )),
            },
            _ => Ok(Node::Cast {
                arg: Box::new(n),
                ty: t,
                implicit: true,
            }),
        }
    }

    /// `transformArrayExpr` with a target type: each element cast explicitly to the
    /// element type (a cast written on an ARRAY[] constructor, `ARRAY[...]::text[]`).
    pub(super) fn cast_elements(&self, elems: Vec<Node>, t: &Ty) -> R<Node> {
        let Some(et) = t.elem().filter(|e| e.mods.is_empty()) else {
            return Err(Undecidable::not_modelled("a cast of ARRAY[] to this type"));
        };
        let elems = elems
            .into_iter()
            .map(|e| {
                if matches!(e, Node::Array { .. }) {
                    return Err(Undecidable::not_modelled("multidimensional ARRAY[]"));
                }
                self.explicit_cast(e, et.clone())
            })
            .collect::<R<Vec<_>>>()?;
        Ok(Node::Array {
            elems,
            ty: t.clone(),
        })
    }

    pub(super) fn to_bool(&self, n: Node) -> R<Node> {
        if n.is_unknown_lit() {
            return self.coerce_unknown(n, &bool_ty());
        }
        match n.ty() {
            Some(t) if !is_bool(t) => Err(Undecidable::mismatch(format!(
                "argument must be boolean, not {}",
                t.name
            ))),
            _ => Ok(n),
        }
    }

    pub(super) fn explicit_cast(&self, n: Node, t: Ty) -> R<Node> {
        if n.is_unknown_lit() {
            if t.is("interval") && !t.mods.is_empty() {
                return Err(Undecidable::are_not_modelled("interval type modifiers"));
            }
            let base = t.without_mods();
            let c = self.coerce_unknown(n, &base)?;
            return Ok(if t.mods.is_empty() {
                c
            } else {
                Node::Cast {
                    arg: Box::new(c),
                    ty: t,
                    implicit: false,
                }
            });
        }
        if let Some(nt) = n.ty() {
            if *nt == t {
                return Ok(n);
            }
        }
        if matches!(n, Node::Collate { .. }) {
            return Err(Undecidable::not_modelled("a cast of a COLLATE expression"));
        }
        Ok(Node::Cast {
            arg: Box::new(n),
            ty: t,
            implicit: false,
        })
    }
}
