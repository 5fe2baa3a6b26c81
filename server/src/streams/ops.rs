//! The Streams API's operations: their inputs (checked with DynamoDB's constraint messages),
//! the caller's authorization on the stream, and their answers.

use super::iterator::ShardIterator;
use crate::dynamodb::access;
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::{
    GET_RECORDS_BYTES_MAX, GET_RECORDS_LIMIT_MAX, SHARD_ITERATOR_LIFETIME, STREAMS_PAGE_MAX,
};
use crate::dynamodb::ops::Gateway;
use crate::dynamodb::request::member::{Member, Str};
use crate::dynamodb::request::{parse, Constraints};
use crate::dynamodb::stream::live::ShardInfo;
use crate::dynamodb::stream::now_ms;
use crate::dynamodb::stream::registry::Entry;
use crate::dynamodb::stream::shards::{format_seq, parse_seq};
use crate::http::trace::{self, Step};
use crate::iam::caller::Caller;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

const STREAM_ARN_LEN: (usize, usize) = (37, 1024);
const SHARD_ID_LEN: (usize, usize) = (28, 65);
const SEQUENCE_NUMBER_LEN: (usize, usize) = (21, 40);
const SHARD_ITERATOR_LEN: (usize, usize) = (1, 2048);
const ITERATOR_TYPES: [&str; 4] =
    ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"];

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
struct ListStreamsShape<'a> {
    table_name: Member<Str<'a>>,
    limit: Member<i64>,
    exclusive_start_stream_arn: Member<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
struct DescribeStreamShape<'a> {
    stream_arn: Member<Str<'a>>,
    limit: Member<i64>,
    exclusive_start_shard_id: Member<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
struct GetShardIteratorShape<'a> {
    stream_arn: Member<Str<'a>>,
    shard_id: Member<Str<'a>>,
    shard_iterator_type: Member<Str<'a>>,
    sequence_number: Member<Str<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
struct GetRecordsShape<'a> {
    shard_iterator: Member<Str<'a>>,
    limit: Member<i64>,
}

/// Adds the length constraint of a string member, when given.
fn length(c: &mut Constraints, at: &str, v: Option<&str>, (min, max): (usize, usize)) {
    if let Some(v) = v {
        c.len(at, &format!("'{v}'"), v.chars().count(), min, max);
    }
}

/// The caller may run `action` on the stream `arn`.
fn authorize(caller: &Caller, action: &str, arn: &str) -> DResult<()> {
    if caller.is_unrestricted() {
        return Ok(());
    }
    trace::step(Step::Authorize, || access::check(caller, action, arn, &caller.context()))
}

/// The stream an API call names (`Invalid StreamArn` for what is not a stream ARN).
fn stream(g: &Gateway, arn: &str) -> DResult<Entry> {
    let prefix = format!("arn:aws:dynamodb:{}:{}:table/", g.options().region, g.options().account);
    let looks_like = arn.starts_with("arn:aws:dynamodb:") && arn.contains("/stream/");
    if !looks_like {
        return Err(validation("Invalid StreamArn"));
    }
    g.streams().get(arn).filter(|_| arn.starts_with(&prefix)).ok_or_else(|| {
        DynamoError::ResourceNotFound(format!(
            "Requested resource not found: Stream: {arn} not found"
        ))
    })
}

fn trimmed() -> DynamoError {
    DynamoError::TrimmedDataAccess("The data you are trying to access has been trimmed".into())
}

fn shard_missing() -> DynamoError {
    DynamoError::ResourceNotFound("Requested resource not found: Shard does not exist".into())
}

pub fn list_streams(g: &Gateway, body: &[u8], caller: &Caller) -> DResult<Json> {
    let w: ListStreamsShape = trace::step(Step::Decode, || parse(body))?;
    let mut c = Constraints::default();
    let table = w.table_name.get("TableName")?;
    if table.is_some() {
        c.table_name("tableName", table.as_deref());
    }
    let limit = w.limit.get("Limit")?;
    c.range("limit", limit, 1, STREAMS_PAGE_MAX);
    let start = w.exclusive_start_stream_arn.get("ExclusiveStartStreamArn")?;
    length(&mut c, "exclusiveStartStreamArn", start.as_deref(), STREAM_ARN_LEN);
    c.finish()?;
    if let Some(s) = start.as_deref() {
        if !s.starts_with("arn:aws:dynamodb:") || !s.contains("/stream/") {
            return Err(validation("Invalid ExclusiveStartStreamArn"));
        }
    }
    trace::step(Step::Authorize, || access::account_wide(caller, "dynamodb:ListStreams"))?;
    let limit = usize::try_from(limit.unwrap_or(STREAMS_PAGE_MAX)).unwrap_or(0);
    let mut matching = g.streams().all().into_iter().filter(|e| {
        table.as_deref().is_none_or(|t| e.meta.table_name == t)
            && start.as_deref().is_none_or(|s| e.meta.arn.as_str() > s)
    });
    let page: Vec<Entry> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    let streams: Vec<Json> = page
        .iter()
        .map(|e| {
            json!({"StreamArn": e.meta.arn, "TableName": e.meta.table_name, "StreamLabel": e.meta.label})
        })
        .collect();
    let mut out = json!({ "Streams": streams });
    if let (true, Some(last), Json::Object(o)) = (more, page.last(), &mut out) {
        o.insert("LastEvaluatedStreamArn".into(), json!(last.meta.arn));
    }
    Ok(out)
}

fn shard_json(s: &ShardInfo) -> Json {
    let mut range = Map::new();
    range.insert("StartingSequenceNumber".into(), json!(format_seq(s.start)));
    if let Some(end) = s.end {
        range.insert(
            "EndingSequenceNumber".into(),
            json!(format_seq(end.saturating_sub(1).max(s.start))),
        );
    }
    let mut o = Map::new();
    o.insert("ShardId".into(), json!(s.id()));
    o.insert("SequenceNumberRange".into(), Json::Object(range));
    if let Some((parent, ms)) = s.parent {
        o.insert("ParentShardId".into(), json!(parent.id(ms)));
    }
    Json::Object(o)
}

pub fn describe_stream(g: &Gateway, body: &[u8], caller: &Caller) -> DResult<Json> {
    let w: DescribeStreamShape = trace::step(Step::Decode, || parse(body))?;
    let mut c = Constraints::default();
    let arn = w.stream_arn.get("StreamArn")?;
    c.not_null("streamArn", arn.as_ref());
    length(&mut c, "streamArn", arn.as_deref(), STREAM_ARN_LEN);
    let limit = w.limit.get("Limit")?;
    c.range("limit", limit, 1, STREAMS_PAGE_MAX);
    let start = w.exclusive_start_shard_id.get("ExclusiveStartShardId")?;
    length(&mut c, "exclusiveStartShardId", start.as_deref(), SHARD_ID_LEN);
    c.finish()?;
    let arn = arn.unwrap_or_default();
    authorize(caller, "dynamodb:DescribeStream", &arn)?;
    let e = stream(g, &arn)?;
    let limit = usize::try_from(limit.unwrap_or(STREAMS_PAGE_MAX)).unwrap_or(0);
    let mut shards = e
        .live
        .shards()
        .into_iter()
        .filter(|s| start.as_deref().is_none_or(|st| s.id().as_str() > st));
    let page: Vec<ShardInfo> = shards.by_ref().take(limit).collect();
    let more = shards.next().is_some();
    let mut keys = vec![json!({"AttributeName": e.meta.hash.name, "KeyType": "HASH"})];
    if let Some(r) = &e.meta.range {
        keys.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
    }
    let mut d = json!({
        "StreamArn": e.meta.arn,
        "StreamLabel": e.meta.label,
        "StreamStatus": if e.meta.disabled.is_some() { "DISABLED" } else { "ENABLED" },
        "StreamViewType": e.meta.view.name(),
        "CreationRequestDateTime": e.meta.created,
        "TableName": e.meta.table_name,
        "KeySchema": keys,
        "Shards": page.iter().map(shard_json).collect::<Vec<_>>(),
    });
    if let (true, Some(last), Json::Object(o)) = (more, page.last(), &mut d) {
        o.insert("LastEvaluatedShardId".into(), json!(last.id()));
    }
    Ok(json!({ "StreamDescription": d }))
}

pub fn get_shard_iterator(g: &Gateway, body: &[u8], caller: &Caller) -> DResult<Json> {
    let w: GetShardIteratorShape = trace::step(Step::Decode, || parse(body))?;
    let mut c = Constraints::default();
    let arn = w.stream_arn.get("StreamArn")?;
    c.not_null("streamArn", arn.as_ref());
    length(&mut c, "streamArn", arn.as_deref(), STREAM_ARN_LEN);
    let shard_id = w.shard_id.get("ShardId")?;
    c.not_null("shardId", shard_id.as_ref());
    length(&mut c, "shardId", shard_id.as_deref(), SHARD_ID_LEN);
    let kind = w.shard_iterator_type.get("ShardIteratorType")?;
    c.not_null("shardIteratorType", kind.as_ref());
    c.one_of("shardIteratorType", kind.as_deref(), &ITERATOR_TYPES);
    let seq = w.sequence_number.get("SequenceNumber")?;
    length(&mut c, "sequenceNumber", seq.as_deref(), SEQUENCE_NUMBER_LEN);
    c.finish()?;
    let kind = kind.unwrap_or_default();
    let at_seq = matches!(&*kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
    let seq = match (seq.as_deref(), at_seq) {
        (None, true) => {
            return Err(validation(format!(
                "A SequenceNumber is required for the ShardIteratorType {kind}"
            )))
        }
        (Some(_), false) => {
            return Err(validation(format!(
                "A SequenceNumber may not be given for the ShardIteratorType {kind}"
            )))
        }
        (Some(s), true) => {
            Some(parse_seq(s).ok_or_else(|| validation(format!("Invalid SequenceNumber: {s}")))?)
        }
        (None, false) => None,
    };
    let arn = arn.unwrap_or_default();
    authorize(caller, "dynamodb:GetShardIterator", &arn)?;
    let e = stream(g, &arn)?;
    let shard = e
        .live
        .shard(&shard_id.unwrap_or_default())
        .map_err(|_| trimmed())?
        .ok_or_else(shard_missing)?;
    let position = match (&*kind, seq) {
        ("TRIM_HORIZON", _) => shard.start,
        ("LATEST", _) => shard.end.unwrap_or_else(|| e.live.watermark().max(shard.start)),
        (_, Some(n)) => {
            // The numbers DescribeStream shows for the shard (an empty closed shard shows its
            // start as its end), and, in an open one, none beyond those handed out.
            let last = match shard.end {
                Some(end) => end.saturating_sub(1).max(shard.start),
                None => e.live.watermark().max(shard.start),
            };
            if n < shard.start || n > last {
                return Err(validation(format!(
                    "The SequenceNumber {} is not in the range of the shard {}",
                    format_seq(n),
                    shard.id()
                )));
            }
            let position = if kind.starts_with("AFTER") { n.saturating_add(1) } else { n };
            // Never past a closed shard's end.
            shard.end.map_or(position, |end| position.min(end))
        }
        _ => return Err(DynamoError::Internal("an iterator type was not checked".into())),
    };
    let it = ShardIterator {
        stream_arn: arn.to_string(),
        shard: shard.shard,
        position,
        issued_ms: now_ms(),
    };
    Ok(json!({ "ShardIterator": it.encode() }))
}

pub fn get_records(g: &Gateway, body: &[u8], caller: &Caller) -> DResult<Json> {
    let started = std::time::Instant::now();
    let w: GetRecordsShape = trace::step(Step::Decode, || parse(body))?;
    let mut c = Constraints::default();
    let given = w.shard_iterator.get("ShardIterator")?;
    c.not_null("shardIterator", given.as_ref());
    length(&mut c, "shardIterator", given.as_deref(), SHARD_ITERATOR_LEN);
    let limit = w.limit.get("Limit")?;
    c.range("limit", limit, 1, GET_RECORDS_LIMIT_MAX);
    c.finish()?;
    let given = given.unwrap_or_default();
    let it = ShardIterator::decode(&given).ok_or_else(|| validation("Invalid ShardIterator"))?;
    authorize(caller, "dynamodb:GetRecords", &it.stream_arn)?;
    let e = stream(g, &it.stream_arn)?;
    let lifetime = u64::try_from(SHARD_ITERATOR_LIFETIME.as_millis()).unwrap_or(u64::MAX);
    if now_ms().saturating_sub(it.issued_ms) > lifetime {
        return Err(DynamoError::ExpiredIterator(
            "The provided iterator exceeds the maximum age allowed.".into(),
        ));
    }
    if e.live.is_trimmed(it.shard) {
        return Err(trimmed());
    }
    let shard =
        e.live.shards().into_iter().find(|s| s.shard == it.shard).ok_or_else(shard_missing)?;
    let limit = usize::try_from(limit.unwrap_or(GET_RECORDS_LIMIT_MAX)).unwrap_or(0);
    let (records, position) =
        e.live.read(g.db(), &shard, it.position, limit, GET_RECORDS_BYTES_MAX)?;
    let bytes = records.iter().map(|(_, r)| r.size_bytes()).sum();
    g.metrics().get_records(&e.meta.table_name, &e.meta.label, records.len(), bytes, started);
    let region = &g.options().region;
    let records: Vec<Json> =
        records.iter().map(|(seq, r)| r.to_json(*seq, &e.meta.arn, e.meta.view, region)).collect();
    let mut out = json!({ "Records": records });
    // A closed shard read to its end has no next iterator.
    let drained = shard.end.is_some_and(|end| position >= end);
    if let (false, Json::Object(o)) = (drained, &mut out) {
        let next = ShardIterator { position, issued_ms: now_ms(), ..it };
        o.insert("NextShardIterator".into(), json!(next.encode()));
    }
    Ok(out)
}
