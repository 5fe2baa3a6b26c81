//! The archive's part of the public API.

use super::{ArchiveStats, RestorePoint, Restored};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::key::SequenceNumber;
use crate::Options;
use std::path::Path;
use std::time::Duration;

impl Db {
    /// Builds in the new folder `out` a database holding exactly this one's state at `point`:
    /// the newest base checkpoint taken at or before it, plus the archived and live batches
    /// committed after the base up to the point (`docs/backup.md`). The copy is opened with
    /// `options` (its file system is this database's, and it keeps no archive of its own).
    /// Needs `Options::wal_archive`; a point before the window is [`Error::NotFound`].
    pub fn restore_to(
        &self,
        point: RestorePoint,
        out: impl AsRef<Path>,
        options: Options,
    ) -> Result<Restored> {
        let out = out.as_ref();
        let core = self.core();
        core.check_poison()?;
        let r = core.restore_to(point, out, options);
        if r.is_err() && core.opts.fs.exists(out).unwrap_or(false) {
            // Whatever was made goes; the marker file keeps it from being opened meanwhile.
            let _ = super::remove_dir_all(core.opts.fs.as_ref(), out);
        }
        r
    }

    /// Takes a base checkpoint into the archive now (the archive thread takes one every
    /// `WalArchiveOptions::base_interval`); returns the last sequence it holds.
    pub fn take_archive_base(&self) -> Result<SequenceNumber> {
        let core = self.core();
        let archive = core.archive.as_ref().ok_or_else(no_archive)?;
        core.take_archive_base(archive)
    }

    /// Changes how far back the archive keeps the log (`WalArchiveOptions::retention`),
    /// durably: later opens keep this window whatever their options say, until it is set again.
    /// What falls out of the window goes at the archive thread's next round.
    pub fn set_archive_retention(&self, retention: Duration) -> Result<()> {
        let archive = self.core().archive.as_ref().ok_or_else(no_archive)?;
        archive.set_retention_ms(u64::try_from(retention.as_millis()).unwrap_or(u64::MAX))
    }

    /// Runs one round of the archive's upkeep now (journal sync, retention, a base if due), as
    /// the archive thread does every second.
    pub fn maintain_archive(&self) -> Result<()> {
        let core = self.core();
        core.archive.as_ref().ok_or_else(no_archive)?;
        core.maintain_archive()
    }

    /// What the WAL archive holds (`None` without `Options::wal_archive`).
    pub fn archive_stats(&self) -> Option<ArchiveStats> {
        self.core().archive_stats()
    }
}

fn no_archive() -> Error {
    Error::invalid("the database keeps no WAL archive (Options::wal_archive is not set)")
}
