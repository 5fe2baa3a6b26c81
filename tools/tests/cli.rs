//! Runs the real `shale` binary against a database in a temporary directory.

use std::path::Path;
use std::process::{Command, Output};

fn shale(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shale"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run shale")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let o = shale(db, args);
    assert!(
        o.status.success(),
        "shale {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8 output")
}

#[test]
fn data_commands_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, &["put", "b", "2"]);
    ok(&db, &["put", "a", "1"]);
    ok(&db, &["put", "0x00ff", "0x0102"]);
    ok(&db, &["put", "c", "3"]);
    ok(&db, &["delete", "c"]);
    assert_eq!(ok(&db, &["get", "a"]), "1\n");
    assert_eq!(ok(&db, &["get", "0x00ff"]), "0x0102\n");
    let missing = shale(&db, &["get", "c"]);
    assert_eq!(missing.status.code(), Some(1), "absent key exits 1");
    assert_eq!(ok(&db, &["scan"]), "0x00ff\t0x0102\na\t1\nb\t2\n");
    assert_eq!(ok(&db, &["scan", "--reverse", "--limit", "2"]), "b\t2\na\t1\n");
    assert_eq!(ok(&db, &["scan", "--from", "a", "--to", "b"]), "a\t1\n");
    assert_eq!(ok(&db, &["scan", "--prefix", "b"]), "b\t2\n");
}

#[test]
fn keyspaces_are_separate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, &["create-keyspace", "users"]);
    ok(&db, &["--keyspace", "users", "put", "k", "in-users"]);
    ok(&db, &["put", "k", "in-default"]);
    assert_eq!(ok(&db, &["keyspaces"]), "default\nusers\n");
    assert_eq!(ok(&db, &["--keyspace", "users", "get", "k"]), "in-users\n");
    assert_eq!(ok(&db, &["get", "k"]), "in-default\n");
    ok(&db, &["drop-keyspace", "users"]);
    assert_eq!(ok(&db, &["keyspaces"]), "default\n");
    let o = shale(&db, &["--keyspace", "users", "get", "k"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("keyspace"));
}

#[test]
fn flush_stats_verify_and_dumps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    for i in 0..50 {
        ok(&db, &["put", &format!("key{i:03}"), &format!("value{i}")]);
    }
    ok(&db, &["flush"]);
    let stats = ok(&db, &["stats"]);
    assert!(stats.contains("** keyspace default **"), "{stats}");
    assert!(stats.contains("  L0"), "{stats}");
    let cp = dir.path().join("cp");
    let said = ok(&db, &["checkpoint", cp.to_str().unwrap()]);
    assert!(said.starts_with("checkpoint "), "{said}");
    assert_eq!(ok(&cp, &["get", "key007"]), "value7\n");
    ok(&db, &["compact"]);
    let stats = ok(&db, &["stats"]);
    assert!(stats.contains("  L6       1"), "compact leaves one table in the last level: {stats}");
    assert!(stats.contains("write amplification"), "{stats}");
    let verify = ok(&db, &["verify"]);
    assert!(verify.starts_with("ok: "), "{verify}");
    assert!(verify.contains("50 entries"), "{verify}");
    let manifest = ok(&db, &["manifest-dump"]);
    assert!(manifest.contains("keyspace 0 \"default\""), "{manifest}");
    assert!(manifest.contains(".sst"), "{manifest}");
    // sst-dump of every table; together they hold every key.
    let mut scanned = String::new();
    let mut wal = None;
    for e in std::fs::read_dir(&db).unwrap() {
        let p = e.unwrap().path();
        match p.extension().and_then(|x| x.to_str()) {
            Some("sst") => {
                let out = ok(&db, &["sst-dump", p.to_str().unwrap(), "--scan"]);
                assert!(out.contains("entries"), "{out}");
                scanned.push_str(&out);
            }
            Some("log") => wal = Some(p),
            _ => {}
        }
    }
    for i in 0..50 {
        assert!(scanned.contains(&format!("key{i:03} @")), "key{i:03} missing from sst-dump");
    }
    // The live WAL is empty after an open; write one key and dump it.
    let wal = wal.expect("a WAL file");
    let dump = ok(&db, &["wal-dump", wal.to_str().unwrap()]);
    assert!(dump.contains("records"), "{dump}");
}

/// Values separated into blob files: reads, `verify` (pointers followed), `stats`, `sst-dump`
/// (pointers shown), `blob-dump` (records listed), a checkpoint that carries the blob files, and
/// `verify` failing on a damaged blob file.
#[test]
fn blob_files_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let sep = ["--blob-threshold-bytes", "64"];
    for i in 0..30 {
        let v = if i % 3 == 0 { format!("short{i}") } else { format!("{i:03}").repeat(40) };
        ok(&db, &[&sep[..], &["put", &format!("key{i:03}"), &v]].concat());
    }
    ok(&db, &[&sep[..], &["flush"]].concat());
    assert_eq!(ok(&db, &["get", "key004"]), format!("{}\n", "004".repeat(40)));
    assert_eq!(ok(&db, &["get", "key003"]), "short3\n");
    let verify = ok(&db, &["verify"]);
    assert!(
        // Each command opens the database, and each open flushes what the WAL holds: one
        // blob file per separated put.
        verify.contains("30 entries; 20 blob files, 20 records, 20 pointers followed"),
        "{verify}"
    );
    let stats = ok(&db, &["stats"]);
    assert!(stats.contains("blob files: 20,"), "{stats}");
    let files: Vec<std::path::PathBuf> =
        std::fs::read_dir(&db).unwrap().map(|e| e.unwrap().path()).collect();
    let blobs: Vec<&std::path::PathBuf> =
        files.iter().filter(|p| p.extension().is_some_and(|x| x == "blob")).collect();
    let tables: Vec<&std::path::PathBuf> =
        files.iter().filter(|p| p.extension().is_some_and(|x| x == "sst")).collect();
    let mut dumps = String::new();
    for t in &tables {
        dumps.push_str(&ok(&db, &["sst-dump", t.to_str().unwrap(), "--scan"]));
    }
    assert!(dumps.contains("key004 @") && dumps.contains(" blob  =>  blob file "), "{dumps}");
    assert!(dumps.contains("key003 @") && dumps.contains("=>  short3"), "{dumps}");
    let mut blob = None;
    for b in &blobs {
        let d = ok(&db, &["blob-dump", b.to_str().unwrap(), "--scan"]);
        assert!(d.contains("records              1\n"), "{d}");
        if d.contains("key004  =>  120 bytes") {
            blob = Some(*b);
        }
    }
    let blob = blob.expect("the blob file of key004");
    let cp = dir.path().join("cp");
    ok(&db, &["checkpoint", cp.to_str().unwrap()]);
    assert_eq!(ok(&cp, &["get", "key005"]), format!("{}\n", "005".repeat(40)));
    assert!(ok(&cp, &["verify"]).contains("20 pointers followed"));
    // One flipped byte in a record: verify and blob-dump say so.
    let mut bytes = std::fs::read(blob).unwrap();
    bytes[40] ^= 0x01;
    std::fs::write(blob, bytes).unwrap();
    let o = shale(&db, &["verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stderr).contains("corruption"));
    let o = shale(&db, &["blob-dump", blob.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("checksum"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn verify_finds_a_damaged_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    for i in 0..20 {
        ok(&db, &["put", &format!("key{i:03}"), &"x".repeat(100)]);
    }
    ok(&db, &["flush"]);
    let table = std::fs::read_dir(&db)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sst"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a table");
    let mut bytes = std::fs::read(&table).unwrap();
    bytes[10] ^= 0x40; // inside the first data block
    std::fs::write(&table, bytes).unwrap();
    let o = shale(&db, &["verify"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stderr).contains("corruption"));
}

#[test]
fn bad_input_gets_a_message_and_an_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let o = shale(&db, &["put", "0xabc", "v"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("odd number of digits"));
    let o = shale(&dir.path().join("missing"), &["--no-create", "get", "k"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not found"));
    let o = shale(&db, &["sst-dump", "/nonexistent/000001.sst"]);
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(env!("CARGO_BIN_EXE_shale")).arg("frobnicate").output().unwrap();
    assert_eq!(o.status.code(), Some(2), "clap rejects unknown commands");
}

/// `shale import` then `shale export`: files in DynamoDB's formats become a table of the data
/// directory and come back out, laid out as DynamoDB lays exports out.
#[test]
fn dynamodb_export_and_import_offline() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let bucket = dir.path().join("bucket");
    std::fs::create_dir_all(bucket.join("in")).unwrap();
    let mut lines = String::new();
    for i in 0..2500 {
        lines.push_str(&format!(
            "{{\"Item\":{{\"pk\":{{\"S\":\"k{i:05}\"}},\"n\":{{\"N\":\"{i}\"}},\"g\":{{\"S\":\"g{}\"}}}}}}\n",
            i % 3
        ));
    }
    std::fs::write(bucket.join("in/items.json"), &lines).unwrap();
    let table = |name: &str| {
        format!(
            "{{\"TableName\":\"{name}\",\"KeySchema\":[{{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}}],\
             \"AttributeDefinitions\":[{{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}},\
             {{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}}],\"BillingMode\":\"PAY_PER_REQUEST\",\
             \"GlobalSecondaryIndexes\":[{{\"IndexName\":\"byG\",\"KeySchema\":[{{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}}],\
             \"Projection\":{{\"ProjectionType\":\"ALL\"}}}}]}}"
        )
    };
    let from = bucket.to_str().unwrap();
    let t1 = table("tab1");
    let said = ok(
        &db,
        &[
            "import",
            "--from",
            from,
            "--key-prefix",
            "in/",
            "--input-format",
            "DYNAMODB_JSON",
            "--table-creation-parameters",
            &t1,
        ],
    );
    assert!(said.contains("2500 imported into table tab1, 0 errors"), "{said}");
    // Its export holds the same lines.
    let out = dir.path().join("out");
    let said =
        ok(&db, &["export", "--table", "tab1", "--to", out.to_str().unwrap(), "--prefix", "p"]);
    assert!(said.starts_with("exported 2500 items"), "{said}");
    let folder =
        std::fs::read_dir(out.join("p/AWSDynamoDB")).unwrap().next().unwrap().unwrap().path();
    let manifest = std::fs::read_to_string(folder.join("manifest-files.json")).unwrap();
    let key = manifest.split("\"dataFileS3Key\":\"").nth(1).unwrap().split('"').next().unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(out.join(key)).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    // The same items (as JSON values: member order aside).
    let canonical = |t: &str| {
        let mut v: Vec<String> = t
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(canonical(&text), canonical(&lines));
    // And imports back (gzip), Ion too.
    let data = format!("p/{}/data/", folder.strip_prefix(out.join("p")).unwrap().display());
    let t2 = table("tab2");
    let said = ok(
        &db,
        &[
            "import",
            "--from",
            out.to_str().unwrap(),
            "--key-prefix",
            &data,
            "--input-format",
            "DYNAMODB_JSON",
            "--input-compression-type",
            "GZIP",
            "--table-creation-parameters",
            &t2,
        ],
    );
    assert!(said.contains("2500 imported into table tab2"), "{said}");
    let ion = dir.path().join("ion");
    ok(&db, &["export", "--table", "tab2", "--to", ion.to_str().unwrap(), "--format", "ION"]);
    let t3 = table("tab3");
    let ion_data = std::fs::read_dir(ion.join("AWSDynamoDB")).unwrap().next().unwrap().unwrap();
    let ion_data = format!("AWSDynamoDB/{}/data/", ion_data.file_name().to_str().unwrap());
    let said = ok(
        &db,
        &[
            "import",
            "--from",
            ion.to_str().unwrap(),
            "--key-prefix",
            &ion_data,
            "--input-format",
            "ION",
            "--input-compression-type",
            "GZIP",
            "--table-creation-parameters",
            &t3,
        ],
    );
    assert!(said.contains("2500 imported into table tab3"), "{said}");
    // A bad line: exit 1, the table kept with the rest.
    std::fs::write(bucket.join("bad.json"), "{\"Item\":{\"pk\":{\"S\":\"a\"}}}\nnope\n").unwrap();
    let o = shale(
        &db,
        &[
            "import",
            "--from",
            from,
            "--key-prefix",
            "bad",
            "--input-format",
            "DYNAMODB_JSON",
            "--table-creation-parameters",
            &table("tab4"),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 imported into table tab4, 1 errors"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("failed validation"));
    // A table that exists, a missing folder, a bad format: exit 2, named.
    for (args, says) in [
        (vec!["--from", from, "--input-format", "ION"], "Table already exists"),
        (vec!["--from", "/no/such/folder", "--input-format", "ION"], "no such folder"),
        (vec!["--from", from, "--input-format", "XML"], "inputFormat"),
    ] {
        let mut all = vec!["import"];
        all.extend(args);
        all.extend(["--table-creation-parameters", &t1]);
        let o = shale(&db, &all);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = shale(&db, &["export", "--table", "nope", "--to", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));
}
