//! A lock-free concurrent skiplist of internal keys, the memtable's index.
//!
//! * Readers never block and never write shared memory.
//! * Writers insert concurrently without a lock: a new node is linked level by level, bottom up,
//!   each level with one compare-and-swap on its predecessor's next pointer; a failed CAS
//!   re-searches that level from the predecessor it already had.
//! * Nodes are never removed. Each is one allocation holding its header, its tower of next
//!   pointers (as tall as the node, not [`HEIGHT_MAX`]) and its key and value bytes. The whole list
//!   is freed at once when it is dropped (`&mut self`: no reader or writer can remain), by walking
//!   level 0, which links every node. That is why no epoch-based reclamation is needed.
//!
//! Node layout (one allocation, 8-byte aligned):
//!
//! ```text
//! +-----------+---------------------------------+----------+------------+
//! | NodeHead  | tower: [AtomicPtr<Node>; height] | key bytes | value bytes|
//! +-----------+---------------------------------+----------+------------+
//! ```
//!
//! Memory ordering: a node's fields and its next pointer at level `i` are written before the
//! release-CAS that links it at level `i`; readers load next pointers with acquire, so any node a
//! reader reaches is fully initialised. Levels are linked bottom up, so a node reachable at level
//! `i` is already linked at every level below `i`.

use crate::key;
use crate::sync::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::alloc::{self, Layout};
use std::cmp;
use std::mem;
use std::ptr::{self, NonNull};

/// Tallest tower. With branching 4, enough for ~4^12 = 16M entries per memtable at full speed.
pub const HEIGHT_MAX: usize = 12;
/// One node in `BRANCHING` at level `i` also appears at level `i + 1`.
const BRANCHING: u64 = 4;

#[repr(C)]
struct NodeHead {
    trailer: u64,
    key_len: u32,
    value_len: u32,
    height: u32,
}

/// Opaque node type; only ever handled through pointers.
#[repr(C)]
pub(crate) struct Node {
    head: NodeHead,
}

const PTR_SIZE: usize = mem::size_of::<AtomicPtr<Node>>();
const NODE_ALIGN: usize = if mem::align_of::<NodeHead>() > mem::align_of::<AtomicPtr<Node>>() {
    mem::align_of::<NodeHead>()
} else {
    mem::align_of::<AtomicPtr<Node>>()
};
/// Offset of the tower: the head rounded up to the pointer alignment.
const TOWER_OFFSET: usize = mem::size_of::<NodeHead>().next_multiple_of(NODE_ALIGN);
const _: () = assert!(TOWER_OFFSET >= mem::size_of::<NodeHead>());
const _: () = assert!(TOWER_OFFSET.is_multiple_of(mem::align_of::<AtomicPtr<Node>>()));
const _: () = assert!(HEIGHT_MAX <= u8::MAX as usize);

fn node_layout(height: usize, key_len: usize, value_len: usize) -> Option<Layout> {
    let size = TOWER_OFFSET
        .checked_add(height.checked_mul(PTR_SIZE)?)?
        .checked_add(key_len)?
        .checked_add(value_len)?;
    Layout::from_size_align(size, NODE_ALIGN).ok()
}

impl Node {
    /// Allocates and initialises a node whose tower pointers are all null.
    ///
    /// Aborts (through `handle_alloc_error`) when memory is exhausted, like `Box::new`.
    fn alloc(height: usize, user_key: &[u8], trailer: u64, value: &[u8]) -> (NonNull<Node>, usize) {
        // The database bounds keys and values far below 4 GiB before they reach the memtable;
        // a length that does not fit the head is treated like an impossible allocation.
        let (Ok(key_len), Ok(value_len), Ok(height32)) =
            (u32::try_from(user_key.len()), u32::try_from(value.len()), u32::try_from(height))
        else {
            alloc::handle_alloc_error(Layout::new::<NodeHead>())
        };
        let Some(layout) = node_layout(height, user_key.len(), value.len()) else {
            alloc::handle_alloc_error(Layout::new::<NodeHead>())
        };
        // SAFETY: the layout has non-zero size (it contains at least the head).
        let raw = unsafe { alloc::alloc(layout) };
        let Some(node) = NonNull::new(raw.cast::<Node>()) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `raw` points to `layout.size()` writable bytes aligned to NODE_ALIGN; we write the
        // head at offset 0, `height` pointer slots at TOWER_OFFSET, then the key and value bytes,
        // all inside the allocation as computed by `node_layout`.
        unsafe {
            ptr::write(
                raw.cast::<NodeHead>(),
                NodeHead { trailer, key_len, value_len, height: height32 },
            );
            let tower = raw.add(TOWER_OFFSET).cast::<AtomicPtr<Node>>();
            for i in 0..height {
                ptr::write(tower.add(i), AtomicPtr::new(ptr::null_mut()));
            }
            let data = raw.add(TOWER_OFFSET + height * PTR_SIZE);
            ptr::copy_nonoverlapping(user_key.as_ptr(), data, user_key.len());
            ptr::copy_nonoverlapping(value.as_ptr(), data.add(user_key.len()), value.len());
        }
        (node, layout.size())
    }

    /// Frees a node made by [`Node::alloc`].
    ///
    /// # Safety
    /// `node` came from `Node::alloc`, is freed once, and no reference to it remains.
    unsafe fn free(node: NonNull<Node>) {
        // SAFETY: the caller guarantees the node is live and exclusively ours.
        unsafe {
            let h = &(*node.as_ptr()).head;
            let (height, key_len, value_len) =
                (h.height as usize, h.key_len as usize, h.value_len as usize);
            let tower = node.as_ptr().cast::<u8>().add(TOWER_OFFSET).cast::<AtomicPtr<Node>>();
            for i in 0..height {
                ptr::drop_in_place(tower.add(i));
            }
            if let Some(layout) = node_layout(height, key_len, value_len) {
                alloc::dealloc(node.as_ptr().cast::<u8>(), layout);
            }
        }
    }

    #[inline]
    fn height(&self) -> usize {
        self.head.height as usize
    }

    #[inline]
    fn trailer(&self) -> u64 {
        self.head.trailer
    }

    /// The tower slot for `level`.
    ///
    /// # Safety
    /// `level < self.height()`, and `self` lives inside an allocation made by `Node::alloc`.
    #[inline]
    unsafe fn slot(&self, level: usize) -> &AtomicPtr<Node> {
        debug_assert!(level < self.height());
        // SAFETY: the tower starts at TOWER_OFFSET and holds `height` initialised slots.
        unsafe {
            &*(self as *const Node)
                .cast::<u8>()
                .add(TOWER_OFFSET)
                .cast::<AtomicPtr<Node>>()
                .add(level)
        }
    }

    #[inline]
    fn next(&self, level: usize) -> *mut Node {
        if level >= self.height() {
            return ptr::null_mut();
        }
        // SAFETY: level < height checked above.
        unsafe { self.slot(level) }.load(Ordering::Acquire)
    }

    #[inline]
    fn data(&self) -> *const u8 {
        // SAFETY: key and value bytes follow the tower inside the node's allocation.
        unsafe { (self as *const Node).cast::<u8>().add(TOWER_OFFSET + self.height() * PTR_SIZE) }
    }

    /// The node's user key.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        // SAFETY: `key_len` initialised bytes start at `data()`, and live as long as the node.
        unsafe { std::slice::from_raw_parts(self.data(), self.head.key_len as usize) }
    }

    /// The node's value.
    #[inline]
    pub(crate) fn value(&self) -> &[u8] {
        // SAFETY: `value_len` initialised bytes follow the key, and live as long as the node.
        unsafe {
            std::slice::from_raw_parts(
                self.data().add(self.head.key_len as usize),
                self.head.value_len as usize,
            )
        }
    }
}

/// The concurrent skiplist.
pub struct SkipList {
    head: NonNull<Node>,
    height: AtomicUsize,
    len: AtomicUsize,
    bytes: AtomicUsize,
    rng: AtomicU64,
}

// SAFETY: nodes are immutable after publication except for their atomic next pointers; all shared
// mutation goes through atomics, and nodes are freed only in `Drop` (exclusive access).
unsafe impl Send for SkipList {}
// SAFETY: as above: `&SkipList` only allows atomic operations and reads of published nodes.
unsafe impl Sync for SkipList {}

/// A position in a [`SkipList`]: null (invalid) or a node. Carries no lifetime; users keep the
/// list alive for as long as they hold positions into it (the memtable iterator holds an `Arc`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position(*const Node);

impl Position {
    /// An invalid position.
    pub(crate) fn null() -> Self {
        Position(ptr::null())
    }

    /// True when this points at an entry.
    pub(crate) fn is_valid(&self) -> bool {
        !self.0.is_null()
    }
}

impl SkipList {
    /// An empty list; `seed` drives tower heights.
    pub fn new(seed: u64) -> Self {
        let (head, size) = Node::alloc(HEIGHT_MAX, &[], 0, &[]);
        SkipList {
            head,
            height: AtomicUsize::new(1),
            len: AtomicUsize::new(0),
            bytes: AtomicUsize::new(size),
            rng: AtomicU64::new(seed),
        }
    }

    /// Entries inserted.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// True when nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes allocated for nodes (head, towers, keys, values).
    pub fn allocated_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    fn head(&self) -> &Node {
        // SAFETY: the head node lives as long as the list.
        unsafe { self.head.as_ref() }
    }

    fn random_height(&self) -> usize {
        // SplitMix64 over a shared counter: fetch_add hands each caller a distinct state.
        let mut z = self.rng.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let mut h = 1;
        while h < HEIGHT_MAX && z.is_multiple_of(BRANCHING) {
            h += 1;
            z /= BRANCHING;
        }
        h
    }

    /// Is `node`'s key strictly less than `(key, trailer)`? A null node is "infinitely large".
    #[inline]
    fn node_lt(node: *const Node, key: &[u8], trailer: u64) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: non-null nodes reachable from the list are initialised and live.
        let n = unsafe { &*node };
        key::compare(n.key(), n.trailer(), key, trailer) == cmp::Ordering::Less
    }

    /// From `start` (the head or a node `< key` reached at `level`), walks right at `level` to the
    /// last node `< (key, trailer)`; returns it and its successor there.
    fn splice_at<'a>(
        mut start: &'a Node,
        level: usize,
        key: &[u8],
        trailer: u64,
    ) -> (&'a Node, *mut Node) {
        loop {
            let n = start.next(level);
            if Self::node_lt(n, key, trailer) {
                // SAFETY: node_lt returned true, so `n` is non-null and live.
                start = unsafe { &*n };
            } else {
                return (start, n);
            }
        }
    }

    /// Inserts an entry. Internal keys must be unique (sequence numbers are).
    pub fn insert(&self, user_key: &[u8], trailer: u64, value: &[u8]) {
        let height = self.random_height();
        self.insert_with_height(user_key, trailer, value, height);
    }

    /// [`SkipList::insert`] with a chosen tower height (`1..=HEIGHT_MAX`); for tests and loom.
    pub(crate) fn insert_with_height(
        &self,
        user_key: &[u8],
        trailer: u64,
        value: &[u8],
        height: usize,
    ) {
        let height = height.clamp(1, HEIGHT_MAX);
        let (node, size) = Node::alloc(height, user_key, trailer, value);
        let node_ptr = node.as_ptr();
        // SAFETY: freshly allocated and initialised; not yet shared.
        let node_ref = unsafe { node.as_ref() };

        let list_height = self.height.fetch_max(height, Ordering::Relaxed).max(height);

        let mut prev: [*const Node; HEIGHT_MAX] = [self.head.as_ptr(); HEIGHT_MAX];
        let mut next: [*mut Node; HEIGHT_MAX] = [ptr::null_mut(); HEIGHT_MAX];
        let mut x: &Node = self.head();
        for level in (0..list_height).rev() {
            let (p_node, n) = Self::splice_at(x, level, user_key, trailer);
            x = p_node;
            if let (Some(p), Some(nx)) = (prev.get_mut(level), next.get_mut(level)) {
                *p = x;
                *nx = n;
            }
        }

        for level in 0..height {
            let (Some(p), Some(nx)) = (prev.get_mut(level), next.get_mut(level)) else { break };
            loop {
                // SAFETY: level < height of the new node.
                unsafe { node_ref.slot(level) }.store(*nx, Ordering::Relaxed);
                // SAFETY: `*p` is the head or a live node whose height exceeds `level` (it was
                // reached at this level).
                let pred = unsafe { &**p };
                // SAFETY: pred was reached at `level`, so level < pred.height().
                let slot = unsafe { pred.slot(level) };
                match slot.compare_exchange(*nx, node_ptr, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => break,
                    Err(_) => {
                        // Someone linked a node after `pred` at this level: move right from pred.
                        let (p_node, n) = Self::splice_at(pred, level, user_key, trailer);
                        *p = p_node;
                        *nx = n;
                    }
                }
            }
        }
        self.len.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }

    /// First entry `>= (key, trailer)`.
    ///
    /// The answer is the level-0 successor that was *compared*: re-reading `next(0)` after the
    /// comparison could return a node a concurrent insert linked in between, which may be
    /// `< (key, trailer)` (a newer version of the key, invisible at the reader's sequence).
    pub(crate) fn seek(&self, key: &[u8], trailer: u64) -> Position {
        let mut x = self.head();
        let mut level = self.height.load(Ordering::Relaxed).clamp(1, HEIGHT_MAX);
        loop {
            let n = x.next(level - 1);
            if Self::node_lt(n, key, trailer) {
                // SAFETY: non-null and live.
                x = unsafe { &*n };
            } else if level == 1 {
                return Position(n);
            } else {
                level -= 1;
            }
        }
    }

    /// Last entry `< (key, trailer)`.
    pub(crate) fn seek_lt(&self, key: &[u8], trailer: u64) -> Position {
        let mut x = self.head();
        let mut level = self.height.load(Ordering::Relaxed).min(HEIGHT_MAX);
        while level > 0 {
            let n = x.next(level - 1);
            if Self::node_lt(n, key, trailer) {
                // SAFETY: non-null and live.
                x = unsafe { &*n };
            } else {
                level -= 1;
            }
        }
        self.position_of(x)
    }

    /// First entry.
    pub(crate) fn first(&self) -> Position {
        Position(self.head().next(0))
    }

    /// Last entry.
    pub(crate) fn last(&self) -> Position {
        let mut x = self.head();
        let mut level = self.height.load(Ordering::Relaxed).min(HEIGHT_MAX);
        while level > 0 {
            let n = x.next(level - 1);
            if n.is_null() {
                level -= 1;
            } else {
                // SAFETY: non-null and live.
                x = unsafe { &*n };
            }
        }
        self.position_of(x)
    }

    fn position_of(&self, x: &Node) -> Position {
        if ptr::eq(x, self.head.as_ptr()) {
            Position::null()
        } else {
            Position(x)
        }
    }

    /// The entry after `pos`.
    pub(crate) fn next(&self, pos: Position) -> Position {
        match self.node(pos) {
            Some(n) => Position(n.next(0)),
            None => Position::null(),
        }
    }

    /// The entry before `pos`.
    pub(crate) fn prev(&self, pos: Position) -> Position {
        match self.node(pos) {
            Some(n) => self.seek_lt(n.key(), n.trailer()),
            None => Position::null(),
        }
    }

    /// The node at `pos`; `pos` must come from this list.
    pub(crate) fn node(&self, pos: Position) -> Option<&Node> {
        // SAFETY: positions handed out by this list point at live nodes of it (or are null), and
        // nodes live as long as the list.
        unsafe { pos.0.as_ref() }
    }

    /// The trailer of the entry at `pos`.
    pub(crate) fn trailer_at(&self, pos: Position) -> Option<u64> {
        self.node(pos).map(Node::trailer)
    }
}

impl Drop for SkipList {
    fn drop(&mut self) {
        let mut cur = self.head().next(0);
        while let Some(n) = NonNull::new(cur) {
            // SAFETY: `n` is live; read its successor before freeing it.
            cur = unsafe { n.as_ref() }.next(0);
            // SAFETY: every node is linked at level 0 exactly once and `&mut self` means no
            // reader remains.
            unsafe { Node::free(n) };
        }
        // SAFETY: the head was allocated by Node::alloc and is freed once, last.
        unsafe { Node::free(self.head) };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::key::{trailer, trailer_seq};
    use std::sync::Arc;

    fn collect(list: &SkipList) -> Vec<(Vec<u8>, u64)> {
        let mut out = Vec::new();
        let mut p = list.first();
        while let Some(n) = list.node(p) {
            out.push((n.key().to_vec(), n.trailer()));
            p = list.next(p);
        }
        out
    }

    #[test]
    fn ordered_by_key_then_newest_first() {
        let list = SkipList::new(7);
        list.insert(b"b", trailer(1, 1), b"b1");
        list.insert(b"a", trailer(2, 1), b"a2");
        list.insert(b"b", trailer(3, 1), b"b3");
        list.insert(b"", trailer(4, 2), b"");
        let got = collect(&list);
        let keys: Vec<_> = got.iter().map(|(k, t)| (k.clone(), trailer_seq(*t))).collect();
        assert_eq!(
            keys,
            vec![(b"".to_vec(), 4), (b"a".to_vec(), 2), (b"b".to_vec(), 3), (b"b".to_vec(), 1)]
        );
        let p = list.seek(b"b", trailer(2, 0xff));
        assert_eq!(list.node(p).unwrap().value(), b"b1");
        let p = list.seek_lt(b"b", trailer(2, 0xff));
        assert_eq!(list.node(p).unwrap().value(), b"b3");
        assert_eq!(list.node(list.last()).unwrap().value(), b"b1");
        assert!(!list.prev(list.first()).is_valid());
        assert_eq!(list.len(), 4);
    }

    #[test]
    fn many_random_inserts_stay_sorted_and_navigable() {
        let list = SkipList::new(1);
        let mut rng = crate::util::rand::SplitMix64::new(99);
        let mut expect = Vec::new();
        for seq in 0..5000u64 {
            let k = (rng.next_u64() % 1000).to_be_bytes().to_vec();
            list.insert(&k, trailer(seq, 1), &seq.to_le_bytes());
            expect.push((k, trailer(seq, 1)));
        }
        expect.sort_by(|a, b| key::compare(&a.0, a.1, &b.0, b.1));
        assert_eq!(collect(&list), expect);
        // Walk backwards from the end.
        let mut back = Vec::new();
        let mut p = list.last();
        while let Some(n) = list.node(p) {
            back.push((n.key().to_vec(), n.trailer()));
            p = list.prev(p);
        }
        back.reverse();
        assert_eq!(back, expect);
    }

    #[test]
    fn concurrent_writers_and_readers() {
        let list = Arc::new(SkipList::new(3));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let list = Arc::clone(&list);
                std::thread::spawn(move || {
                    for i in 0..2000u64 {
                        let seq = i * 4 + t;
                        list.insert(&(i % 97).to_be_bytes(), trailer(seq, 1), &seq.to_le_bytes());
                        if i % 64 == 0 {
                            // Readers see a sorted prefix-consistent list at any time.
                            let got = collect(&list);
                            assert!(got
                                .windows(2)
                                .all(|w| key::compare(&w[0].0, w[0].1, &w[1].0, w[1].1)
                                    == cmp::Ordering::Less));
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let got = collect(&list);
        assert_eq!(got.len(), 8000);
        assert!(got
            .windows(2)
            .all(|w| key::compare(&w[0].0, w[0].1, &w[1].0, w[1].1) == cmp::Ordering::Less));
        assert_eq!(list.len(), 8000);
    }

    #[test]
    fn heights_are_geometric() {
        let list = SkipList::new(5);
        let mut counts = [0usize; HEIGHT_MAX + 1];
        for _ in 0..100_000 {
            counts[list.random_height()] += 1;
        }
        // About 3/4 of towers have height 1 and about 3/16 height 2.
        assert!((70_000..80_000).contains(&counts[1]), "{counts:?}");
        assert!((16_000..21_000).contains(&counts[2]), "{counts:?}");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p shale-engine --lib loom`.
    use super::*;
    use crate::key::trailer;
    use loom::sync::Arc;

    fn keys(list: &SkipList) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut p = list.first();
        while let Some(n) = list.node(p) {
            out.push(n.key().to_vec());
            p = list.next(p);
        }
        out
    }

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut b = loom::model::Builder::new();
        b.preemption_bound = Some(3);
        b.check(f);
    }

    /// Two writers race to link neighbours at levels 0 and 1 while a reader walks the list.
    #[test]
    fn concurrent_inserts_all_land_sorted() {
        model(|| {
            let list = Arc::new(SkipList::new(0));
            list.insert_with_height(b"b", trailer(1, 1), b"", 1);
            let l1 = Arc::clone(&list);
            let t1 =
                loom::thread::spawn(move || l1.insert_with_height(b"a", trailer(2, 1), b"", 2));
            let l2 = Arc::clone(&list);
            let t2 =
                loom::thread::spawn(move || l2.insert_with_height(b"c", trailer(3, 1), b"", 2));
            let seen = keys(&list);
            assert!(seen.windows(2).all(|w| w[0] < w[1]));
            assert!(seen.contains(&b"b".to_vec()));
            t1.join().unwrap();
            t2.join().unwrap();
            assert_eq!(keys(&list), vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        });
    }

    /// A reader at sequence 3 seeks `x` while a writer links `x`@5 right before `x`@1: the seek
    /// must answer `x`@1 (the first entry at or after its target), never the new, newer version.
    #[test]
    fn seek_never_lands_before_its_target() {
        model(|| {
            let list = Arc::new(SkipList::new(0));
            list.insert_with_height(b"x", trailer(1, 1), b"old", 1);
            let l1 = Arc::clone(&list);
            let t1 =
                loom::thread::spawn(move || l1.insert_with_height(b"x", trailer(5, 1), b"new", 1));
            let p = list.seek(b"x", trailer(3, 0xff));
            assert_eq!(list.node(p).map(|n| n.value().to_vec()), Some(b"old".to_vec()));
            t1.join().unwrap();
        });
    }

    /// Two writers insert at the same position (same predecessor): one CAS fails and retries.
    #[test]
    fn same_gap_contention() {
        model(|| {
            let list = Arc::new(SkipList::new(0));
            let l1 = Arc::clone(&list);
            let t1 =
                loom::thread::spawn(move || l1.insert_with_height(b"x", trailer(1, 1), b"1", 2));
            let l2 = Arc::clone(&list);
            let t2 =
                loom::thread::spawn(move || l2.insert_with_height(b"y", trailer(2, 1), b"2", 1));
            let p = list.seek(b"x", trailer(5, 0xff));
            if let Some(n) = list.node(p) {
                // A reader that sees a node sees its bytes fully initialised.
                assert!(n.value() == b"1" || n.value() == b"2");
            }
            t1.join().unwrap();
            t2.join().unwrap();
            assert_eq!(keys(&list), vec![b"x".to_vec(), b"y".to_vec()]);
            let last = list.last();
            assert_eq!(list.node(last).map(|n| n.value().to_vec()), Some(b"2".to_vec()));
        });
    }
}
