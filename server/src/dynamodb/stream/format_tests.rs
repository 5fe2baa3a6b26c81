//! The worked example of `docs/format/dynamodb.md` ("Stream keyspaces"), byte for byte.

use super::record::Record;
use super::shards::{Generation, ShardRef};
use super::ViewType;
use crate::dynamodb::model::value::{AttrValue, Item};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn worked_example() {
    let g = Generation { number: 1, start: 5, created_ms: 1_765_000_000_000, shards: 4 };
    assert_eq!(hex(&Generation::key(1)), "0000000001");
    assert_eq!(hex(&g.encode()), "050000000000000000b232f29a0100000400d0e08b34");
    let shard = ShardRef { generation: 1, index: 2 };
    assert_eq!(hex(&shard.record_key(7)), "010000000100020000000000000007");
    let keys: Item = [("pk".to_string(), AttrValue::S("a".into()))].into_iter().collect();
    let r =
        Record::of_change(ViewType::KeysOnly, &keys, None, Some(&keys), 1_765_000_000_123, false)
            .unwrap();
    assert_eq!(hex(&r.encode()), "0101007bb232f29a01000008010102706b0101610cc4bbb4");
    assert_eq!(shard.id(g.created_ms), "shardId-00000001765000000000-00010002");
}
