//! Projection expressions: parsing (no two paths may overlap) and applying them to an item.

use super::*;

/// Parses a ProjectionExpression; refuses overlapping paths as DynamoDB does.
pub fn parse_projection(s: &str, names: &mut Names) -> Result<Vec<Path>, ExprError> {
    const KIND: &str = "ProjectionExpression";
    check_text(s, KIND)?;
    let mut c = Cursor::new(s, KIND);
    let mut paths: Vec<Path> = Vec::new();
    loop {
        c.skip_ws();
        let p = c.path(names)?;
        for other in &paths {
            if let Some(kind) = clash(other, &p) {
                let check = match kind {
                    Clash::Overlap => Check::Overlap,
                    Clash::Conflict => Check::Conflict,
                };
                c.deferred.note(check, || clash_message(kind, other, &p));
            }
        }
        paths.push(p);
        c.skip_ws();
        match c.peek() {
            Some(b',') => c.i += 1,
            None => break,
            _ => return Err(c.error()),
        }
    }
    c.finish(PATH_ORDER)?;
    Ok(paths)
}

/// What a projection selects, as a tree: a node either takes its whole value or descends.
#[derive(Debug, Default)]
struct Select {
    whole: bool,
    children: BTreeMap<Step, Select>,
}

impl Select {
    /// The part of `v` this node selects; `None` when nothing selected exists.
    fn apply(&self, v: &AttrValue) -> Option<AttrValue> {
        if self.whole {
            return Some(v.clone());
        }
        match v {
            AttrValue::M(m) => {
                let out: BTreeMap<String, AttrValue> = self
                    .children
                    .iter()
                    .filter_map(|(step, sel)| match step {
                        Step::Attr(k) => Some((k.clone(), sel.apply(m.get(k)?)?)),
                        Step::Index(_) => None,
                    })
                    .collect();
                (!out.is_empty()).then_some(AttrValue::M(out))
            }
            AttrValue::L(l) => {
                // Indexes ascend (Step's order), so the selected elements keep the list's order.
                let out: Vec<AttrValue> = self
                    .children
                    .iter()
                    .filter_map(|(step, sel)| match step {
                        Step::Index(i) => sel.apply(l.get(*i)?),
                        Step::Attr(_) => None,
                    })
                    .collect();
                (!out.is_empty()).then_some(AttrValue::L(out))
            }
            _ => None,
        }
    }
}

/// The item reduced to `paths` (from [`parse_projection`], so no two overlap): nested structure
/// is kept, and selected list elements keep their order but not their indexes, as DynamoDB
/// returns them.
pub fn projection(item: &Item, paths: &[Path]) -> Item {
    let mut root = Select::default();
    for p in paths {
        let mut node = &mut root;
        for step in &p.0 {
            node = node.children.entry(step.clone()).or_default();
        }
        node.whole = true;
    }
    root.children
        .iter()
        .filter_map(|(step, sel)| match step {
            Step::Attr(name) => Some((name.clone(), sel.apply(item.get(name)?)?)),
            Step::Index(_) => None,
        })
        .collect()
}
