//! [`Publisher`]: makes the writes of commit groups visible to readers in sequence order, each
//! group all at once, only when every memtable insert of the group is done.
//!
//! The group-commit leader assigns a group its sequence numbers and writes it to the WAL, then
//! registers it here ([`Publisher::register`], under the commit lock, so tickets follow sequence
//! order) with the number of writers that will insert a batch of it. Each of those writers
//! inserts its own batch into the memtables, in parallel with the others and with the next
//! group's WAL write, then calls [`Publisher::finish`]. When the oldest unpublished group has no
//! insert left, it is published: the visible sequence moves to its last sequence number, and so
//! on for every following group already complete. So:
//!
//! * a reader (who reads at the visible sequence) never sees part of a group: the visible
//!   sequence only ever lands on a group's last sequence number, after all its inserts;
//! * nor a later group before an earlier one: groups are published in ticket order;
//! * a writer returns only once its own group is published ([`Publisher::wait`]), so it reads its
//!   own write.
//!
//! The loom test at the bottom checks these orders over every interleaving of two groups.
//!
//! Lock order: `Core::commit` → `Publisher::state` (register runs under the commit lock; finish
//! and wait take only this lock).

use crate::key::SequenceNumber;
use crate::sync::{yield_now, AtomicU64, Condvar, Mutex, Ordering};
use std::collections::VecDeque;

/// A group's place in the publication order.
pub(crate) type Ticket = u64;

#[derive(Debug)]
struct Group {
    last_seq: SequenceNumber,
    /// Inserts of the group not finished yet.
    inserts_left: usize,
}

#[derive(Debug, Default)]
struct State {
    /// Ticket of `groups[0]`: every lower ticket is published.
    base: Ticket,
    /// Registered, unpublished groups, in ticket order.
    groups: VecDeque<Group>,
    /// Threads blocked in `wait` or `wait_all`.
    waiting: usize,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Publisher {
    state: Mutex<State>,
    published: Condvar,
    /// The last sequence number of the newest published group: what readers see.
    visible: AtomicU64,
    /// Groups published so far (`State::base`, readable without the lock).
    published_groups: AtomicU64,
}

/// Times [`Publisher::wait`] yields the CPU, checking between yields, before it sleeps on the
/// condition variable: most waits are for the group's other inserts, running on another core or
/// next in line for this one. (Measured: fillrandom with 4 threads, `docs/benchmarks.md`.)
#[cfg(not(loom))]
const WAIT_YIELDS: usize = 16;
/// Under loom, one check and one yield: the fast path is explored, the state space stays small.
#[cfg(loom)]
const WAIT_YIELDS: usize = 1;

impl Publisher {
    /// A publisher whose visible sequence starts at `last_seq` (everything recovered).
    pub(crate) fn new(last_seq: SequenceNumber) -> Self {
        Publisher {
            state: Mutex::new(State::default()),
            published: Condvar::new(),
            visible: AtomicU64::new(last_seq),
            published_groups: AtomicU64::new(0),
        }
    }

    /// The last sequence number readers may see.
    pub(crate) fn visible(&self) -> SequenceNumber {
        self.visible.load(Ordering::Acquire)
    }

    /// Registers the next group, whose last sequence number is `last_seq` (not below any earlier
    /// group's) and which `inserts` writers will insert. A group with no insert is published as
    /// soon as the groups before it are.
    pub(crate) fn register(&self, last_seq: SequenceNumber, inserts: usize) -> Ticket {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        debug_assert!(s.groups.back().is_none_or(|g| g.last_seq <= last_seq));
        debug_assert!(last_seq >= self.visible.load(Ordering::Relaxed));
        let ticket = s.base + s.groups.len() as u64;
        s.groups.push_back(Group { last_seq, inserts_left: inserts });
        if inserts == 0 {
            self.publish_ready(&mut s);
        }
        ticket
    }

    /// One writer of group `ticket` finished its inserts.
    pub(crate) fn finish(&self, ticket: Ticket) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let i = ticket.checked_sub(s.base).and_then(|i| usize::try_from(i).ok());
        if let Some(g) = i.and_then(|i| s.groups.get_mut(i)) {
            debug_assert!(g.inserts_left > 0, "more finishes than inserts for group {ticket}");
            g.inserts_left = g.inserts_left.saturating_sub(1);
            if i == Some(0) && g.inserts_left == 0 {
                self.publish_ready(&mut s);
            }
        } else {
            debug_assert!(false, "finish of unknown group {ticket}");
        }
    }

    /// Publishes every complete group at the front, in order; wakes waiters if any moved.
    fn publish_ready(&self, s: &mut State) {
        let mut moved = false;
        while let Some(g) = s.groups.front().filter(|g| g.inserts_left == 0) {
            self.visible.store(g.last_seq, Ordering::Release);
            s.groups.pop_front();
            s.base += 1;
            moved = true;
        }
        // After `visible`: whoever sees the count sees the sequence too.
        self.published_groups.store(s.base, Ordering::Release);
        if moved && s.waiting > 0 {
            self.published.notify_all();
        }
    }

    /// Blocks until group `ticket` is published.
    pub(crate) fn wait(&self, ticket: Ticket) {
        for _ in 0..WAIT_YIELDS {
            if self.published_groups.load(Ordering::Acquire) > ticket {
                return;
            }
            yield_now();
        }
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while s.base <= ticket {
            s.waiting += 1;
            s = self.published.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting -= 1;
        }
    }

    /// Blocks until every registered group is published (no insert in flight): before a memtable
    /// switch, so that no insert lands in a memtable that has become immutable.
    pub(crate) fn wait_all(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !s.groups.is_empty() {
            s.waiting += 1;
            s = self.published.wait(s).unwrap_or_else(|e| e.into_inner());
            s.waiting -= 1;
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn groups_publish_in_order_once_complete() {
        let p = Publisher::new(10);
        let a = p.register(12, 2);
        let b = p.register(15, 1);
        let c = p.register(15, 0); // empty batches only
        assert_eq!(p.visible(), 10);
        p.finish(b);
        assert_eq!(p.visible(), 10, "b waits for a");
        p.finish(a);
        assert_eq!(p.visible(), 10, "a has an insert left");
        p.finish(a);
        assert_eq!(p.visible(), 15, "a, b and c publish together");
        p.wait(c);
        p.wait_all();
        let d = p.register(16, 0);
        assert_eq!(p.visible(), 16);
        p.wait(d);
    }

    #[test]
    fn waiters_wake_when_their_group_publishes() {
        let p = std::sync::Arc::new(Publisher::new(0));
        let t = p.register(5, 1);
        let waiter = {
            let p = std::sync::Arc::clone(&p);
            std::thread::spawn(move || {
                p.wait(t);
                p.visible()
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        p.finish(t);
        assert_eq!(waiter.join().unwrap(), 5);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p shale-engine --lib loom`.
    use super::*;
    use loom::sync::atomic::AtomicBool;
    use loom::sync::Arc;

    /// Group 1 is sequences 1..=2 (two writers), group 2 is sequence 3 (one writer); each
    /// writer inserts (sets its flags) on its own thread while a reader watches the visible
    /// sequence. Whatever the interleaving: the reader never sees a sequence whose entry, or any
    /// earlier entry, is missing; it only ever sees 0, 2 or 3; and each writer, once its wait
    /// returns, sees its own entries visible.
    #[test]
    fn a_group_becomes_visible_whole_and_in_order() {
        crate::sync::loom_model(|| {
            let p = Arc::new(Publisher::new(0));
            let inserted: Arc<[AtomicBool; 4]> = Arc::new(Default::default());
            let g1 = p.register(2, 2);
            let g2 = p.register(3, 1);
            let writer = |ticket: Ticket, seq: usize| {
                let (p, inserted) = (Arc::clone(&p), Arc::clone(&inserted));
                loom::thread::spawn(move || {
                    inserted[seq].store(true, Ordering::Relaxed);
                    p.finish(ticket);
                    p.wait(ticket);
                    assert!(p.visible() as usize >= seq);
                })
            };
            let ws = [writer(g1, 1), writer(g1, 2), writer(g2, 3)];
            let seen = p.visible() as usize;
            assert!([0, 2, 3].contains(&seen), "visible {seen}: not a group boundary");
            for s in 1..=seen {
                assert!(inserted[s].load(Ordering::Relaxed), "{s} visible before its insert");
            }
            for w in ws {
                w.join().unwrap();
            }
            assert_eq!(p.visible(), 3);
        });
    }
}
