//! Checkpoints: a consistent, openable copy of the database, taken while writes continue.
//!
//! 1. flush the memtables (so that little WAL is left to copy);
//! 2. under the commit lock (no group is half-written): clone the manifest state — its
//!    `Arc<FileMeta>`s keep every table, and so every blob file its tables point into, from being
//!    removed meanwhile — note the last sequence and the length of every live WAL file;
//! 3. hard-link every table and blob file into the new directory (copy when linking fails, e.g.
//!    across file systems), copy each WAL up to the noted length, fsync them;
//! 4. write a fresh manifest (one snapshot record) and `CURRENT`, fsync the directory.
//!
//! Opening the checkpoint replays the copied WAL: it holds exactly the writes up to the noted
//! sequence, which `checkpoint` returns.
//!
//! A checkpoint of some keyspaces only (`Db::checkpoint_keyspaces`) writes a manifest naming
//! just those (and the default keyspace, empty unless chosen) and links only their files; the
//! WAL tail is copied whole, and its entries for the other keyspaces are skipped on open as
//! those of dropped keyspaces are.

use super::Core;
use crate::error::{Error, Result};
use crate::filename;
use crate::fs::{self, FileSystem};
use crate::key::SequenceNumber;
use crate::wal::LogWriter;
use std::path::Path;

const COPY_CHUNK: usize = 1 << 20;

/// Copies the first `len` bytes of `from` to a new file `to`, and fsyncs it.
pub(crate) fn copy_prefix(fs: &dyn FileSystem, from: &Path, to: &Path, len: u64) -> Result<()> {
    let src = fs.open(from)?;
    let dst = fs.create(to)?;
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut off = 0u64;
    while off < len {
        let want = usize::try_from((len - off).min(COPY_CHUNK as u64)).unwrap_or(COPY_CHUNK);
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let n = src.read_full_at(chunk, off)?;
        if n == 0 {
            return Err(Error::corruption(format!("{} ended while copying it", from.display())));
        }
        dst.append(chunk.get(..n).unwrap_or_default())?;
        off += n as u64;
    }
    dst.sync()?;
    Ok(())
}

impl Core {
    pub(crate) fn checkpoint(&self, out: &Path) -> Result<SequenceNumber> {
        self.checkpoint_of(out, None)
    }

    /// A checkpoint of every keyspace, or of those of `only` (by id).
    pub(crate) fn checkpoint_of(
        &self,
        out: &Path,
        only: Option<&[crate::batch::KeyspaceId]>,
    ) -> Result<SequenceNumber> {
        let fs = self.opts.fs.as_ref();
        if fs.exists(out)? {
            return Err(Error::AlreadyExists(format!("checkpoint directory {}", out.display())));
        }
        self.flush_all()?;
        fs.create_dir_all(out)?;
        let (mut state, seq, wals) = {
            let cs = self.commit.lock().unwrap_or_else(|e| e.into_inner());
            let mut wals = Vec::new();
            for &n in cs.live_wals.range(cs.manifest_state.log_number..) {
                let len = if n == cs.wal_number {
                    cs.wal.len()
                } else {
                    fs.open(&self.dir.join(filename::wal(n)))?.len()?
                };
                wals.push((n, len));
            }
            (cs.manifest_state.clone(), cs.last_seq, wals)
        };
        if let Some(only) = only {
            let kept = |id: &crate::batch::KeyspaceId| only.contains(id);
            let missing: Vec<_> =
                only.iter().filter(|id| !state.keyspaces.contains_key(id)).collect();
            if !missing.is_empty() {
                return Err(Error::KeyspaceDropped(format!("keyspace ids {missing:?}")));
            }
            // The default keyspace stays (every database has it), empty unless chosen.
            state.keyspaces.retain(|id, _| kept(id) || *id == 0);
            state.files.retain(|id, _| kept(id));
            state.blobs.retain(|id, _| kept(id));
            state.keyspace_logs.retain(|id, _| kept(id) || *id == 0);
        }
        let tables = state.live_files().map(filename::table);
        let blobs = state.live_blob_files().map(filename::blob);
        for name in tables.chain(blobs).collect::<Vec<_>>() {
            let (from, to) = (self.dir.join(&name), out.join(&name));
            if fs.hard_link(&from, &to).is_err() {
                let len = fs.open(&from)?.len()?;
                copy_prefix(fs, &from, &to, len)?;
            }
        }
        for (n, len) in &wals {
            let name = filename::wal(*n);
            copy_prefix(fs, &self.dir.join(&name), &out.join(&name), *len)?;
        }
        let manifest_number = self.next_file.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        state.next_file = state.next_file.max(manifest_number + 1);
        state.last_sequence = seq;
        let name = filename::manifest(manifest_number);
        let mut manifest = LogWriter::new(fs.create(&out.join(&name))?);
        manifest.add_records(&[&state.snapshot().encode()])?;
        manifest.sync()?;
        fs::write_file_atomic(fs, out, filename::CURRENT, format!("{name}\n").as_bytes())?;
        fs.sync_dir(out)?;
        Ok(seq)
    }
}
