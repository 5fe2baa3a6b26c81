//! DynamoDB's limits, in one place: the bounds the service enforces, each with DynamoDB's
//! value (or, where DynamoDB states none, the bound this server sets and why). Every check of a
//! request against a limit names its constant here.

use std::time::Duration;

// Tables.

/// Most tables (DynamoDB's default account quota is 2500 per region).
pub const TABLES_MAX: usize = 2500;
/// Largest provisioned capacity accepted (DynamoDB's default per-table quota is 40,000).
pub const CAPACITY_MAX: i64 = 40_000;
/// ListTables pages hold at most this many names.
pub const LIST_TABLES_LIMIT_MAX: i64 = 100;
/// Table names: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
pub const TABLE_NAME_LEN_MIN: usize = 3;
/// Longest table name.
pub const TABLE_NAME_LEN_MAX: usize = 255;

// Tags.

/// Most tags on one table (DynamoDB's 50; a TagResource that would take a table past it, and an
/// UntagResource naming more keys, are refused).
pub const TAGS_PER_RESOURCE_MAX: usize = 50;
/// Longest tag key, in Unicode characters (DynamoDB's 128).
pub const TAG_KEY_LEN_MAX: usize = 128;
/// Longest tag value, in Unicode characters (DynamoDB's 256; a value may be empty).
pub const TAG_VALUE_LEN_MAX: usize = 256;
/// Longest `ResourceArn` (the model's).
pub const RESOURCE_ARN_LEN_MAX: usize = 1283;
/// Most tags one ListTagsOfResource page holds: every tag a table may have, so one page holds
/// them all (DynamoDB answers 50 tags without a `NextToken`).
pub const LIST_TAGS_PAGE_MAX: usize = TAGS_PER_RESOURCE_MAX;

// Items.

/// Partition key values are at most 2048 bytes, sort key values 1024 (DynamoDB's limits).
pub const PARTITION_KEY_LEN_MAX: usize = 2048;
/// Longest sort key value.
pub const SORT_KEY_LEN_MAX: usize = 1024;
/// Deepest nesting of maps and lists DynamoDB accepts.
pub const ATTRIBUTE_NESTING_MAX: usize = 32;
/// The longest attribute name (and key of a map value), in bytes; key attributes are bounded
/// by [`KEY_ATTRIBUTE_NAME_LEN_MAX`] through the key schema.
pub const ATTRIBUTE_NAME_LEN_MAX: usize = 65535;
/// The longest name of a key attribute (of the table or an index) and of an attribute an
/// index projects, in bytes (the model's `KeySchemaAttributeName`, `NonKeyAttributeName`).
pub const KEY_ATTRIBUTE_NAME_LEN_MAX: usize = 255;
/// Largest item (DynamoDB's 400 KB).
pub const ITEM_SIZE_MAX: usize = 400 * 1024;

// Expressions.

/// Longest expression DynamoDB accepts (4 KB).
pub const EXPRESSION_LEN_MAX: usize = 4096;
/// Deepest document path (DynamoDB's nesting limit).
pub const PATH_DEPTH_MAX: usize = 32;
/// Deepest nesting of parentheses, NOT and function calls an expression may have. DynamoDB
/// states no such limit (its 4 KB length bound is the practical one); this bound keeps parsing
/// and evaluation off deep recursion.
pub const EXPRESSION_NESTING_MAX: usize = 100;
/// Most operators and functions one expression may have (DynamoDB's limit).
pub const OPERATORS_MAX: usize = 300;
/// Most operands of IN, the one on its left included (DynamoDB's limit: its documentation
/// says 100 on the right, but DynamoDB takes 99).
pub const IN_OPERANDS_MAX: usize = 100;

// Query and Scan.

/// A page holds at most this many bytes of items read (DynamoDB's 1 MB).
pub const PAGE_BYTES_MAX: usize = 1024 * 1024;
/// Most segments of a parallel Scan (DynamoDB's limit).
pub const TOTAL_SEGMENTS_MAX: i64 = 1_000_000;

// Batches and transactions.

/// Most keys one BatchGetItem reads.
pub const BATCH_GET_KEYS_MAX: usize = 100;
/// Most requests one BatchWriteItem holds.
pub const BATCH_WRITE_REQUESTS_MAX: usize = 25;
/// BatchGetItem returns at most this many bytes of items (DynamoDB's 16 MB).
pub const BATCH_GET_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Most actions in one transaction.
pub const TRANSACT_ITEMS_MAX: usize = 100;
/// How long a ClientRequestToken is remembered.
pub const TOKEN_TTL: Duration = Duration::from_secs(600);
/// Most tokens remembered at once (the oldest are forgotten first beyond this).
pub const TOKENS_MAX: usize = 100_000;
/// Longest ClientRequestToken.
pub const TOKEN_LEN_MAX: usize = 36;

/// Local secondary indexes per table.
pub const LOCAL_INDEXES_MAX: usize = 5;
/// Global secondary indexes per table.
pub const GLOBAL_INDEXES_MAX: usize = 20;
/// Length of an index name, in bytes.
pub const INDEX_NAME_LEN_MIN: usize = 3;
pub const INDEX_NAME_LEN_MAX: usize = 255;
/// `NonKeyAttributes` of one index's projection.
pub const NON_KEY_ATTRIBUTES_MAX: usize = 20;
/// Projected non-key attributes over all of a table's indexes.
pub const PROJECTED_ATTRIBUTES_MAX: usize = 100;
/// Items a backfill copies into a new index per batch (and per stored progress step).
pub const BACKFILL_CHUNK_ITEMS: usize = 1000;
/// Default pace of a backfill, in items a second (`--dynamodb-backfill-items-per-sec`).
pub const BACKFILL_ITEMS_PER_SEC_DEFAULT: u64 = 20_000;
/// Largest item collection (the items of one partition plus their local index entries) of a
/// table with local secondary indexes: DynamoDB's 10 GB.
pub const ITEM_COLLECTION_BYTES_MAX: u64 = 10 * 1024 * 1024 * 1024;

/// How often a stream starts a new generation of shards by default (DynamoDB: about every 4
/// hours).
pub const STREAM_SHARD_ROLLOVER_DEFAULT: std::time::Duration =
    std::time::Duration::from_secs(4 * 3600);
/// Most records one GetRecords returns (DynamoDB's 1,000).
pub const GET_RECORDS_LIMIT_MAX: i64 = 1000;
/// Most bytes of records one GetRecords returns (DynamoDB's 1 MB).
pub const GET_RECORDS_BYTES_MAX: usize = 1024 * 1024;
/// Most shards one DescribeStream returns, and most streams one ListStreams returns (100).
pub const STREAMS_PAGE_MAX: i64 = 100;
/// How long a shard iterator is good for (DynamoDB's 15 minutes).
pub const SHARD_ITERATOR_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// How often the TTL expirer looks for expired items by default (`--ttl-scan-interval`):
/// seconds, so a local user sees expiry at once (DynamoDB takes up to days).
pub const TTL_SCAN_INTERVAL_DEFAULT: std::time::Duration = std::time::Duration::from_secs(10);
/// How soon a table's TTL setting may change again by default (DynamoDB's hour).
pub const TTL_CHANGE_COOLDOWN_DEFAULT: std::time::Duration = std::time::Duration::from_secs(3600);
/// Most items the TTL expirer examines a second by default, over all tables.
pub const TTL_ITEMS_PER_SEC_DEFAULT: u64 = 20_000;
/// Items whose TTL is further in the past than this are not expired (DynamoDB's five years:
/// such a value is taken for a mistake, not a deadline).
pub const TTL_PAST_MAX_SECS: f64 = 5.0 * 365.0 * 86_400.0;
/// Decreases of provisioned throughput a table (or global index) may make any time in a UTC
/// day (DynamoDB's); after them, one an hour.
pub const THROUGHPUT_DECREASES_PER_DAY: i64 = 4;
