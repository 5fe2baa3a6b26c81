//! A lock-free concurrent skiplist of internal keys, the memtable's index.
//!
//! * Readers never block and never write shared memory.
//! * Writers insert concurrently without a lock: a new node is linked level by level, bottom up,
//!   each level with one compare-and-swap on its predecessor's next pointer; a failed CAS
//!   re-searches that level from the predecessor it already had.
//! * Nodes are never removed. Each is one allocation from the list's [`Arena`] holding its
//!   header, its tower of next pointers (as tall as the node, not [`HEIGHT_MAX`]) and its key and
//!   value bytes. The arena (which the lists of one memtable's segments share) frees every node
//!   at once when the last list using it is dropped (`&mut self`: no reader or writer can
//!   remain). That is why no epoch-based reclamation is needed.
//! * A node's header carries the first 8 bytes of its key as a big-endian integer (zero-padded):
//!   most comparisons are decided by that one integer compare, without touching the key bytes.
//! * A node's height is a hash of its sequence number (unique within a memtable): deterministic
//!   for a history, and no shared random-number state for concurrent writers to fight over.
//!
//! Node layout (one arena allocation, 8-byte aligned):
//!
//! ```text
//! +-----------+----------------------------------+-----------+-------------+
//! | NodeHead  | tower: [AtomicPtr<Node>; height] | key bytes | value bytes |
//! +-----------+----------------------------------+-----------+-------------+
//! ```
//!
//! Memory ordering: a node's fields and its next pointer at level `i` are written before the
//! release-CAS that links it at level `i`; readers load next pointers with acquire, so any node a
//! reader reaches is fully initialised. Levels are linked bottom up, so a node reachable at level
//! `i` is already linked at every level below `i`.

use super::arena::{Arena, ARENA_ALIGN};
use crate::key;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering};
use std::alloc::{self, Layout};
use std::cmp;
use std::mem;
use std::ptr::{self, NonNull};
use std::sync::Arc;

/// Tallest tower. With branching 4, enough for ~4^12 = 16M entries per memtable at full speed.
pub const HEIGHT_MAX: usize = 12;
/// One node in `BRANCHING` at level `i` also appears at level `i + 1`.
const BRANCHING: u64 = 4;

#[repr(C)]
struct NodeHead {
    trailer: u64,
    /// The key's first 8 bytes, big-endian, zero-padded ([`key_prefix`]).
    prefix: u64,
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
const _: () = assert!(NODE_ALIGN <= ARENA_ALIGN, "arena allocations must suit a node");

/// The first 8 bytes of `key` as a big-endian integer, zero-padded. When two keys' prefixes
/// differ they order as the keys do (the first differing byte decides both; a shorter key pads
/// with 0, below any byte the longer one has there, unless that byte is 0, in which case the
/// prefixes do not differ there).
#[inline]
fn key_prefix(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = key.len().min(8);
    if let (Some(dst), Some(src)) = (b.get_mut(..n), key.get(..n)) {
        dst.copy_from_slice(src);
    }
    u64::from_be_bytes(b)
}

/// Bytes of a node of `height` levels holding `key_len + value_len` bytes.
fn node_size(height: usize, key_len: usize, value_len: usize) -> Option<usize> {
    TOWER_OFFSET
        .checked_add(height.checked_mul(PTR_SIZE)?)?
        .checked_add(key_len)?
        .checked_add(value_len)
}

impl Node {
    /// Initialises a node whose tower pointers are all null in the `node_size(...)` bytes at
    /// `raw`.
    ///
    /// # Safety
    /// `raw` points to at least `node_size(height, key.len(), value.len())` writable bytes,
    /// aligned to [`NODE_ALIGN`], that nothing else uses.
    unsafe fn init(
        raw: NonNull<u8>,
        height: usize,
        user_key: &[u8],
        trailer: u64,
        value: &[u8],
    ) -> NonNull<Node> {
        let raw = raw.as_ptr();
        // The database bounds keys and values far below 4 GiB before they reach the memtable.
        let (key_len, value_len) = (user_key.len() as u32, value.len() as u32);
        // SAFETY: the caller provides the bytes; we write the head at offset 0, `height` pointer
        // slots at TOWER_OFFSET, then the key and value bytes, as `node_size` lays them out.
        unsafe {
            ptr::write(
                raw.cast::<NodeHead>(),
                NodeHead {
                    trailer,
                    prefix: key_prefix(user_key),
                    key_len,
                    value_len,
                    height: height as u32,
                },
            );
            let tower = raw.add(TOWER_OFFSET).cast::<AtomicPtr<Node>>();
            for i in 0..height {
                ptr::write(tower.add(i), AtomicPtr::new(ptr::null_mut()));
            }
            let data = raw.add(TOWER_OFFSET + height * PTR_SIZE);
            ptr::copy_nonoverlapping(user_key.as_ptr(), data, user_key.len());
            ptr::copy_nonoverlapping(value.as_ptr(), data.add(user_key.len()), value.len());
            NonNull::new_unchecked(raw.cast::<Node>())
        }
    }

    /// Drops the node's tower slots in place (a no-op for `std`'s atomics; loom's track state).
    ///
    /// # Safety
    /// `node` was made by [`Node::init`], is dropped once, and no reference to it remains.
    unsafe fn drop_tower(node: NonNull<Node>) {
        if !mem::needs_drop::<AtomicPtr<Node>>() {
            return;
        }
        // SAFETY: the caller guarantees the node is live and exclusively ours.
        unsafe {
            let height = node.as_ref().height();
            let tower = node.as_ptr().cast::<u8>().add(TOWER_OFFSET).cast::<AtomicPtr<Node>>();
            for i in 0..height {
                ptr::drop_in_place(tower.add(i));
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
    /// `level < self.height()`, and `self` was made by [`Node::init`].
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

/// Hints the CPU to load the node at `p` into the cache (a no-op elsewhere than x86-64).
#[inline(always)]
fn prefetch(p: *const Node) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p.cast::<i8>(), std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The target of a search: an internal key, with its key prefix computed once.
#[derive(Clone, Copy)]
struct Target<'a> {
    key: &'a [u8],
    prefix: u64,
    trailer: u64,
}

impl<'a> Target<'a> {
    fn new(key: &'a [u8], trailer: u64) -> Self {
        Target { key, prefix: key_prefix(key), trailer }
    }
}

/// The concurrent skiplist.
pub struct SkipList {
    /// The head node (`HEIGHT_MAX` tall, no key), allocated on its own so that an empty list
    /// holds no arena block.
    head: NonNull<Node>,
    height: AtomicUsize,
    len: AtomicUsize,
    /// Where nodes come from; it outlives the list (the list holds a reference count).
    arena: Arc<Arena>,
    /// Mixed into every node's height hash.
    seed: u64,
}

// SAFETY: nodes are immutable after publication except for their atomic next pointers; all shared
// mutation goes through atomics (and the arena, which is `Sync`), and nodes are freed only in
// `Drop` (exclusive access).
unsafe impl Send for SkipList {}
// SAFETY: as above: `&SkipList` only allows atomic operations, arena allocations of fresh nodes,
// and reads of published nodes.
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

/// Bytes of the head node: a node of [`HEIGHT_MAX`] pointers and no key or value.
const HEAD_SIZE: usize = TOWER_OFFSET + HEIGHT_MAX * PTR_SIZE;
const _: () = assert!(NODE_ALIGN.is_power_of_two() && HEAD_SIZE < isize::MAX as usize);

/// The layout of the head node.
fn head_layout() -> Layout {
    // SAFETY: the alignment is a power of two and the size far below `isize::MAX` (asserted
    // at compile time above).
    unsafe { Layout::from_size_align_unchecked(HEAD_SIZE, NODE_ALIGN) }
}

impl SkipList {
    /// An empty list with an arena of its own, of blocks of up to `arena_block_bytes`; `seed` is
    /// mixed into tower heights.
    #[cfg(test)]
    pub fn new(seed: u64, arena_block_bytes: usize) -> Self {
        SkipList::with_arena(seed, Arc::new(Arena::new(arena_block_bytes)))
    }

    /// An empty list whose nodes come from `arena` (which other lists may share).
    pub fn with_arena(seed: u64, arena: Arc<Arena>) -> Self {
        let layout = head_layout();
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc(layout) };
        let Some(raw) = NonNull::new(raw) else { alloc::handle_alloc_error(layout) };
        // SAFETY: `raw` holds `head_layout()` bytes = `node_size(HEIGHT_MAX, 0, 0)`, aligned.
        let head = unsafe { Node::init(raw, HEIGHT_MAX, &[], 0, &[]) };
        SkipList { head, height: AtomicUsize::new(1), len: AtomicUsize::new(0), arena, seed }
    }

    /// Entries inserted.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// True when nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The memory the list's arena holds, exactly ([`Arena::allocated_bytes`]): this list's
    /// nodes and those of any list sharing the arena.
    #[cfg(all(test, not(loom)))]
    pub fn allocated_bytes(&self) -> usize {
        self.arena.allocated_bytes()
    }

    fn head(&self) -> &Node {
        // SAFETY: the head node lives as long as the list.
        unsafe { self.head.as_ref() }
    }

    /// The height of the node carrying `trailer`: geometric with ratio 1/[`BRANCHING`], from a
    /// SplitMix64 hash of the trailer (sequence numbers are unique, so heights are independent).
    fn height_for(&self, trailer: u64) -> usize {
        let mut z = (trailer ^ self.seed).wrapping_add(0x9E37_79B9_7F4A_7C15);
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

    /// Is `node`'s key strictly less than `t`? A null node is "infinitely large".
    #[inline]
    fn node_lt(node: *const Node, t: &Target<'_>) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: non-null nodes reachable from the list are initialised and live.
        let n = unsafe { &*node };
        if n.head.prefix != t.prefix {
            return n.head.prefix < t.prefix;
        }
        key::compare(n.key(), n.trailer(), t.key, t.trailer) == cmp::Ordering::Less
    }

    /// From `start` (the head or a node `< t` reached at `level`), walks right at `level` to the
    /// last node `< t`; returns it and its successor there. Prefetches the node after the one
    /// being compared: the walk usually moves on to it.
    #[inline]
    fn splice_at<'a>(mut start: &'a Node, level: usize, t: &Target<'_>) -> (&'a Node, *mut Node) {
        loop {
            let n = start.next(level);
            if !n.is_null() {
                // SAFETY: non-null nodes reachable from the list are live.
                prefetch(unsafe { &*n }.next(level));
            }
            if Self::node_lt(n, t) {
                // SAFETY: node_lt returned true, so `n` is non-null and live.
                start = unsafe { &*n };
            } else {
                return (start, n);
            }
        }
    }

    /// Inserts an entry. Internal keys must be unique (sequence numbers are).
    pub fn insert(&self, user_key: &[u8], trailer: u64, value: &[u8]) {
        let height = self.height_for(trailer);
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
        // The database bounds keys and values far below 4 GiB before they reach the memtable;
        // a size that does not fit is treated like an impossible allocation.
        let size = match node_size(height, user_key.len(), value.len()) {
            Some(s)
                if u32::try_from(user_key.len()).is_ok() && u32::try_from(value.len()).is_ok() =>
            {
                s
            }
            _ => alloc::handle_alloc_error(Layout::new::<NodeHead>()),
        };
        let raw = self.arena.alloc(size);
        // SAFETY: the arena handed us `size` = `node_size(...)` fresh bytes aligned to
        // ARENA_ALIGN >= NODE_ALIGN.
        let node = unsafe { Node::init(raw, height, user_key, trailer, value) };
        let node_ptr = node.as_ptr();
        // SAFETY: freshly initialised; not yet shared.
        let node_ref = unsafe { node.as_ref() };
        let t = Target::new(user_key, trailer);

        let list_height = self.height.fetch_max(height, Ordering::Relaxed).max(height);

        let mut prev: [*const Node; HEIGHT_MAX] = [self.head.as_ptr(); HEIGHT_MAX];
        let mut next: [*mut Node; HEIGHT_MAX] = [ptr::null_mut(); HEIGHT_MAX];
        let mut x: &Node = self.head();
        for level in (0..list_height).rev() {
            let (p_node, n) = Self::splice_at(x, level, &t);
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
                        let (p_node, n) = Self::splice_at(pred, level, &t);
                        *p = p_node;
                        *nx = n;
                    }
                }
            }
        }
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    /// First entry `>= (key, trailer)`.
    ///
    /// The answer is the level-0 successor that was *compared*: re-reading `next(0)` after the
    /// comparison could return a node a concurrent insert linked in between, which may be
    /// `< (key, trailer)` (a newer version of the key, invisible at the reader's sequence).
    pub(crate) fn seek(&self, key: &[u8], trailer: u64) -> Position {
        let t = Target::new(key, trailer);
        let mut x = self.head();
        let mut level = self.height.load(Ordering::Relaxed).clamp(1, HEIGHT_MAX);
        loop {
            let n = x.next(level - 1);
            if Self::node_lt(n, &t) {
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
        let t = Target::new(key, trailer);
        let mut x = self.head();
        let mut level = self.height.load(Ordering::Relaxed).min(HEIGHT_MAX);
        while level > 0 {
            let n = x.next(level - 1);
            if Self::node_lt(n, &t) {
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
        // The arena frees every node's memory when it drops (after this). Only under loom do
        // the towers' atomics need dropping; with `std`'s atomics this walk compiles away.
        if mem::needs_drop::<AtomicPtr<Node>>() {
            let mut cur = self.head().next(0);
            while let Some(n) = NonNull::new(cur) {
                // SAFETY: `n` is live; read its successor before dropping its tower.
                cur = unsafe { n.as_ref() }.next(0);
                // SAFETY: every node is linked at level 0 exactly once and `&mut self` means no
                // reader remains.
                unsafe { Node::drop_tower(n) };
            }
        }
        // SAFETY: the head was allocated with `head_layout()` in `new`, is dropped and freed
        // once, last, and no reference to it remains.
        unsafe {
            Node::drop_tower(self.head);
            alloc::dealloc(self.head.as_ptr().cast::<u8>(), head_layout());
        }
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
        let list = SkipList::new(7, 4 << 10);
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
        let list = SkipList::new(1, 4 << 10);
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
        let list = Arc::new(SkipList::new(3, 4 << 10));
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
    fn key_prefixes_order_as_the_keys_do() {
        // Keys rich in zero bytes and short lengths: where padding could mislead.
        let mut rng = crate::util::rand::SplitMix64::new(17);
        let keys: Vec<Vec<u8>> = (0..400)
            .map(|_| {
                let len = (rng.next_u64() % 11) as usize;
                (0..len).map(|_| [0u8, 1, 0xff, b'a'][(rng.next_u64() % 4) as usize]).collect()
            })
            .collect();
        for a in &keys {
            for b in &keys {
                let (pa, pb) = (key_prefix(a), key_prefix(b));
                if pa != pb {
                    assert_eq!(pa.cmp(&pb), a.cmp(b), "{a:?} vs {b:?}");
                }
            }
        }
        // Equal prefixes fall back to the full comparison inside the list.
        let list = SkipList::new(9, 4 << 10);
        for (i, k) in
            [&b"abcdefgh\x00"[..], b"abcdefgh", b"abcdefg", b"abcdefgh\x01"].iter().enumerate()
        {
            list.insert(k, trailer(i as u64 + 1, 1), b"");
        }
        let got: Vec<Vec<u8>> = collect(&list).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            got,
            vec![
                b"abcdefg".to_vec(),
                b"abcdefgh".to_vec(),
                b"abcdefgh\x00".to_vec(),
                b"abcdefgh\x01".to_vec()
            ]
        );
    }

    #[test]
    fn arena_bytes_are_the_memory_held() {
        let list = SkipList::new(2, 64 << 10);
        assert_eq!(list.allocated_bytes(), 0, "an empty list holds no arena block");
        list.insert(b"k", trailer(1, 1), &[7u8; 100]);
        let one = list.allocated_bytes();
        assert!((4 << 10..5 << 10).contains(&one), "{one}");
        // A value larger than a quarter block: a block of its own, sized exactly.
        list.insert(b"big", trailer(2, 1), &[1u8; 40_000]);
        let node = TOWER_OFFSET + list.height_for(trailer(2, 1)) * PTR_SIZE + 3 + 40_000;
        let extra = list.allocated_bytes() - one;
        assert!((node..node + 64).contains(&extra), "{extra} for a node of {node}");
    }

    #[test]
    fn heights_are_geometric() {
        let list = SkipList::new(5, 4 << 10);
        let mut counts = [0usize; HEIGHT_MAX + 1];
        for seq in 0..100_000u64 {
            counts[list.height_for(crate::key::trailer(seq, 1))] += 1;
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

    use crate::sync::loom_model as model;

    /// Two writers race to link neighbours at levels 0 and 1 while a reader walks the list.
    #[test]
    fn concurrent_inserts_all_land_sorted() {
        model(|| {
            let list = Arc::new(SkipList::new(0, 4 << 10));
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
            let list = Arc::new(SkipList::new(0, 4 << 10));
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
            let list = Arc::new(SkipList::new(0, 4 << 10));
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
