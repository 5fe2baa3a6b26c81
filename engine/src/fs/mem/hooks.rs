//! [`MemFs`]'s test hooks (feature `testing`): simulated power loss, fault injection, and
//! direct access to a file's bytes. The file system itself, and its model of live and durable
//! state, are in `mod.rs`.
//!
//! # Power loss
//!
//! [`MemFs::crash`]`(seed)` simulates power loss and reboot:
//! * every directory's live entries become its durable entries, so files never covered by a
//!   `sync_dir` vanish and renames and removals not synced are undone;
//! * every inode's live bytes become its durable bytes plus a prefix of its unsynced (appended
//!   since the last sync) bytes; the prefix length is pseudo-random from `seed`, and is `0` and
//!   "all of them" each with probability of about 1/4 so both edges are exercised often (if live
//!   bytes ever did not start with the durable ones, they would become just the durable ones);
//! * what is left is what is on the "disk", so it all becomes durable (a second crash keeps it);
//! * every handle opened before ([`WritableFile`](crate::fs::WritableFile), [`ReadableFile`](crate::fs::ReadableFile), [`FileLock`](crate::fs::FileLock)) becomes stale:
//!   each operation on it fails with an `io::Error` "stale handle after simulated crash" and never
//!   changes the new state (a stale [`WritableFile::len`](crate::fs::WritableFile::len), which cannot fail, reports the last
//!   length that handle saw); every lock is released. Each handle stores the crash generation it
//!   was opened in;
//! * inodes no longer referenced by any entry are dropped.
//!
//! The same history with the same seed gives the same result. [`MemFs::crash_drop_unsynced`]
//! is the same but keeps no unsynced byte at all. A crash does not count as an operation and
//! leaves the operation count and any armed fault as they are.
//!
//! # Fault injection
//!
//! Every call counts as one operation: each [`FileSystem`](crate::fs::FileSystem) method, and [`WritableFile::append`](crate::fs::WritableFile::append),
//! [`WritableFile::sync`](crate::fs::WritableFile::sync), [`ReadableFile::read_at`](crate::fs::ReadableFile::read_at) and [`ReadableFile::len`](crate::fs::ReadableFile::len) — but not the
//! infallible [`WritableFile::len`](crate::fs::WritableFile::len), nor dropping a handle, nor the test helpers of [`MemFs`].
//! A call counts before anything else is checked, so one that then fails (`NotFound`, a stale
//! handle, ...) counts too. [`MemFs::fail_after`]`(k, mode)` arms a fault: the `k`-th counted
//! operation from now (`k = 0` is the very next one) fails with `io::Error::other("injected
//! fault")` without any effect (a failed append writes nothing, a failed sync makes nothing
//! durable, a failed create creates nothing). With [`FaultMode::Permanent`] every later operation
//! fails the same way until [`MemFs::clear_faults`]; with [`FaultMode::Once`] only that one does.
//! [`MemFs::op_count`] counts operations since the file system was made and [`MemFs::faults_hit`]
//! counts the operations that failed with an injected fault.
//!
//! # Test helpers
//!
//! [`MemFs::file_bytes`], [`MemFs::set_file_bytes`] and [`MemFs::durable_len`] inspect and
//! corrupt files directly; they are not counted and never fail by injection.

use super::{normalize, not_found, split, InodeId, MemFs, State};
use crate::fs::inject::pick_kept;
use crate::fs::FaultMode;
use crate::util::rand::SplitMix64;
use std::collections::BTreeSet;
use std::io;
use std::path::Path;

impl State {
    /// Drops every inode that no handle holds and no entry names.
    fn collect_all(&mut self) {
        let named: BTreeSet<InodeId> = self
            .dirs
            .values()
            .flat_map(|d| d.live.values().chain(d.durable.values()))
            .copied()
            .collect();
        self.inodes.retain(|id, inode| inode.handles > 0 || named.contains(id));
    }

    /// Simulates power loss; `rng` picks how many unsynced bytes survive (none without it).
    fn power_loss(&mut self, mut rng: Option<SplitMix64>) {
        for dir in self.dirs.values_mut() {
            dir.live.clone_from(&dir.durable);
        }
        for inode in self.inodes.values_mut() {
            inode.handles = 0;
        }
        self.collect_all();
        for inode in self.inodes.values_mut() {
            let unsynced = inode.live.len().saturating_sub(inode.durable_len);
            let keep = match rng.as_mut() {
                Some(rng) if unsynced > 0 => pick_kept(rng, unsynced),
                _ => 0,
            };
            inode.live.truncate(inode.durable_len.saturating_add(keep));
            // What is left is on the disk now.
            inode.make_durable();
        }
        self.locks.clear();
        self.generation = self.generation.wrapping_add(1);
    }
}

impl MemFs {
    /// Simulates power loss and reboot, keeping a pseudo-random (from `seed`) prefix of each
    /// file's unsynced bytes. Unsynced directory entries are lost, every handle opened before
    /// becomes stale and every lock is released. See the module docs.
    pub fn crash(&self, seed: u64) {
        self.lock_state().power_loss(Some(SplitMix64::new(seed)));
    }

    /// Like [`MemFs::crash`], but no unsynced byte survives.
    pub fn crash_drop_unsynced(&self) {
        self.lock_state().power_loss(None);
    }

    /// Arms a fault: the `k`-th counted operation from now (`k = 0`: the very next one) fails
    /// with `io::Error::other("injected fault")` and has no effect; with
    /// [`FaultMode::Permanent`] every later operation fails too. Replaces an armed fault and
    /// ends a permanent failure already under way.
    pub fn fail_after(&self, k: u64, mode: FaultMode) {
        self.lock_state().injector.fail_after(k, mode);
    }

    /// Disarms any fault and ends a permanent failure.
    pub fn clear_faults(&self) {
        self.lock_state().injector.clear();
    }

    /// The number of operations counted since this file system was made (failed ones included).
    pub fn op_count(&self) -> u64 {
        self.lock_state().injector.ops()
    }

    /// The number of operations that failed with an injected fault.
    pub fn faults_hit(&self) -> u64 {
        self.lock_state().injector.faults_hit()
    }

    /// Test helper: the live bytes of the file `path` names now, or `None` if there is no such
    /// file.
    pub fn file_bytes(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        let st = self.lock_state();
        let id = st.live_entry(&normalize(path.as_ref()))?;
        st.inodes.get(&id).map(|inode| inode.live.clone())
    }

    /// Test helper: the durable length of the file `path` names now (the entry itself may not
    /// be durable), or `None` if there is no such file.
    pub fn durable_len(&self, path: impl AsRef<Path>) -> Option<u64> {
        let st = self.lock_state();
        let id = st.live_entry(&normalize(path.as_ref()))?;
        st.inodes.get(&id).map(|inode| inode.durable_len as u64)
    }

    /// Test helper (for corruption tests): sets both the live and the durable bytes of the file
    /// `path` (an existing one keeps its inode, so open readers see the new bytes; a missing one
    /// is created) and makes its directory entry durable. Fails if the parent directory is
    /// missing or `path` is a directory.
    pub fn set_file_bytes(&self, path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
        let mut st = self.lock_state();
        let path = normalize(path.as_ref());
        st.check_new_file(&path)?;
        let id = match st.live_entry(&path) {
            Some(id) => id,
            None => {
                let id = st.new_inode(0);
                st.link(&path, id)?;
                id
            }
        };
        let inode = st.inode_mut(id)?;
        inode.live = bytes.to_vec();
        inode.make_durable();
        let (parent, name) = split(&path)?;
        let dir = st.dir_mut(parent).ok_or_else(|| not_found(parent))?;
        if let Some(old) = dir.durable.insert(name, id) {
            if old != id {
                st.collect(old);
            }
        }
        Ok(())
    }
}
