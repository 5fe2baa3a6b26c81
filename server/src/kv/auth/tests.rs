use super::*;
use crate::iam::seal::Sealer;
use crate::iam::store::model::{KeyStatus, SessionOf, User};
use crate::iam::store::root::RootCredentials;
use crate::iam::store::{now_secs, Account, LiveSession, Store};
use crate::kv::codec::{decode_response_frame, FRAME_LEN_MAX_DEFAULT};
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};

const ROOT_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const ROOT_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const NONCE: [u8; NONCE_LEN] = [9; NONCE_LEN];

fn authenticator() -> Arc<Authenticator> {
    let db = Db::open("/db", Options { fs: Arc::new(MemFs::new()), ..Options::default() }).unwrap();
    let store = Store::open(db, Sealer::ephemeral().unwrap(), Account::default()).unwrap();
    let root = RootCredentials::new(ROOT_ID.into(), ROOT_SECRET.into()).unwrap();
    Arc::new(Authenticator::new(Arc::new(store), root))
}

fn gate(auth: &Arc<KvAuth>, version: u16) -> Gate {
    let nonce = (version >= codec::VERSION).then_some(NONCE);
    Gate::new(Arc::clone(auth), version, nonce, Some([127, 0, 0, 1].into()), false)
}

fn auth(id: &str, secret: &str, token: Option<&str>) -> Request {
    Request::Auth(AuthRequest::sign(id, secret, token, &NONCE))
}

fn get(keyspace: &str) -> Request {
    Request::Get { keyspace: keyspace.into(), key: b"k".to_vec() }
}

/// What the gate did: served, or the error code and message it answered, and whether it closes.
#[derive(Debug, PartialEq)]
enum Seen {
    Served,
    Done,
    Error { code: ErrorCode, message: String, closes: bool },
}

fn admit(g: &mut Gate, req: Request) -> Seen {
    let (frame, closes) = match g.admit(7, req) {
        Admit::Serve(_) => return Seen::Served,
        Admit::Answer(f) => (f, false),
        Admit::Close(f) => (f, true),
    };
    let (h, r) = decode_response_frame(&frame, FRAME_LEN_MAX_DEFAULT).unwrap();
    assert_eq!(h.id, 7);
    match r {
        Response::Done => {
            assert!(!closes);
            Seen::Done
        }
        Response::Error { code, message } => Seen::Error { code, message, closes },
        other => panic!("{other:?}"),
    }
}

fn failed(message: &str) -> Seen {
    Seen::Error { code: ErrorCode::AuthFailed, message: message.into(), closes: true }
}

fn code(s: &Seen) -> Option<ErrorCode> {
    match s {
        Seen::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[test]
fn the_root_authenticates_and_is_allowed_everything() {
    let kv = Arc::new(KvAuth::SigV4(authenticator()));
    assert!(kv.refuses(codec::VERSION_1) && !kv.refuses(codec::VERSION));
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(g.frame_len_max(1 << 24), codec::AUTH_FRAME_LEN_MAX);
    assert_eq!(admit(&mut g, auth(ROOT_ID, ROOT_SECRET, None)), Seen::Done);
    assert_eq!(g.frame_len_max(1 << 24), 1 << 24);
    for req in [get("any"), Request::Stats, Request::ListKeyspaces, Request::Ping(vec![])] {
        assert_eq!(admit(&mut g, req), Seen::Served);
    }
    // A second AUTH is refused, and the connection stays open.
    let again = admit(&mut g, auth(ROOT_ID, ROOT_SECRET, None));
    assert_eq!(
        again,
        Seen::Error {
            code: ErrorCode::InvalidArgument,
            message: MSG_ALREADY_AUTHENTICATED.into(),
            closes: false
        }
    );
}

#[test]
fn nothing_is_served_before_auth_and_bad_credentials_close() {
    let kv = Arc::new(KvAuth::SigV4(authenticator()));
    let mut g = gate(&kv, codec::VERSION);
    let before = admit(&mut g, Request::Ping(vec![]));
    assert_eq!(
        before,
        Seen::Error {
            code: ErrorCode::AuthRequired,
            message: MSG_AUTH_REQUIRED.into(),
            closes: true
        }
    );
    for bad in [
        auth("AKIAUNKNOWNKEY000000", ROOT_SECRET, None),
        auth(ROOT_ID, "wrong", None),
        // A token for long-term credentials.
        auth(ROOT_ID, ROOT_SECRET, Some("token")),
        // A signature over another nonce.
        Request::Auth(AuthRequest::sign(ROOT_ID, ROOT_SECRET, None, &[8; NONCE_LEN])),
        // A truncated signature.
        Request::Auth(AuthRequest {
            access_key_id: ROOT_ID.into(),
            session_token: None,
            signature: codec::auth_signature(ROOT_SECRET.as_bytes(), &NONCE, ROOT_ID)[..31]
                .to_vec(),
        }),
    ] {
        let mut g = gate(&kv, codec::VERSION);
        assert_eq!(admit(&mut g, bad), failed(MSG_AUTH_FAILED));
        assert!(!g.authenticated());
    }
    // A version-1 connection (refused at the handshake) cannot authenticate either.
    let mut g = gate(&kv, codec::VERSION_1);
    assert_eq!(admit(&mut g, auth(ROOT_ID, ROOT_SECRET, None)), failed(MSG_AUTH_FAILED));
}

fn session(a: &Authenticator, expires: u64) -> LiveSession {
    a.store().create_session(SessionOf::Root, expires).unwrap()
}

#[test]
fn temporary_credentials_need_their_token_and_expire() {
    let a = authenticator();
    let kv = Arc::new(KvAuth::SigV4(Arc::clone(&a)));
    let live = session(&a, now_secs() + 3600);
    let (id, secret, token) = (&live.session.id, &*live.secret, &*live.token);
    for (tok, ok) in [(None, false), (Some("wrong"), false), (Some(token), true)] {
        let mut g = gate(&kv, codec::VERSION);
        let seen = admit(&mut g, auth(id, secret, tok));
        assert_eq!(seen == Seen::Done, ok, "{tok:?}: {seen:?}");
        if !ok {
            assert_eq!(seen, failed(MSG_AUTH_FAILED));
        }
    }
    // Expired: said only to a caller whose signature is right.
    let old = session(&a, now_secs() - 10);
    let mut g = gate(&kv, codec::VERSION);
    let seen = admit(&mut g, auth(&old.session.id, &old.secret, Some(&old.token)));
    assert_eq!(seen, failed(MSG_EXPIRED));
    let mut g = gate(&kv, codec::VERSION);
    let seen = admit(&mut g, auth(&old.session.id, "wrong", Some(&old.token)));
    assert_eq!(seen, failed(MSG_AUTH_FAILED));
    // Credentials that expire while the connection is open stop working then.
    let short = session(&a, now_secs() + 1);
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(
        admit(&mut g, auth(&short.session.id, &short.secret, Some(&short.token))),
        Seen::Done
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(admit(&mut g, get("default")), failed(MSG_EXPIRED));
}

const READ_ORDERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["shale:Get","shale:Write"],"Resource":"arn:shale:kv:us-east-1:000000000000:keyspace/orders"}]}"#;

/// Creates user `name` with inline policy `policy` and an access key; returns the key.
fn user(a: &Authenticator, name: &str, policy: &str) -> (String, String) {
    let (key, secret) = a
        .store()
        .change(|e| {
            let mut inline = std::collections::BTreeMap::new();
            inline.insert("p".to_string(), policy.to_string());
            let u = User {
                name: name.into(),
                id: format!("AIDA{}", name.to_uppercase()),
                path: "/".into(),
                created: 1,
                inline,
                attached: Default::default(),
                groups: Default::default(),
            };
            e.state.users.insert(name.to_lowercase(), u);
            e.user(name);
            e.add_key(name, 1)
        })
        .unwrap();
    (key.id, secret)
}

fn set_policy(a: &Authenticator, name: &str, policy: &str) {
    a.store()
        .change(|e| {
            if let Some(u) = e.state.users.get_mut(&name.to_lowercase()) {
                u.inline.insert("p".into(), policy.into());
            }
            e.user(name);
            Ok(())
        })
        .unwrap();
}

#[test]
fn policies_decide_each_request_and_follow_iam_changes() {
    let a = authenticator();
    let kv = Arc::new(KvAuth::SigV4(Arc::clone(&a)));
    let (id, secret) = user(&a, "alice", READ_ORDERS);
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(admit(&mut g, auth(&id, &secret, None)), Seen::Done);
    assert_eq!(admit(&mut g, get("orders")), Seen::Served);
    assert_eq!(admit(&mut g, Request::Ping(b"p".to_vec())), Seen::Served);
    let denied = admit(&mut g, get("users"));
    assert_eq!(
        denied,
        Seen::Error {
            code: ErrorCode::AccessDenied,
            message: "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: \
                      shale:Get on resource: arn:shale:kv:us-east-1:000000000000:keyspace/users \
                      because no identity-based policy allows the shale:Get action"
                .into(),
            closes: false
        }
    );
    let put = Request::Put { keyspace: "orders".into(), key: b"k".to_vec(), value: vec![] };
    assert_eq!(code(&admit(&mut g, put)), Some(ErrorCode::AccessDenied));
    assert_eq!(code(&admit(&mut g, Request::ListKeyspaces)), Some(ErrorCode::AccessDenied));
    // A batch needs shale:Write on every keyspace it touches.
    let op = |ks: &str| BatchOp::Delete { keyspace: ks.into(), key: b"k".to_vec() };
    assert_eq!(admit(&mut g, Request::Batch(vec![op("orders"), op("orders")])), Seen::Served);
    let mixed = admit(&mut g, Request::Batch(vec![op("orders"), op("users")]));
    assert!(
        matches!(&mixed, Seen::Error { code: ErrorCode::AccessDenied, message, closes: false }
            if message.contains("shale:Write on resource: arn:shale:kv:us-east-1:000000000000:keyspace/users")),
        "{mixed:?}"
    );
    // A policy change applies to the open connection's next request.
    set_policy(
        &a,
        "alice",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"shale:*","Resource":"*"},{"Effect":"Deny","Action":"shale:Get","Resource":"*"}]}"#,
    );
    let denied = admit(&mut g, get("orders"));
    assert!(
        matches!(&denied, Seen::Error { message, .. } if message.ends_with("with an explicit deny in an identity-based policy")),
        "{denied:?}"
    );
    assert_eq!(admit(&mut g, Request::ListKeyspaces), Seen::Served);
    // A key made inactive closes the connection at its next request.
    a.store()
        .change(|e| {
            e.set_key_status(&id, KeyStatus::Inactive);
            Ok(())
        })
        .unwrap();
    assert_eq!(admit(&mut g, Request::Ping(vec![])), failed(MSG_AUTH_FAILED));
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(admit(&mut g, auth(&id, &secret, None)), failed(MSG_AUTH_FAILED));
}

#[test]
fn without_authentication_everyone_may_do_everything() {
    let kv = Arc::new(KvAuth::None { account: "000000000000".into() });
    assert!(!kv.refuses(codec::VERSION_1));
    // Version 1: no AUTH.
    let mut g = gate(&kv, codec::VERSION_1);
    assert!(g.authenticated());
    assert_eq!(admit(&mut g, Request::Stats), Seen::Served);
    // Version 2: AUTH with any credentials.
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(code(&admit(&mut g, get("x"))), Some(ErrorCode::AuthRequired));
    let mut g = gate(&kv, codec::VERSION);
    assert_eq!(admit(&mut g, auth("anything", "at all", Some("t"))), Seen::Done);
    assert_eq!(admit(&mut g, Request::DropKeyspace("x".into())), Seen::Served);
}

#[test]
fn each_op_names_its_action() {
    let scan = codec::Scan {
        keyspace: "s".into(),
        range: codec::ScanRange::Prefix(vec![]),
        limit: 0,
        reverse: false,
        token: None,
    };
    type Needs<'a> = Vec<(&'a str, Option<&'a str>)>;
    let cases: Vec<(Request, Needs)> = vec![
        (Request::Ping(vec![]), vec![]),
        (get("g"), vec![("shale:Get", Some("g"))]),
        (
            Request::MultiGet { keyspace: "m".into(), keys: vec![] },
            vec![("shale:MultiGet", Some("m"))],
        ),
        (
            Request::Put { keyspace: "p".into(), key: vec![], value: vec![] },
            vec![("shale:Put", Some("p"))],
        ),
        (Request::Delete { keyspace: "d".into(), key: vec![] }, vec![("shale:Delete", Some("d"))]),
        (
            Request::Batch(vec![
                BatchOp::Put { keyspace: "b".into(), key: vec![], value: vec![] },
                BatchOp::Delete { keyspace: "a".into(), key: vec![] },
                BatchOp::Delete { keyspace: "b".into(), key: vec![] },
            ]),
            vec![("shale:Write", Some("b")), ("shale:Write", Some("a"))],
        ),
        (Request::Scan(scan), vec![("shale:Scan", Some("s"))]),
        (Request::CreateKeyspace("c".into()), vec![("shale:CreateKeyspace", Some("c"))]),
        (Request::DropKeyspace("c".into()), vec![("shale:DropKeyspace", Some("c"))]),
        (Request::ListKeyspaces, vec![("shale:ListKeyspaces", None)]),
        (Request::Stats, vec![("shale:Stats", None)]),
        (auth("a", "b", None), vec![]),
    ];
    for (req, want) in cases {
        assert_eq!(requirements(&req), want, "{req:?}");
    }
    assert_eq!(
        keyspace_arn("eu-west-1", "000000000000", "t"),
        "arn:shale:kv:eu-west-1:000000000000:keyspace/t"
    );
}
