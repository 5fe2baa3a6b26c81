//! SIGKILL the real server while clients write with the SYNC flag, restart it, and check that
//! every acknowledged write is there. `SHALE_SERVER_KILL_CYCLES` sets the cycle count (default
//! 20).

mod common;

use common::Server;
use shale_server::client::Client;
use shale_server::kv::codec::{BatchOp, ScanRange};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: usize = 4;

#[test]
fn acknowledged_sync_writes_survive_sigkill() {
    let cycles: u64 =
        std::env::var("SHALE_SERVER_KILL_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    // Every acknowledged write: key -> value (the last acknowledged one for that key).
    let acked: Model = Arc::default();
    // Writes whose answer never came (the server died): each may or may not have landed.
    let unsure: Model = Arc::default();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut total_acked = 0usize;
    for cycle in 0..cycles {
        let server = Server::start(Some(dir.path()), &[]);
        // Everything acknowledged before is there, with its last acknowledged value.
        verify(cycle, &contents(&server), &acked, &unsure);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (addr, acked, stop) =
                    (server.addr.clone(), Arc::clone(&acked), Arc::clone(&stop));
                let unsure = Arc::clone(&unsure);
                std::thread::spawn(move || {
                    let Ok(c) = Client::connect_with(addr.as_str(), Some(&common::root())) else {
                        return 0;
                    };
                    let mut n = 0;
                    for i in 0u64.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        // Overwrite a small key set (so values must be the latest acknowledged),
                        // sometimes in a two-key batch.
                        let k = format!("w{w}-{}", i % 50).into_bytes();
                        let v = format!("c{cycle}-{i}").into_bytes();
                        let mut writes = vec![(k.clone(), v.clone())];
                        let result = if i % 7 == 0 {
                            let k2 = format!("w{w}-b{}", i % 13).into_bytes();
                            writes.push((k2.clone(), v.clone()));
                            c.batch(
                                vec![
                                    BatchOp::Put {
                                        keyspace: "default".into(),
                                        key: k,
                                        value: v.clone(),
                                    },
                                    BatchOp::Put { keyspace: "default".into(), key: k2, value: v },
                                ],
                                true,
                            )
                        } else {
                            c.put("default", &k, &v, true)
                        };
                        match result {
                            Ok(()) => {
                                let mut a = acked.lock().unwrap();
                                for (k, v) in writes {
                                    a.insert(k, v);
                                }
                                n += 1;
                            }
                            Err(_) => {
                                // The server died: this write may or may not be there.
                                unsure.lock().unwrap().extend(writes);
                                break;
                            }
                        }
                    }
                    n
                })
            })
            .collect();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(30 + seed % 250));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            total_acked += w.join().unwrap();
        }
    }
    assert!(total_acked > 0, "no write was ever acknowledged");
    // A last restart checks the last cycle's writes.
    let server = Server::start(Some(dir.path()), &[]);
    verify(cycles, &contents(&server), &acked, &unsure);
    eprintln!("{cycles} SIGKILL cycles, {total_acked} acknowledged writes, none lost");
}

type Model = Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>;

/// Every key the writers write, with its value, as the server holds them.
fn contents(server: &Server) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let c = common::kv_client(&server.addr);
    c.scan("default", ScanRange::Prefix(b"w".to_vec()), false, usize::MAX)
        .unwrap()
        .into_iter()
        .collect()
}

/// Checks what the restarted server holds (`all`) against the acknowledged writes: each key holds
/// its last acknowledged value, or the value of a write that was sent but never answered. Then
/// folds what was found into the model and forgets the unanswered writes.
fn verify(cycle: u64, all: &BTreeMap<Vec<u8>, Vec<u8>>, acked: &Model, unsure: &Model) {
    let mut acked = acked.lock().unwrap();
    let mut unsure = unsure.lock().unwrap();
    for (k, v) in acked.iter_mut() {
        let found = all.get(k);
        let ok = found == Some(v) || (found.is_some() && found == unsure.get(k));
        assert!(
            ok,
            "cycle {cycle}: acknowledged write to {k:?} lost: found {found:?}, acknowledged {v:?}"
        );
        if let Some(f) = found {
            *v = f.clone();
        }
    }
    // An unanswered write to a key never acknowledged before may have landed too.
    let fresh: Vec<_> = unsure.iter().filter(|(k, _)| !acked.contains_key(*k)).collect();
    let mut landed = Vec::new();
    for (k, v) in fresh {
        if let Some(f) = all.get(k) {
            assert_eq!(f, v, "cycle {cycle}: {k:?} holds a value nobody wrote");
            landed.push((k.clone(), f.clone()));
        }
    }
    acked.extend(landed);
    unsure.clear();
}
