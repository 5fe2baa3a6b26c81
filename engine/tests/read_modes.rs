//! The same data read back through every SSTable read mode: pread, mmap, io_uring (single reads
//! by pread or on the ring), and pread or io_uring with `O_DIRECT` reads and writes; with and without a block cache, compressed or not;
//! by `get`, `multi_get` and iterators.

use shale_engine::fs::IoBackend;
use shale_engine::sst::Compression;
use shale_engine::{Db, IterOptions, Options};

#[test]
fn every_read_mode_returns_the_same_data() {
    // (name, backend, mmap reads, O_DIRECT)
    let mut modes = vec![
        ("pread", IoBackend::Pread, false, false),
        ("mmap", IoBackend::Pread, true, false),
        ("pread+direct", IoBackend::Pread, false, true),
    ];
    if IoBackend::Uring.file_system().is_ok() {
        modes.push(("io_uring", IoBackend::Uring, false, false));
        modes.push(("io_uring, single reads on the ring", IoBackend::UringAll, false, false));
        modes.push(("io_uring-all+direct", IoBackend::UringAll, false, true));
        modes.push(("io_uring+direct", IoBackend::Uring, false, true));
    } else {
        assert!(std::env::var_os("CI").is_none(), "io_uring must be available in CI");
    }
    for (mode, backend, mmap_reads, direct) in modes {
        for block_cache_bytes in [0, 64 << 10, 8 << 20] {
            for compression in [Compression::None, Compression::Zstd] {
                let dir = tempfile::tempdir().unwrap();
                let mut opts = Options {
                    fs: backend.file_system().unwrap(),
                    mmap_reads,
                    direct_reads: direct,
                    direct_writes: direct,
                    block_cache_bytes,
                    memtable_bytes_max: 64 << 10,
                    // Inline flushes and compactions: the table count cannot change under us.
                    background_flush: false,
                    ..Options::default()
                };
                opts.table.compression = compression;
                let what = format!("{mode}, cache {block_cache_bytes}, {compression:?}");
                let db = Db::open(dir.path(), opts.clone()).unwrap();
                let ks = db.default_keyspace();
                for i in 0..3000u32 {
                    let v = format!("value-{i}-").repeat((i % 7) as usize + 1);
                    db.put(&ks, format!("key{i:05}").as_bytes(), v.as_bytes()).unwrap();
                }
                for i in (0..3000u32).step_by(3) {
                    db.delete(&ks, format!("key{i:05}").as_bytes()).unwrap();
                }
                db.flush().unwrap();
                drop(db);
                let db = Db::open(dir.path(), opts).unwrap();
                let ks = db.default_keyspace();
                let tables: usize = db.stats().keyspaces[0].levels.iter().map(|l| l.files).sum();
                assert!(tables >= 2, "{what}: several tables");
                for i in 0..3000u32 {
                    let got = db.get(&ks, format!("key{i:05}").as_bytes()).unwrap();
                    let want = (i % 3 != 0)
                        .then(|| format!("value-{i}-").repeat((i % 7) as usize + 1).into_bytes());
                    assert_eq!(got, want, "{what}: key {i}");
                }
                // Batches of every size up to 70 (more than one ring submission), with absent
                // and repeated keys.
                let mut start = 0u32;
                for n in 1..=70u32 {
                    let ids: Vec<u32> = (0..n).map(|j| (start + j * 37) % 3100).collect();
                    let names: Vec<String> = ids.iter().map(|i| format!("key{i:05}")).collect();
                    let refs: Vec<&[u8]> = names.iter().map(|k| k.as_bytes()).collect();
                    let got = db.multi_get(&ks, &refs).unwrap();
                    for (i, g) in ids.iter().zip(got) {
                        let want = (i % 3 != 0 && *i < 3000).then(|| {
                            format!("value-{i}-").repeat((i % 7) as usize + 1).into_bytes()
                        });
                        assert_eq!(g, want, "{what}: multi_get of {n}, key {i}");
                    }
                    start += 41;
                }
                let keys: Vec<Vec<u8>> =
                    db.iter(&ks, IterOptions::all()).unwrap().map(|kv| kv.unwrap().0).collect();
                assert_eq!(keys.len(), 2000, "{what}");
                let back: Vec<Vec<u8>> = db
                    .iter(&ks, IterOptions::all().reverse())
                    .unwrap()
                    .map(|kv| kv.unwrap().0)
                    .collect();
                assert_eq!(back.into_iter().rev().collect::<Vec<_>>(), keys, "{what}");
                assert_eq!(db.verify().unwrap().tables, tables);
            }
        }
    }
}
