use super::model::{ManagedPolicy, PolicyVersion, SessionOf, User};
use super::*;
use crate::iam::seal::Sealer;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};

fn db(fs: &Arc<MemFs>) -> Db {
    Db::open("/db", Options { fs: fs.clone(), ..Options::default() }).unwrap()
}

fn user(name: &str) -> User {
    User {
        name: name.into(),
        id: format!("AIDA{name}"),
        path: "/".into(),
        created: 1,
        inline: Default::default(),
        attached: Default::default(),
        groups: Default::default(),
    }
}

#[test]
fn changes_persist_and_secrets_are_sealed() {
    let fs = Arc::new(MemFs::new());
    let key = [3u8; 32];
    let (id, secret) = {
        let store = Store::open(db(&fs), Sealer::with_key(&key), Account::default()).unwrap();
        let g0 = store.generation();
        let (k, secret) = store
            .change(|e| {
                e.state.users.insert("alice".into(), user("Alice"));
                e.user("Alice");
                e.add_key("Alice", 5)
            })
            .unwrap();
        assert!(store.generation() > g0);
        // The record holds the sealed secret, never the secret.
        let raw = store.db.get(&store.ks, key_key(&k.id).as_bytes()).unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains(&secret));
        let live = store
            .create_session(
                SessionOf::User { name: "Alice".into(), id: "AIDAAlice".into() },
                now_secs() + 60,
            )
            .unwrap();
        assert!(store.session(&live.session.id).is_some());
        store.create_session(SessionOf::Root, now_secs().saturating_sub(1)).unwrap();
        (k.id, secret)
    };
    // Reopened: the same users, keys and live sessions; expired sessions are gone.
    let store = Store::open(db(&fs), Sealer::with_key(&key), Account::default()).unwrap();
    let state = store.state();
    assert_eq!(state.users["alice"].name, "Alice");
    let (k, s) = store.key_secret(&id).unwrap();
    assert_eq!((k.user.as_str(), &*s), ("Alice", secret.as_str()));
    let sessions = store.sessions.read().unwrap();
    assert_eq!(sessions.len(), 1);
    assert!(sessions
        .values()
        .all(|s| s.session.of == SessionOf::User { name: "Alice".into(), id: "AIDAAlice".into() }));
    drop(sessions);
    // Another sealing key cannot open the secrets.
    drop(store);
    assert!(Store::open(db(&fs), Sealer::with_key(&[4; 32]), Account::default()).is_err());
}

#[test]
fn a_failed_change_changes_nothing() {
    let fs = Arc::new(MemFs::new());
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    let g = store.generation();
    let r: Result<(), _> = store.change(|e| {
        e.state.users.insert("bob".into(), user("bob"));
        e.user("bob");
        Err(crate::iam::error::validation("no"))
    });
    assert!(r.is_err());
    assert!(store.state().users.is_empty());
    assert_eq!(store.generation(), g);
    assert!(store.db.get(&store.ks, user_key("bob").as_bytes()).unwrap().is_none());
}

#[test]
fn deleted_entities_are_deleted_on_disk() {
    let fs = Arc::new(MemFs::new());
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    store
        .change(|e| {
            e.state.users.insert("bob".into(), user("bob"));
            e.user("bob");
            Ok(())
        })
        .unwrap();
    store
        .change(|e| {
            e.state.users.remove("bob");
            e.user("bob");
            Ok(())
        })
        .unwrap();
    assert!(store.db.get(&store.ks, user_key("bob").as_bytes()).unwrap().is_none());
    drop(store);
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    assert!(store.state().users.is_empty());
}

/// The worked example of `docs/format/iam.md`.
#[test]
fn the_documented_record_decodes() {
    let doc = include_str!("../../../../docs/format/iam.md");
    let start = doc.find("value {\"name\":\"Alice\"").unwrap() + "value ".len();
    let end = start + doc[start..].find("```").unwrap();
    let json: String = doc[start..end].lines().map(str::trim).collect();
    let u: User = serde_json::from_str(&json).unwrap();
    assert_eq!(u.name, "Alice");
    assert_eq!(u.created, 1_796_515_200);
    assert_eq!(crate::iam::xml::iso8601(u.created), "2026-12-06T00:00:00Z");
    let p = &u.inline["p"];
    crate::iam::policy::Policy::parse(p, crate::iam::policy::PolicyKind::Identity).unwrap();
    assert_eq!(user_key(&u.name), "user/alice");
    // And what the store writes for it reads back the same.
    assert_eq!(serde_json::from_slice::<User>(&serde_json::to_vec(&u).unwrap()).unwrap(), u);
}

fn versioned_policy() -> ManagedPolicy {
    let mut p = ManagedPolicy::new(
        "readers".into(),
        "ANPAREADERS".into(),
        "/".into(),
        10,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#.into(),
        Some("read".into()),
    );
    p.versions.push(PolicyVersion {
        number: 2,
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:Query","Resource":"*"}]}"#.into(),
        created: 20,
    });
    p.versions.push(PolicyVersion { number: 4, document: "{}".into(), created: 40 });
    p.default_version = 2;
    p.last_version = 5;
    p
}

#[test]
fn policy_versions_persist() {
    let fs = Arc::new(MemFs::new());
    let arn = "arn:aws:iam::000000000000:policy/readers";
    {
        let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
        store
            .change(|e| {
                e.state.policies.insert(arn.into(), versioned_policy());
                e.policy(arn);
                Ok(())
            })
            .unwrap();
    }
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    let p = store.state().policies[arn].clone();
    assert_eq!(p, versioned_policy());
    assert_eq!(p.operative().id(), "v2");
    assert!(p.document().contains("dynamodb:Query"));
    assert_eq!(p.updated(), 40);
    // On disk: the default version's document where a one-version policy keeps it.
    let raw = store.db.get(&store.ks, policy_key(arn).as_bytes()).unwrap().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert!(r["document"].as_str().unwrap().contains("dynamodb:Query"));
    assert_eq!(r["default_version"], 2);
    assert_eq!(r["default_created"], 20);
    assert_eq!(r["last_version"], 5);
    let others: Vec<u64> =
        r["versions"].as_array().unwrap().iter().map(|v| v["number"].as_u64().unwrap()).collect();
    assert_eq!(others, [1, 4]);
}

/// A record written before policies had versions (the format this server wrote until then).
const OLD_POLICY_RECORD: &str = r#"{"name":"legacy","id":"ANPALEGACY","path":"/team/","created":1796515200,"document":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"dynamodb:GetItem\",\"Resource\":\"*\"}]}","description":"old"}"#;

#[test]
fn an_old_policy_record_opens_as_one_version() {
    let fs = Arc::new(MemFs::new());
    let arn = "arn:aws:iam::000000000000:policy/team/legacy";
    {
        let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
        let mut batch = WriteBatch::new();
        batch.put(&store.ks, policy_key(arn).as_bytes(), OLD_POLICY_RECORD.as_bytes());
        store.db.write(batch, WriteOptions { sync: true }).unwrap();
    }
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    let p = store.state().policies[arn].clone();
    assert_eq!(
        (p.name.as_str(), p.path.as_str(), p.description.as_deref()),
        ("legacy", "/team/", Some("old"))
    );
    assert_eq!(p.versions.len(), 1);
    let v1 = p.operative();
    assert_eq!((v1.id(), v1.created), ("v1".to_string(), 1_796_515_200));
    assert!(v1.document.contains("dynamodb:GetItem"));
    assert_eq!((p.default_version, p.last_version, p.updated()), (1, 1, 1_796_515_200));
    // Written again (as any change to it writes it), it reads back the same.
    store
        .change(|e| {
            e.policy(arn);
            Ok(())
        })
        .unwrap();
    drop(store);
    let store = Store::open(db(&fs), Sealer::with_key(&[1; 32]), Account::default()).unwrap();
    assert_eq!(store.state().policies[arn], p);
}

#[test]
fn a_policy_record_with_repeated_versions_does_not_load() {
    let mut r: serde_json::Value = serde_json::from_str(OLD_POLICY_RECORD).unwrap();
    r["versions"] = serde_json::json!([{"number": 1, "document": "{}", "created": 1}]);
    let e = serde_json::from_value::<ManagedPolicy>(r.clone()).unwrap_err();
    assert!(e.to_string().contains("two versions"), "{e}");
    r["versions"] = serde_json::json!([{"number": 0, "document": "{}", "created": 1}]);
    assert!(serde_json::from_value::<ManagedPolicy>(r.clone()).is_err());
    // A `last_version` below a version present is raised to it: ids are never given twice.
    r["versions"] = serde_json::json!([{"number": 7, "document": "{}", "created": 1}]);
    r["last_version"] = serde_json::json!(3);
    assert_eq!(serde_json::from_value::<ManagedPolicy>(r).unwrap().last_version, 7);
}

/// The policy worked example of `docs/format/iam.md`.
#[test]
fn the_documented_policy_record_decodes() {
    let doc = include_str!("../../../../docs/format/iam.md");
    let start = doc.find("value {\"name\":\"readers\"").unwrap() + "value ".len();
    let end = start + doc[start..].find("```").unwrap();
    let json: String = doc[start..end].lines().map(str::trim).collect();
    let p: ManagedPolicy = serde_json::from_str(&json).unwrap();
    assert_eq!(p.name, "readers");
    assert_eq!(p.id.len(), 21);
    assert_eq!(crate::iam::xml::iso8601(p.created), "2026-12-06T00:00:00Z");
    assert_eq!(p.operative().id(), "v2");
    assert_eq!(crate::iam::xml::iso8601(p.operative().created), "2026-12-07T00:00:00Z");
    assert_eq!(crate::iam::xml::iso8601(p.updated()), "2026-12-07T00:00:00Z");
    let ids: Vec<String> = p.versions.iter().rev().map(|v| v.id()).collect();
    assert_eq!(ids, ["v2", "v1"]);
    assert_eq!(p.last_version + 1, 4);
    for v in &p.versions {
        crate::iam::policy::Policy::parse(&v.document, crate::iam::policy::PolicyKind::Identity)
            .unwrap();
    }
    assert!(p.document().contains("dynamodb:Query"));
    assert!(!p.version(1).unwrap().document.contains("dynamodb:Query"));
    // What the store writes for it reads back the same, field for field.
    let written: serde_json::Value = serde_json::to_value(&p).unwrap();
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(&json).unwrap());
}
