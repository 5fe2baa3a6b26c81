use super::model::{SessionOf, User};
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
