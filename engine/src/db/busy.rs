//! Claims on keyspaces for background work: at most one flush and one compaction of a keyspace
//! run at a time (so its memtables flush in order and its compactions never pick overlapping
//! inputs), while different keyspaces proceed in parallel on a pool of threads.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};

/// The keyspaces some thread is working on.
#[derive(Debug, Default)]
pub(crate) struct Busy {
    set: Mutex<HashSet<u32>>,
    freed: Condvar,
}

/// A claim; released when dropped.
pub(crate) struct Claim<'a> {
    busy: &'a Busy,
    id: u32,
}

impl Busy {
    /// Claims `id` if free.
    pub(crate) fn try_claim(&self, id: u32) -> Option<Claim<'_>> {
        let mut set = self.set.lock().unwrap_or_else(|e| e.into_inner());
        // Not `then_some`: it would build (and drop, releasing the other holder's claim while
        // this lock is held) a claim even when the id is taken.
        if set.insert(id) {
            Some(Claim { busy: self, id })
        } else {
            None
        }
    }

    /// Claims `id`, waiting while another thread holds it.
    pub(crate) fn claim(&self, id: u32) -> Claim<'_> {
        let mut set = self.set.lock().unwrap_or_else(|e| e.into_inner());
        while !set.insert(id) {
            set = self.freed.wait(set).unwrap_or_else(|e| e.into_inner());
        }
        Claim { busy: self, id }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut set = self.busy.set.lock().unwrap_or_else(|e| e.into_inner());
        set.remove(&self.id);
        self.busy.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_claim_is_refused_without_releasing_it() {
        let busy = Busy::default();
        let first = busy.try_claim(7).unwrap();
        assert!(busy.try_claim(7).is_none());
        assert!(busy.try_claim(7).is_none(), "the refused attempt released nothing");
        assert!(busy.try_claim(8).is_some());
        drop(first);
        assert!(busy.try_claim(7).is_some());
    }
}
