//! [`MergingIterator`]: one ordered stream over several [`InternalIterator`]s.
//!
//! Like LevelDB's, it finds the smallest (or, going backwards, the largest) child by a linear scan:
//! a database has tens of sources at most, where a heap does not pay. It supports changing
//! direction: before stepping the other way, every child is re-positioned around the current key.

use super::InternalIterator;
use crate::error::Result;
use crate::key;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
}

/// Merges children into one stream ordered by internal key.
pub struct MergingIterator {
    children: Vec<Box<dyn InternalIterator>>,
    current: Option<usize>,
    direction: Direction,
}

impl MergingIterator {
    /// A merge of `children` (each independently positioned; call a seek first).
    pub fn new(children: Vec<Box<dyn InternalIterator>>) -> Self {
        MergingIterator { children, current: None, direction: Direction::Forward }
    }

    fn cmp_children(&self, a: usize, b: usize) -> Ordering {
        match (self.children.get(a), self.children.get(b)) {
            (Some(x), Some(y)) => {
                key::compare(x.user_key(), x.trailer(), y.user_key(), y.trailer())
            }
            _ => Ordering::Equal,
        }
    }

    fn find_smallest(&mut self) {
        let mut best: Option<usize> = None;
        for i in 0..self.children.len() {
            if !self.children.get(i).is_some_and(|c| c.valid()) {
                continue;
            }
            best = match best {
                Some(b) if self.cmp_children(i, b) != Ordering::Less => Some(b),
                _ => Some(i),
            };
        }
        self.current = best;
    }

    fn find_largest(&mut self) {
        let mut best: Option<usize> = None;
        for i in (0..self.children.len()).rev() {
            if !self.children.get(i).is_some_and(|c| c.valid()) {
                continue;
            }
            best = match best {
                Some(b) if self.cmp_children(i, b) != Ordering::Greater => Some(b),
                _ => Some(i),
            };
        }
        self.current = best;
    }

    fn current_key(&self) -> Option<(Vec<u8>, u64)> {
        let c = self.children.get(self.current?)?;
        Some((c.user_key().to_vec(), c.trailer()))
    }
}

impl InternalIterator for MergingIterator {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek_to_first(&mut self) {
        for c in &mut self.children {
            c.seek_to_first();
        }
        self.direction = Direction::Forward;
        self.find_smallest();
    }

    fn seek_to_last(&mut self) {
        for c in &mut self.children {
            c.seek_to_last();
        }
        self.direction = Direction::Reverse;
        self.find_largest();
    }

    fn seek(&mut self, user_key: &[u8], trailer: u64) {
        for c in &mut self.children {
            c.seek(user_key, trailer);
        }
        self.direction = Direction::Forward;
        self.find_smallest();
    }

    fn seek_lt(&mut self, user_key: &[u8], trailer: u64) {
        for c in &mut self.children {
            c.seek_lt(user_key, trailer);
        }
        self.direction = Direction::Reverse;
        self.find_largest();
    }

    fn next(&mut self) {
        let Some(cur) = self.current else { return };
        if self.direction != Direction::Forward {
            // Every other child must move to its first entry after the current key.
            if let Some((k, t)) = self.current_key() {
                for (i, c) in self.children.iter_mut().enumerate() {
                    if i == cur {
                        continue;
                    }
                    c.seek(&k, t);
                    if c.valid()
                        && key::compare(c.user_key(), c.trailer(), &k, t) == Ordering::Equal
                    {
                        c.next();
                    }
                }
            }
            self.direction = Direction::Forward;
        }
        if let Some(c) = self.children.get_mut(cur) {
            c.next();
        }
        self.find_smallest();
    }

    fn prev(&mut self) {
        let Some(cur) = self.current else { return };
        if self.direction != Direction::Reverse {
            if let Some((k, t)) = self.current_key() {
                for (i, c) in self.children.iter_mut().enumerate() {
                    if i != cur {
                        c.seek_lt(&k, t);
                    }
                }
            }
            self.direction = Direction::Reverse;
        }
        if let Some(c) = self.children.get_mut(cur) {
            c.prev();
        }
        self.find_largest();
    }

    fn user_key(&self) -> &[u8] {
        self.current.and_then(|i| self.children.get(i)).map_or(&[], |c| c.user_key())
    }

    fn trailer(&self) -> u64 {
        self.current.and_then(|i| self.children.get(i)).map_or(0, |c| c.trailer())
    }

    fn value(&self) -> &[u8] {
        self.current.and_then(|i| self.children.get(i)).map_or(&[], |c| c.value())
    }

    fn status(&self) -> Result<()> {
        for c in &self.children {
            c.status()?;
        }
        Ok(())
    }
}
