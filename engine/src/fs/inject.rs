//! What the fault-injecting file systems share (feature `testing`): the operation counter with
//! its armed fault ([`Injector`], so that [`MemFs`](super::MemFs) and
//! [`FaultFs`](super::FaultFs) count and fail operations the same way) and how much of a file's
//! unsynced tail a simulated power loss keeps ([`pick_kept`]). The semantics are in
//! `mem/hooks.rs`.

use crate::util::rand::SplitMix64;
use std::io;

/// How long an armed fault lasts (see [`MemFs::fail_after`](super::MemFs::fail_after)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// Only the chosen operation fails.
    Once,
    /// The chosen operation and every later one fail, until
    /// [`MemFs::clear_faults`](super::MemFs::clear_faults).
    Permanent,
}

#[derive(Clone, Copy)]
struct Fault {
    /// The absolute operation index that fails.
    at: u64,
    mode: FaultMode,
}

/// The operation count and the armed fault of a fault-injecting file system (see the module
/// docs).
#[derive(Default)]
pub(super) struct Injector {
    /// Operations counted since creation.
    ops: u64,
    /// The armed fault, if any.
    fault: Option<Fault>,
    /// A permanent fault fired: every operation fails.
    failing: bool,
    faults_hit: u64,
}

impl Injector {
    /// Counts one operation and fails it if a fault says so.
    pub(super) fn begin_op(&mut self) -> io::Result<()> {
        let index = self.ops;
        self.ops = self.ops.wrapping_add(1);
        if self.failing {
            self.faults_hit = self.faults_hit.wrapping_add(1);
            return Err(injected());
        }
        if let Some(fault) = self.fault {
            if fault.at <= index {
                self.fault = None;
                self.failing = fault.mode == FaultMode::Permanent;
                self.faults_hit = self.faults_hit.wrapping_add(1);
                return Err(injected());
            }
        }
        Ok(())
    }

    /// Arms a fault at the `k`-th operation from now (see `MemFs::fail_after`).
    pub(super) fn fail_after(&mut self, k: u64, mode: FaultMode) {
        self.fault = Some(Fault { at: self.ops.saturating_add(k), mode });
        self.failing = false;
    }

    /// Disarms any fault and ends a permanent failure.
    pub(super) fn clear(&mut self) {
        self.fault = None;
        self.failing = false;
    }

    /// Operations counted so far.
    pub(super) fn ops(&self) -> u64 {
        self.ops
    }

    /// Operations failed by an injected fault so far.
    pub(super) fn faults_hit(&self) -> u64 {
        self.faults_hit
    }
}

fn injected() -> io::Error {
    io::Error::other("injected fault")
}

/// How many of `unsynced` bytes survive a crash: none or all with probability 1/4 each, else
/// uniform in `0..=unsynced`.
pub(super) fn pick_kept(rng: &mut SplitMix64, unsynced: usize) -> usize {
    match rng.next_u64() % 4 {
        0 => 0,
        1 => unsynced,
        _ => {
            let bound = (unsynced as u64).saturating_add(1);
            usize::try_from(rng.next_u64() % bound).unwrap_or(unsynced)
        }
    }
}
