//! Applying an update expression to an item: resolving each action's slot, DynamoDB's
//! arithmetic, set union and difference, list append, and its error messages.

use super::*;

/// Where the parent of a path's last step is.
enum Container<'w> {
    Map(&'w mut BTreeMap<String, AttrValue>),
    List(&'w mut Vec<AttrValue>),
}

/// The map or list at `steps` (the item itself for no steps).
fn container<'w>(item: &'w mut Item, steps: &[Step]) -> Option<Container<'w>> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(Container::Map(item));
    };
    let Step::Attr(name) = first else { return None };
    let mut v = item.get_mut(name)?;
    for step in rest {
        v = match (step, v) {
            (Step::Attr(k), AttrValue::M(m)) => m.get_mut(k)?,
            (Step::Index(i), AttrValue::L(l)) => l.get_mut(*i)?,
            _ => return None,
        };
    }
    match v {
        AttrValue::M(m) => Some(Container::Map(m)),
        AttrValue::L(l) => Some(Container::List(l)),
        _ => None,
    }
}

/// Where a path lands: a key of a map or an index of a list (perhaps past its end).
enum Slot<'w> {
    Key(&'w mut BTreeMap<String, AttrValue>, &'w str),
    Elem(&'w mut Vec<AttrValue>, usize),
}

impl Slot<'_> {
    fn get_mut(&mut self) -> Option<&mut AttrValue> {
        match self {
            Slot::Key(m, k) => m.get_mut(*k),
            Slot::Elem(l, i) => l.get_mut(*i),
        }
    }
}

fn bad_path() -> ExprError {
    ExprError(BAD_PATH.to_string())
}

/// The slot `path` names in `item`; its parent must exist and be of the right kind.
fn slot<'w>(item: &'w mut Item, path: &'w Path) -> Result<Slot<'w>, ExprError> {
    let (last, parent) = path.0.split_last().ok_or_else(bad_path)?;
    match (container(item, parent), last) {
        (Some(Container::Map(m)), Step::Attr(k)) => Ok(Slot::Key(m, k)),
        (Some(Container::List(l)), Step::Index(i)) => Ok(Slot::Elem(l, *i)),
        _ => Err(bad_path()),
    }
}

/// A value to append to the list at `parent`, from an action at index `index`.
struct Append<'u> {
    parent: &'u [Step],
    index: usize,
    value: AttrValue,
}

impl Update {
    /// An update from already-checked actions (used for legacy AttributeUpdates).
    pub(crate) fn from_actions(actions: Vec<Action>, legacy: bool) -> Self {
        Update { actions, legacy }
    }

    /// The actions, in the order written.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Whether the update only takes away (REMOVE, and DELETE from a set): applied to a
    /// missing item, it leaves no item (DynamoDB creates none).
    pub fn only_removes(&self) -> bool {
        self.actions.iter().all(|a| matches!(a, Action::Remove(_) | Action::Delete(..)))
    }

    /// Every path the update writes or removes, in the order written (for the "cannot update
    /// key attribute" check and UPDATED_OLD/UPDATED_NEW).
    pub fn paths(&self) -> Vec<&Path> {
        self.actions.iter().map(Action::path).collect()
    }

    fn mismatch(&self) -> ExprError {
        ExprError(if self.legacy { LEGACY_MISMATCH } else { BAD_TYPE }.to_string())
    }

    /// Applies the update to `item` (an empty item when there was none) in DynamoDB's
    /// semantics (module docs). On an error (DynamoDB's runtime ValidationException message)
    /// `item` is left as it was.
    pub fn apply(&self, item: &mut Item) -> Result<(), ExprError> {
        let old: &Item = item;
        // 1. Every SET value, from the item before the update.
        let mut computed = Vec::with_capacity(self.actions.len());
        for a in &self.actions {
            computed.push(match a {
                Action::Set(_, v) => Some(eval_set(v, old)?),
                _ => None,
            });
        }
        for (a, v) in self.actions.iter().zip(&computed) {
            let placed = match (a, v) {
                (Action::Set(..), Some(v)) | (Action::Add(_, v), None) => v,
                _ => continue,
            };
            if a.path().0.len().saturating_sub(1) + depth(placed) > ATTRIBUTE_NESTING_MAX {
                return Err(ExprError("Nesting Levels have exceeded supported limits".into()));
            }
        }
        let mut work = old.clone();
        let mut appends: Vec<Append> = Vec::new();
        let mut removals: Vec<&Path> = Vec::new();
        // 2. SET, ADD and DELETE in order.
        for (action, value) in self.actions.iter().zip(computed) {
            let path = action.path();
            let mut at = slot(&mut work, path)?;
            match (action, value) {
                (Action::Set(..), Some(v)) => match &mut at {
                    Slot::Key(m, k) => {
                        m.insert(k.to_string(), v);
                    }
                    Slot::Elem(l, i) => match l.get_mut(*i) {
                        Some(e) => *e = v,
                        None => appends.push(append(path, *i, v)),
                    },
                },
                (Action::Add(_, v), _) => {
                    if let Some(e) = at.get_mut() {
                        *e = self.add(e, v)?;
                    } else {
                        match at {
                            Slot::Key(m, k) => {
                                m.insert(k.to_string(), v.clone());
                            }
                            Slot::Elem(_, i) => appends.push(append(path, i, v.clone())),
                        }
                    }
                }
                (Action::Delete(_, v), _) => {
                    if let Some(e) = at.get_mut() {
                        match self.delete(e, v)? {
                            Some(rest) => *e = rest,
                            None => removals.push(path),
                        }
                    }
                }
                (Action::Remove(_), _) => removals.push(path),
                (Action::Set(..), None) => return Err(bad_path()),
            }
        }
        // Appends, each list's in index order.
        appends.sort_by(|a, b| (a.parent, a.index).cmp(&(b.parent, b.index)));
        for a in appends {
            match container(&mut work, a.parent) {
                Some(Container::List(l)) => l.push(a.value),
                _ => return Err(bad_path()),
            }
        }
        // 3. Removals, highest path first, list indexes as in the original item.
        removals.sort();
        for path in removals.into_iter().rev() {
            let Some((last, parent)) = path.0.split_last() else { continue };
            match (container(&mut work, parent), last) {
                (Some(Container::Map(m)), Step::Attr(k)) => {
                    m.remove(k);
                }
                (Some(Container::List(l)), Step::Index(i)) => {
                    let original = match Path(parent.to_vec()).get(old) {
                        Some(AttrValue::L(o)) => o.len(),
                        _ => l.len(),
                    };
                    if *i < original.min(l.len()) {
                        l.remove(*i);
                    }
                }
                _ => return Err(bad_path()),
            }
        }
        *item = work;
        Ok(())
    }

    /// ADD: `existing` plus `v`.
    fn add(&self, existing: &AttrValue, v: &AttrValue) -> Result<AttrValue, ExprError> {
        Ok(match (existing, v) {
            (AttrValue::N(a), AttrValue::N(b)) => {
                AttrValue::N(a.add(b).map_err(|e| ExprError(e.to_string()))?)
            }
            (AttrValue::Ss(a), AttrValue::Ss(b)) => AttrValue::Ss(union(a, b)),
            (AttrValue::Ns(a), AttrValue::Ns(b)) => AttrValue::Ns(union(a, b)),
            (AttrValue::Bs(a), AttrValue::Bs(b)) => AttrValue::Bs(union(a, b)),
            (AttrValue::L(a), AttrValue::L(b)) if self.legacy => {
                AttrValue::L(a.iter().chain(b).cloned().collect())
            }
            _ => return Err(self.mismatch()),
        })
    }

    /// DELETE: `existing` without the elements of `v`; `None` when nothing is left.
    fn delete(&self, existing: &AttrValue, v: &AttrValue) -> Result<Option<AttrValue>, ExprError> {
        let rest = match (existing, v) {
            (AttrValue::Ss(a), AttrValue::Ss(b)) => difference(a, b).map(AttrValue::Ss),
            (AttrValue::Ns(a), AttrValue::Ns(b)) => difference(a, b).map(AttrValue::Ns),
            (AttrValue::Bs(a), AttrValue::Bs(b)) => difference(a, b).map(AttrValue::Bs),
            _ => return Err(self.mismatch()),
        };
        Ok(rest)
    }
}

/// How many levels of maps and lists `v` holds below itself.
fn depth(v: &AttrValue) -> usize {
    match v {
        AttrValue::M(m) => m.values().map(|c| 1 + depth(c)).max().unwrap_or(0),
        AttrValue::L(l) => l.iter().map(|c| 1 + depth(c)).max().unwrap_or(0),
        _ => 0,
    }
}

fn append(path: &Path, index: usize, value: AttrValue) -> Append<'_> {
    let parent = path.0.split_last().map_or(&[][..], |(_, p)| p);
    Append { parent, index, value }
}

/// The union of two sets, in ascending order.
fn union<T: Ord + Clone>(a: &[T], b: &[T]) -> Vec<T> {
    let all: BTreeSet<&T> = a.iter().chain(b).collect();
    all.into_iter().cloned().collect()
}

/// `a` without the elements of `b`, in `a`'s order; `None` when nothing is left.
fn difference<T: Ord + Clone>(a: &[T], b: &[T]) -> Option<Vec<T>> {
    let gone: BTreeSet<&T> = b.iter().collect();
    let rest: Vec<T> = a.iter().filter(|x| !gone.contains(x)).cloned().collect();
    (!rest.is_empty()).then_some(rest)
}

/// A SET value, from the item before the update.
fn eval_set(v: &SetValue, item: &Item) -> Result<AttrValue, ExprError> {
    let number = |o: &UpdateOperand| match eval_operand(o, item)? {
        AttrValue::N(n) => Ok(n),
        _ => Err(ExprError(BAD_TYPE.to_string())),
    };
    let num_err = |e: crate::dynamodb::model::number::NumberError| ExprError(e.to_string());
    match v {
        SetValue::Operand(o) => eval_operand(o, item),
        SetValue::Plus(a, b) => {
            let a = number(a)?;
            Ok(AttrValue::N(a.add(&number(b)?).map_err(num_err)?))
        }
        SetValue::Minus(a, b) => {
            let a = number(a)?;
            Ok(AttrValue::N(a.sub(&number(b)?).map_err(num_err)?))
        }
    }
}

fn eval_operand(o: &UpdateOperand, item: &Item) -> Result<AttrValue, ExprError> {
    match o {
        UpdateOperand::Path(p) => {
            p.get(item).cloned().ok_or_else(|| ExprError(NO_ATTRIBUTE.to_string()))
        }
        UpdateOperand::Value(v) => Ok(v.clone()),
        UpdateOperand::IfNotExists(p, alt) => match p.get(item) {
            Some(v) => Ok(v.clone()),
            None => eval_operand(alt, item),
        },
        UpdateOperand::ListAppend(a, b) => {
            let AttrValue::L(mut x) = eval_operand(a, item)? else {
                return Err(ExprError(BAD_TYPE.to_string()));
            };
            let AttrValue::L(y) = eval_operand(b, item)? else {
                return Err(ExprError(BAD_TYPE.to_string()));
            };
            x.extend(y);
            Ok(AttrValue::L(x))
        }
    }
}
