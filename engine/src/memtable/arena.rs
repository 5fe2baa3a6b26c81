//! [`Arena`]: the memory of one memtable. Skiplist nodes (header, tower, key and value bytes)
//! are bump-allocated from large blocks that the arena owns; nothing is freed until the arena
//! is dropped, which frees every block at once (no per-node `free`, no walk of the list).
//!
//! * Allocation is lock-free in the common case: one `fetch_add` on the current block's fill.
//!   A thread whose allocation does not fit takes the arena's lock and installs a new block
//!   (unless another thread already did), then retries. Threads never share a byte: each
//!   `fetch_add` hands out a distinct range of the block it was made on, and a range that runs
//!   past the block's end is abandoned, never used.
//! * Blocks start at [`ARENA_FIRST_BLOCK_BYTES`] and double up to the arena's block size
//!   (`memtable_bytes_max / 8`, within [`ARENA_BLOCK_BYTES_MIN`]..=[`ARENA_BLOCK_BYTES_MAX`]),
//!   so an empty memtable holds no memory and a small one little.
//! * An allocation larger than a quarter of a block gets a block of its own, sized exactly, so
//!   a large value wastes nothing and never forces a half-used block out.
//! * [`Arena::allocated_bytes`] is the memory the arena holds: the exact size of every block it
//!   allocated, headers and abandoned tails included. The memtable's size is this figure, and
//!   `memtable_bytes_max` bounds it.
//!
//! Memory ordering: a new block's header is written before the release store that makes it
//! current; threads load the current block with acquire, so they see its header initialised.
//! The bytes handed out are the caller's alone until the caller publishes them (the skiplist
//! links a node with a release CAS).
//!
//! Lock order: `Arena::blocks` is a leaf lock (nothing else is taken while it is held).

use crate::sync::{AtomicPtr, AtomicUsize, Mutex, Ordering};
use std::alloc::{self, Layout};
use std::ptr::{self, NonNull};

/// Alignment of every allocation: node headers hold `u64` fields and atomic pointers.
pub const ARENA_ALIGN: usize = 8;
/// The largest block size: a 64 MiB memtable fills 64 of them.
pub const ARENA_BLOCK_BYTES_MAX: usize = 1 << 20;
/// The smallest block size (tiny memtables in tests).
pub const ARENA_BLOCK_BYTES_MIN: usize = 256;
/// The size of an arena's first block (or its block size, when that is smaller).
pub const ARENA_FIRST_BLOCK_BYTES: usize = 4 << 10;
/// An allocation above `block / DEDICATED_DIVISOR` gets a block of its own.
const DEDICATED_DIVISOR: usize = 4;

const _: () = assert!(ARENA_BLOCK_BYTES_MIN <= ARENA_FIRST_BLOCK_BYTES);
const _: () = assert!(ARENA_FIRST_BLOCK_BYTES <= ARENA_BLOCK_BYTES_MAX);
const _: () = assert!(ARENA_BLOCK_BYTES_MIN.is_multiple_of(ARENA_ALIGN));
const _: () = assert!(std::mem::align_of::<BlockHead>() <= ARENA_ALIGN);
const _: () = assert!(HEAD_LEN.is_multiple_of(ARENA_ALIGN));

/// The header at the start of every block; the block's bytes follow it.
#[repr(C)]
struct BlockHead {
    /// Bytes of the block handed out or abandoned; may run past `cap` (failed attempts).
    used: AtomicUsize,
    /// Bytes after the header.
    cap: usize,
}

const HEAD_LEN: usize = std::mem::size_of::<BlockHead>().next_multiple_of(ARENA_ALIGN);

/// The block size of an arena for a memtable of `memtable_bytes_max` bytes.
pub fn block_bytes_for(memtable_bytes_max: usize) -> usize {
    (memtable_bytes_max / 8)
        .clamp(ARENA_BLOCK_BYTES_MIN, ARENA_BLOCK_BYTES_MAX)
        .next_multiple_of(ARENA_ALIGN)
}

/// A concurrent bump allocator; see the module docs.
pub struct Arena {
    /// The largest regular block's size (bytes after the header).
    block_bytes: usize,
    /// The block allocations come from (null before the first allocation).
    current: AtomicPtr<BlockHead>,
    /// Every block with its layout, for `Drop`; its lock also serialises installing a block.
    blocks: Mutex<Vec<(NonNull<BlockHead>, Layout)>>,
    /// The size of every block allocated, headers included.
    bytes: AtomicUsize,
}

// SAFETY: the arena owns its blocks (freed only by `Drop`, which has exclusive access) and hands
// out disjoint byte ranges of them (see `alloc`); the rest of its state is atomics and a mutex.
// Nothing in it is tied to the thread that made it.
unsafe impl Send for Arena {}
// SAFETY: as above: `&Arena` only allows `alloc` (atomics plus the mutex) and reading counters.
unsafe impl Sync for Arena {}

impl std::fmt::Debug for Arena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("block_bytes", &self.block_bytes)
            .field("allocated_bytes", &self.allocated_bytes())
            .finish()
    }
}

impl Arena {
    /// An empty arena (it holds no memory yet) whose regular blocks grow to `block_bytes`
    /// (rounded up to [`ARENA_ALIGN`], at least [`ARENA_BLOCK_BYTES_MIN`]).
    pub fn new(block_bytes: usize) -> Arena {
        Arena {
            block_bytes: block_bytes.max(ARENA_BLOCK_BYTES_MIN).next_multiple_of(ARENA_ALIGN),
            current: AtomicPtr::new(ptr::null_mut()),
            blocks: Mutex::new(Vec::new()),
            bytes: AtomicUsize::new(0),
        }
    }

    /// The memory the arena holds: the size of every block, headers and unused tails included.
    pub fn allocated_bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// `size` bytes aligned to [`ARENA_ALIGN`], uninitialised, valid until the arena is
    /// dropped, and the caller's alone. Aborts (through `handle_alloc_error`) when memory is
    /// exhausted, like `Box::new`.
    pub fn alloc(&self, size: usize) -> NonNull<u8> {
        let Some(size) = size.max(1).checked_next_multiple_of(ARENA_ALIGN) else {
            alloc::handle_alloc_error(Layout::new::<BlockHead>())
        };
        if size > self.block_bytes / DEDICATED_DIVISOR {
            return self.dedicated(size);
        }
        loop {
            let seen = self.current.load(Ordering::Acquire);
            if let Some(block) = NonNull::new(seen) {
                // SAFETY: a non-null current block is live (blocks are freed only by `Drop`) and
                // its header was initialised before the release store that made it current.
                let head = unsafe { block.as_ref() };
                let at = head.used.fetch_add(size, Ordering::Relaxed);
                if at.checked_add(size).is_some_and(|end| end <= head.cap) {
                    // SAFETY: `[at, at + size)` lies inside the block's `cap` data bytes, which
                    // start `HEAD_LEN` bytes into its allocation, and no other `fetch_add`
                    // returns an overlapping range.
                    return unsafe { data_of(block).add(at) };
                }
            }
            self.grow(seen);
        }
    }

    /// Makes a fresh block current, unless another thread replaced `seen` already.
    fn grow(&self, seen: *mut BlockHead) {
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        if self.current.load(Ordering::Acquire) != seen {
            return;
        }
        // Each regular block doubles the last one, up to the block size.
        let cap = match NonNull::new(seen) {
            None => ARENA_FIRST_BLOCK_BYTES.min(self.block_bytes),
            // SAFETY: a non-null current block is live.
            Some(b) => unsafe { b.as_ref() }.cap.saturating_mul(2).min(self.block_bytes),
        };
        let (block, layout) = self.new_block(cap, 0);
        blocks.push((block, layout));
        self.current.store(block.as_ptr(), Ordering::Release);
    }

    /// A block of exactly `size` data bytes, all handed to the caller.
    fn dedicated(&self, size: usize) -> NonNull<u8> {
        let (block, layout) = self.new_block(size, size);
        self.blocks.lock().unwrap_or_else(|e| e.into_inner()).push((block, layout));
        // SAFETY: the block's data bytes start `HEAD_LEN` into its allocation.
        unsafe { data_of(block) }
    }

    /// Allocates a block of `cap` data bytes whose first `used` are taken.
    fn new_block(&self, cap: usize, used: usize) -> (NonNull<BlockHead>, Layout) {
        let Some(layout) =
            HEAD_LEN.checked_add(cap).and_then(|n| Layout::from_size_align(n, ARENA_ALIGN).ok())
        else {
            alloc::handle_alloc_error(Layout::new::<BlockHead>())
        };
        // SAFETY: the layout has a non-zero size (it holds the header).
        let raw = unsafe { alloc::alloc(layout) };
        let Some(block) = NonNull::new(raw.cast::<BlockHead>()) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `raw` is a fresh allocation of `layout`, aligned for `BlockHead`, with room for
        // it at offset 0.
        unsafe { ptr::write(block.as_ptr(), BlockHead { used: AtomicUsize::new(used), cap }) };
        self.bytes.fetch_add(layout.size(), Ordering::Relaxed);
        (block, layout)
    }
}

/// The first data byte of `block`.
///
/// # Safety
/// `block` is a live block made by `Arena::new_block`.
unsafe fn data_of(block: NonNull<BlockHead>) -> NonNull<u8> {
    // SAFETY: the allocation is `HEAD_LEN + cap` bytes long, so this stays inside it (or one
    // past its end when `cap` is 0), and is non-null.
    unsafe { NonNull::new_unchecked(block.as_ptr().cast::<u8>().add(HEAD_LEN)) }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let blocks = std::mem::take(&mut *self.blocks.lock().unwrap_or_else(|e| e.into_inner()));
        for (block, layout) in blocks {
            // SAFETY: each block was allocated with `layout`, is freed once, and `&mut self`
            // means no allocation from it is referenced any more (callers' references live no
            // longer than the arena). The header's atomic is dropped in place first.
            unsafe {
                ptr::drop_in_place(block.as_ptr());
                alloc::dealloc(block.as_ptr().cast::<u8>(), layout);
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn block_size_follows_the_memtable_size() {
        assert_eq!(block_bytes_for(64 << 20), ARENA_BLOCK_BYTES_MAX);
        assert_eq!(block_bytes_for(256 << 10), 32 << 10);
        assert_eq!(block_bytes_for(512), ARENA_BLOCK_BYTES_MIN);
        assert_eq!(block_bytes_for(0), ARENA_BLOCK_BYTES_MIN);
    }

    #[test]
    fn empty_arena_holds_nothing_and_blocks_double() {
        let a = Arena::new(64 << 10);
        assert_eq!(a.allocated_bytes(), 0);
        let p = a.alloc(24);
        assert_eq!(p.as_ptr() as usize % ARENA_ALIGN, 0);
        assert_eq!(a.allocated_bytes(), HEAD_LEN + ARENA_FIRST_BLOCK_BYTES);
        // Fill past the first block: the next one is twice its size.
        let mut n = 24;
        while a.allocated_bytes() == HEAD_LEN + ARENA_FIRST_BLOCK_BYTES {
            a.alloc(1000);
            n += 1000;
        }
        assert_eq!(a.allocated_bytes(), 2 * HEAD_LEN + 3 * ARENA_FIRST_BLOCK_BYTES);
        assert!(n > ARENA_FIRST_BLOCK_BYTES);
        // Doubling stops at the block size.
        for _ in 0..200 {
            a.alloc(8000);
        }
        let blocks = a.blocks.lock().unwrap();
        // SAFETY: every block in `blocks` is live until the arena drops (`a` is alive) and its
        // header was written when the block was made.
        let sizes: Vec<usize> = blocks.iter().map(|(b, _)| unsafe { b.as_ref() }.cap).collect();
        drop(blocks);
        assert_eq!(&sizes[..5], &[4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10]);
        assert!(sizes[5..].iter().all(|&s| s == 64 << 10), "{sizes:?}");
        let total: usize = sizes.iter().map(|s| s + HEAD_LEN).sum();
        assert_eq!(a.allocated_bytes(), total, "every block's bytes, exactly");
    }

    #[test]
    fn large_allocations_get_exact_blocks_and_keep_the_current_one() {
        let a = Arena::new(64 << 10);
        let small = a.alloc(16);
        let before = a.allocated_bytes();
        let big = a.alloc(100_000);
        assert_eq!(a.allocated_bytes(), before + HEAD_LEN + 100_000);
        // The current block still serves small allocations right after the first one.
        let next = a.alloc(16);
        assert_eq!(next.as_ptr() as usize, small.as_ptr() as usize + 16);
        // SAFETY: `big` is 100 000 bytes the arena handed out to this test alone, live as long
        // as `a`.
        unsafe { std::ptr::write_bytes(big.as_ptr(), 0xAB, 100_000) };
        // Sizes are rounded up to the alignment.
        let odd = a.alloc(3);
        assert_eq!(a.alloc(1).as_ptr() as usize, odd.as_ptr() as usize + ARENA_ALIGN);
    }

    #[test]
    fn concurrent_allocations_never_overlap() {
        let a = Arc::new(Arena::new(8 << 10));
        let threads: Vec<_> = (0..4u8)
            .map(|t| {
                let a = Arc::clone(&a);
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..5000usize {
                        let len = 1 + (i * 7 + usize::from(t)) % 300;
                        let p = a.alloc(len);
                        // SAFETY: `len` bytes the arena handed out to this thread alone.
                        unsafe { std::ptr::write_bytes(p.as_ptr(), t, len) };
                        mine.push((p.as_ptr() as usize, len));
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<(usize, usize, u8)> = Vec::new();
        for (t, h) in threads.into_iter().enumerate() {
            for (p, len) in h.join().unwrap() {
                all.push((p, len, t as u8));
            }
        }
        for &(p, len, t) in &all {
            // SAFETY: a range `a` (alive) handed out, filled by its thread (joined above), and
            // written by nothing while it is read.
            let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
            assert!(bytes.iter().all(|&b| b == t), "an allocation was overwritten");
        }
        all.sort_unstable();
        assert!(all.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "ranges overlap");
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Run with `RUSTFLAGS="--cfg loom" cargo test -p shale-engine --lib loom`.
    use super::*;
    use loom::sync::Arc;

    /// Two threads allocate across a block boundary at once: every range is distinct, inside a
    /// block, keeps what its owner wrote, and the byte count is every block's size.
    #[test]
    fn racing_allocations_across_a_block_switch() {
        crate::sync::loom_model(|| {
            // Blocks of 256 data bytes: five 56-byte allocations cannot share one.
            let a = Arc::new(Arena::new(ARENA_BLOCK_BYTES_MIN));
            let spawn = |t: u8| {
                let a = Arc::clone(&a);
                loom::thread::spawn(move || {
                    let mut got = Vec::new();
                    for _ in 0..2 {
                        let p = a.alloc(56);
                        // SAFETY: the range is this thread's alone.
                        unsafe { std::ptr::write_bytes(p.as_ptr(), t, 56) };
                        got.push(p.as_ptr() as usize);
                    }
                    got
                })
            };
            let (t1, t2) = (spawn(1), spawn(2));
            let p = a.alloc(56);
            // SAFETY: the range is this thread's alone.
            unsafe { std::ptr::write_bytes(p.as_ptr(), 3, 56) };
            let mut ranges = vec![(p.as_ptr() as usize, 56usize, 3u8)];
            for (t, h) in [(1u8, t1), (2u8, t2)] {
                ranges.extend(h.join().unwrap().into_iter().map(|p| (p, 56, t)));
            }
            for &(p, len, t) in &ranges {
                // SAFETY: a range `a` (alive) handed out, filled by its thread (joined above),
                // and written by nothing while it is read.
                let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
                assert!(bytes.iter().all(|&b| b == t));
            }
            ranges.sort_unstable();
            assert!(ranges.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0));
            let blocks = a.blocks.lock().unwrap();
            assert_eq!(blocks.len(), 2, "exactly one switch");
            let total: usize = blocks.iter().map(|(_, l)| l.size()).sum();
            assert_eq!(a.allocated_bytes(), total);
        });
    }
}
