//! Checkpoints taken while writers run open as databases holding exactly the writes up to the
//! sequence number the checkpoint reports.

use shale_engine::{Db, IterOptions, Options};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn checkpoint_under_concurrent_writes_is_a_consistent_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { memtable_bytes_max: 256 << 10, ..Options::default() };
    let db = Db::open(dir.path().join("db"), opts.clone()).unwrap();
    let ks = db.default_keyspace();
    // Sequence numbers start at the first write: key i is written at sequence base + i + 1.
    let base = db.latest_sequence();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, ks, stop) = (db.clone(), ks.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) || i < 20_000 {
                db.put(&ks, format!("key{i:08}").as_bytes(), &i.to_le_bytes()).unwrap();
                i += 1;
            }
            i
        })
    };
    let mut seqs = Vec::new();
    for c in 0..4 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        let seq = db.checkpoint(dir.path().join(format!("cp{c}"))).unwrap();
        seqs.push(seq);
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]));
    for (c, seq) in seqs.iter().enumerate() {
        let cp = Db::open(dir.path().join(format!("cp{c}")), opts.clone()).unwrap();
        let n = seq - base;
        let got: Vec<(Vec<u8>, Vec<u8>)> = cp
            .iter(&cp.default_keyspace(), IterOptions::all())
            .unwrap()
            .map(|kv| kv.unwrap())
            .collect();
        assert_eq!(got.len() as u64, n, "checkpoint {c} at sequence {seq}");
        for (i, (k, v)) in got.iter().enumerate() {
            assert_eq!(k, format!("key{i:08}").as_bytes());
            assert_eq!(v, &(i as u64).to_le_bytes());
        }
        assert_eq!(cp.latest_sequence(), *seq);
        cp.verify().unwrap();
    }
    // The source goes on unaffected, and a checkpoint cannot overwrite a directory.
    assert_eq!(db.iter(&ks, IterOptions::all()).unwrap().count() as u64, written);
    assert!(db.checkpoint(dir.path().join("cp0")).is_err());
}
