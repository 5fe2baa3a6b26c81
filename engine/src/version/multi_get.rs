//! [`multi_get`]: the table side of `Db::multi_get` — point lookups of a batch of keys whose
//! data-block reads go out together.
//!
//! The lookup walks the levels as [`super::get`] does, but a batch at a time: each L0 table
//! (newest first) is one round, then each deeper level. In a round every key still unresolved
//! picks its table (key range, then bloom filter, then index block) and so its data block;
//! blocks in the block cache are used at once, and every other block of the round is read in one
//! [`FileSystem::read_many`] call (one io_uring submission for up to 64 blocks; RocksDB's
//! `MultiGet` does the same). A block wanted by several keys is read once. Keys found (a value
//! or a tombstone) leave the batch; the rest go on to the next round.

use super::{covers, TableCache};
use crate::error::{Error, Result};
use crate::fs::ReadRequest;
use crate::key::{Lookup, SequenceNumber};
use crate::manifest::{FileMeta, LevelFiles};
use crate::perf::{self, Stat};
use crate::sst::block::Block;
use crate::sst::{BlockHandle, Table};
use std::collections::HashMap;
use std::sync::Arc;

/// Looks up every `keys[i]` whose `found[i]` is `None` (the memtables did not resolve it) in the
/// tables of `files` as of `seq`, writing what it finds to `found[i]`.
pub fn multi_get(
    tables: &TableCache,
    files: &LevelFiles,
    keys: &[&[u8]],
    seq: SequenceNumber,
    found: &mut [Option<Lookup>],
) -> Result<()> {
    let mut levels = files.iter();
    if let Some(l0) = levels.next() {
        for meta in l0.iter().filter(|m| m.smallest_seq <= seq) {
            round(tables, keys, seq, found, |k| covers(meta, k).then_some(meta))?;
        }
    }
    for level in levels {
        if level.is_empty() {
            continue;
        }
        round(tables, keys, seq, found, |k| {
            let i = level.partition_point(|m| m.largest_user_key() < k);
            level.get(i).filter(|m| covers(m, k)).map(|m| &**m)
        })?;
    }
    Ok(())
}

/// One round: each unresolved key looks in the table `pick` gives it (if any).
fn round<'a>(
    tables: &TableCache,
    keys: &[&[u8]],
    seq: SequenceNumber,
    found: &mut [Option<Lookup>],
    pick: impl Fn(&[u8]) -> Option<&'a FileMeta>,
) -> Result<()> {
    // Each unresolved key's table and data block.
    let mut wants: Vec<(usize, Arc<Table>, BlockHandle)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if found.get(i).is_some_and(|f| f.is_none()) {
            if let Some(meta) = pick(key) {
                let table = tables.table(meta)?;
                if let Some(h) = table.locate(key, seq)? {
                    wants.push((i, table, h));
                }
            }
        }
    }
    if wants.is_empty() {
        return Ok(());
    }
    let blocks = load_blocks(tables, &wants)?;
    for (i, table, h) in &wants {
        let (Some(key), Some(block)) = (keys.get(*i), blocks.get(&(table.number(), h.offset)))
        else {
            continue;
        };
        if let Some(hit) = table.search_block(block, key, seq)? {
            if let Some(slot) = found.get_mut(*i) {
                *slot = Some(hit);
            }
        }
    }
    Ok(())
}

/// The blocks `wants` name, by (table number, block offset): from the block cache where it
/// has them, the others read in one batch.
fn load_blocks(
    tables: &TableCache,
    wants: &[(usize, Arc<Table>, BlockHandle)],
) -> Result<HashMap<(u64, u64), Arc<Block>>> {
    let mut blocks: HashMap<(u64, u64), Arc<Block>> = HashMap::with_capacity(wants.len());
    let mut missing: Vec<(&Arc<Table>, BlockHandle)> = Vec::new();
    for (_, table, h) in wants {
        let id = (table.number(), h.offset);
        if blocks.contains_key(&id) || missing.iter().any(|(t, m)| (t.number(), m.offset) == id) {
            continue;
        }
        match table.cached_block(*h) {
            Some(b) => {
                blocks.insert(id, b);
            }
            None => missing.push((table, *h)),
        }
    }
    if missing.is_empty() {
        return Ok(blocks);
    }
    let mut spans = Vec::with_capacity(missing.len());
    for (table, h) in &missing {
        spans.push(table.block_read(*h)?);
    }
    let mut bufs: Vec<Vec<u8>> = spans.iter().map(|&(_, _, len)| vec![0u8; len]).collect();
    let bufs_len = bufs.iter().map(|b| b.len() as u64).sum();
    let mut reqs: Vec<ReadRequest<'_>> = spans
        .iter()
        .zip(bufs.iter_mut())
        .map(|(&(file, offset, _), buf)| ReadRequest { file, offset, buf: buf.as_mut_slice() })
        .collect();
    let read = perf::timer();
    let results = tables.fs().read_many(&mut reqs);
    read.stop(Stat::FileReadNanos);
    perf::count(Stat::FileReads, reqs.len() as u64);
    perf::count(Stat::FileReadBytes, bufs_len);
    drop(reqs);
    for (((table, h), buf), res) in missing.iter().zip(&bufs).zip(results) {
        let n = res?;
        if n != buf.len() {
            return Err(Error::corruption(format!(
                "sst {}: file ends inside the block at {} of {} bytes",
                table.number(),
                h.offset,
                buf.len()
            )));
        }
        blocks.insert((table.number(), h.offset), table.block_from(*h, buf)?);
    }
    Ok(blocks)
}
