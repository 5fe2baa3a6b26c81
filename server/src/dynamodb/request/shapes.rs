//! The request shapes of the DynamoDB API (2012-08-10), as botocore's service model names
//! them, decoded straight from a request body by `serde` (one pass, strings borrowed from the
//! body, attribute values validated as they are read). Every member is a [`Member`], so a value
//! of the wrong type is reported when the operation checks it, in DynamoDB's order; a member
//! not listed here is not read.
//!
//! A member given twice anywhere in a shape is refused (`serde`'s derive refuses it; no SDK
//! sends one).
//!
//! Operations that share their decoding share a shape holding the union of their members:
//! [`ItemWrite`] (PutItem, UpdateItem, DeleteItem), [`Walk`] (Query, Scan), [`TransactAction`]
//! (the four actions of TransactWriteItems). Each operation reads only its own members.

use super::member::{structure, Map, Member, Str};
use crate::dynamodb::model::value::decode::Decoded;
use crate::dynamodb::model::value::{AttrValue, Item};
use serde::Deserialize;
use serde_json::Value as Json;

/// `ExpressionAttributeNames`: placeholder → attribute name (each value must be a string).
pub type Names<'a> = Map<'a, Member<Str<'a>>>;
/// `ExpressionAttributeValues`: placeholder → attribute value, validated as read.
pub type Values<'a> = Map<'a, ValueMember>;

/// An `ExpressionAttributeValues` entry: any JSON (`null` included) is decoded as an attribute
/// value, and refused if it is not one.
#[derive(Debug)]
pub struct ValueMember(pub Decoded<AttrValue>);

impl<'de> Deserialize<'de> for ValueMember {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::DeserializeSeed;
        crate::dynamodb::model::value::decode::ValueSeed { depth: 0 }
            .deserialize(d)
            .map(ValueMember)
    }
}

/// An element of a list of items (`Keys`): `null` and non-maps are kept to be refused.
pub type ItemElement = Member<Decoded<Item>>;

/// GetItemInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct GetItem<'a> {
    pub table_name: Member<Str<'a>>,
    pub key: Member<Decoded<Item>>,
    pub consistent_read: Member<bool>,
    pub return_consumed_capacity: Member<Str<'a>>,
    pub projection_expression: Member<Str<'a>>,
    pub expression_attribute_names: Member<Names<'a>>,
    /// Not GetItem's, but refused when given (as DynamoDB refuses it).
    pub expression_attribute_values: Member<Values<'a>>,
    pub attributes_to_get: Member<Json>,
    /// Not GetItem's, but refused when given.
    pub conditional_operator: Member<Json>,
}

/// PutItemInput, UpdateItemInput and DeleteItemInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ItemWrite<'a> {
    pub table_name: Member<Str<'a>>,
    /// PutItem's.
    pub item: Member<Decoded<Item>>,
    /// UpdateItem's and DeleteItem's.
    pub key: Member<Decoded<Item>>,
    pub return_values: Member<Str<'a>>,
    pub return_values_on_condition_check_failure: Member<Str<'a>>,
    pub return_consumed_capacity: Member<Str<'a>>,
    pub return_item_collection_metrics: Member<Str<'a>>,
    pub condition_expression: Member<Str<'a>>,
    /// UpdateItem's.
    pub update_expression: Member<Str<'a>>,
    pub expression_attribute_names: Member<Names<'a>>,
    pub expression_attribute_values: Member<Values<'a>>,
    pub expected: Member<Json>,
    /// UpdateItem's.
    pub attribute_updates: Member<Json>,
    pub conditional_operator: Member<Json>,
}

/// QueryInput and ScanInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct Walk<'a> {
    pub table_name: Member<Str<'a>>,
    pub index_name: Member<Str<'a>>,
    pub select: Member<Str<'a>>,
    pub limit: Member<i64>,
    pub consistent_read: Member<bool>,
    pub exclusive_start_key: Member<Decoded<Item>>,
    pub return_consumed_capacity: Member<Str<'a>>,
    /// Query's.
    pub scan_index_forward: Member<bool>,
    /// Query's.
    pub key_condition_expression: Member<Str<'a>>,
    pub filter_expression: Member<Str<'a>>,
    pub projection_expression: Member<Str<'a>>,
    pub expression_attribute_names: Member<Names<'a>>,
    pub expression_attribute_values: Member<Values<'a>>,
    /// Scan's.
    pub segment: Member<i64>,
    /// Scan's.
    pub total_segments: Member<i64>,
    /// Query's.
    pub key_conditions: Member<Json>,
    /// Query's.
    pub query_filter: Member<Json>,
    /// Scan's.
    pub scan_filter: Member<Json>,
    pub attributes_to_get: Member<Json>,
    pub conditional_operator: Member<Json>,
}

/// BatchGetItemInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct BatchGetItem<'a> {
    pub request_items: Member<Map<'a, Member<KeysAndAttributes<'a>>>>,
    pub return_consumed_capacity: Member<Str<'a>>,
}

/// KeysAndAttributes: one table's part of a BatchGetItem.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct KeysAndAttributes<'a> {
    pub keys: Member<Vec<ItemElement>>,
    pub consistent_read: Member<bool>,
    pub projection_expression: Member<Str<'a>>,
    pub expression_attribute_names: Member<Names<'a>>,
    /// Not KeysAndAttributes', but refused when given.
    pub expression_attribute_values: Member<Values<'a>>,
    pub attributes_to_get: Member<Json>,
    /// Not KeysAndAttributes', but refused when given.
    pub conditional_operator: Member<Json>,
}
structure!(KeysAndAttributes);

/// BatchWriteItemInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct BatchWriteItem<'a> {
    pub request_items: Member<Map<'a, Member<Vec<Member<WriteRequest<'a>>>>>>,
    pub return_consumed_capacity: Member<Str<'a>>,
    pub return_item_collection_metrics: Member<Str<'a>>,
}

/// WriteRequest: one put or delete of a BatchWriteItem.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct WriteRequest<'a> {
    pub put_request: Member<ItemRequest<'a>>,
    pub delete_request: Member<ItemRequest<'a>>,
}
structure!(WriteRequest);

/// PutRequest (`Item`) and DeleteRequest (`Key`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ItemRequest<'a> {
    pub item: Member<Decoded<Item>>,
    pub key: Member<Decoded<Item>>,
    #[serde(skip)]
    _text: std::marker::PhantomData<&'a str>,
}
structure!(ItemRequest);

/// TransactWriteItemsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TransactWriteItems<'a> {
    pub transact_items: Member<Vec<Member<TransactWriteItem<'a>>>>,
    pub return_consumed_capacity: Member<Str<'a>>,
    pub return_item_collection_metrics: Member<Str<'a>>,
    pub client_request_token: Member<Str<'a>>,
}

/// TransactWriteItem: exactly one of its four actions.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TransactWriteItem<'a> {
    pub condition_check: Member<TransactAction<'a>>,
    pub put: Member<TransactAction<'a>>,
    pub delete: Member<TransactAction<'a>>,
    pub update: Member<TransactAction<'a>>,
}
structure!(TransactWriteItem);

/// ConditionCheck, Put, Delete and Update of a TransactWriteItem, and Get of a
/// TransactGetItem.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TransactAction<'a> {
    pub table_name: Member<Str<'a>>,
    /// Put's.
    pub item: Member<Decoded<Item>>,
    /// The others'.
    pub key: Member<Decoded<Item>>,
    pub condition_expression: Member<Str<'a>>,
    /// Update's.
    pub update_expression: Member<Str<'a>>,
    /// Get's.
    pub projection_expression: Member<Str<'a>>,
    pub expression_attribute_names: Member<Names<'a>>,
    pub expression_attribute_values: Member<Values<'a>>,
    pub return_values_on_condition_check_failure: Member<Str<'a>>,
    /// Not an action's, but refused when given.
    pub conditional_operator: Member<Json>,
}
structure!(TransactAction);

/// TransactGetItemsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TransactGetItems<'a> {
    pub transact_items: Member<Vec<Member<TransactGetItem<'a>>>>,
    pub return_consumed_capacity: Member<Str<'a>>,
}

/// TransactGetItem.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TransactGetItem<'a> {
    pub get: Member<TransactAction<'a>>,
}
structure!(TransactGetItem);

/// CreateTableInput and UpdateTableInput (what is served of them).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TableDefinition<'a> {
    pub table_name: Member<Str<'a>>,
    /// CreateTable's.
    pub key_schema: Member<Vec<Member<KeySchemaElement<'a>>>>,
    /// CreateTable's.
    pub attribute_definitions: Member<Vec<Member<AttributeDefinition<'a>>>>,
    pub billing_mode: Member<Str<'a>>,
    pub provisioned_throughput: Member<ProvisionedThroughput<'a>>,
    /// CreateTable's.
    pub local_secondary_indexes: Member<Vec<Member<SecondaryIndex<'a>>>>,
    /// CreateTable's.
    pub global_secondary_indexes: Member<Vec<Member<SecondaryIndex<'a>>>>,
    /// UpdateTable's.
    pub global_secondary_index_updates: Member<Vec<Member<GlobalSecondaryIndexUpdate<'a>>>>,
    pub stream_specification: Member<StreamSpecification<'a>>,
    pub on_demand_throughput: Member<OnDemandThroughput<'a>>,
    pub deletion_protection_enabled: Member<bool>,
    pub table_class: Member<Str<'a>>,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: Member<Json>,
    pub warm_throughput: Member<Json>,
    /// CreateTable's.
    pub tags: Member<Vec<Member<Tag<'a>>>>,
    /// CreateTable's.
    pub resource_policy: Member<Json>,
    /// UpdateTable's.
    pub replica_updates: Member<Json>,
    /// UpdateTable's.
    pub multi_region_consistency: Member<Json>,
    /// UpdateTable's.
    pub global_table_witness_updates: Member<Json>,
}

/// OnDemandThroughput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct OnDemandThroughput<'a> {
    pub max_read_request_units: Member<i64>,
    pub max_write_request_units: Member<i64>,
    #[serde(skip)]
    _text: std::marker::PhantomData<&'a str>,
}
structure!(OnDemandThroughput);

/// UpdateTimeToLiveInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct UpdateTimeToLive<'a> {
    pub table_name: Member<Str<'a>>,
    pub time_to_live_specification: Member<TimeToLiveSpecification<'a>>,
}

/// TimeToLiveSpecification.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TimeToLiveSpecification<'a> {
    pub enabled: Member<bool>,
    pub attribute_name: Member<Str<'a>>,
}
structure!(TimeToLiveSpecification);

/// StreamSpecification.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct StreamSpecification<'a> {
    pub stream_enabled: Member<bool>,
    pub stream_view_type: Member<Str<'a>>,
}
structure!(StreamSpecification);

/// GlobalSecondaryIndexUpdate: one of its actions (Create takes a whole index definition,
/// Update a name and throughput, Delete a name).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct GlobalSecondaryIndexUpdate<'a> {
    pub create: Member<SecondaryIndex<'a>>,
    pub update: Member<SecondaryIndex<'a>>,
    pub delete: Member<SecondaryIndex<'a>>,
}
structure!(GlobalSecondaryIndexUpdate);

/// LocalSecondaryIndex and GlobalSecondaryIndex (a local one has no throughput).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct SecondaryIndex<'a> {
    pub index_name: Member<Str<'a>>,
    pub key_schema: Member<Vec<Member<KeySchemaElement<'a>>>>,
    pub projection: Member<Projection<'a>>,
    /// A global index's.
    pub provisioned_throughput: Member<ProvisionedThroughput<'a>>,
}
structure!(SecondaryIndex);

/// Projection.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct Projection<'a> {
    pub projection_type: Member<Str<'a>>,
    pub non_key_attributes: Member<Vec<Member<Str<'a>>>>,
}
structure!(Projection);

/// KeySchemaElement.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct KeySchemaElement<'a> {
    pub attribute_name: Member<Str<'a>>,
    pub key_type: Member<Str<'a>>,
}
structure!(KeySchemaElement);

/// AttributeDefinition.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct AttributeDefinition<'a> {
    pub attribute_name: Member<Str<'a>>,
    pub attribute_type: Member<Str<'a>>,
}
structure!(AttributeDefinition);

/// ProvisionedThroughput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ProvisionedThroughput<'a> {
    pub read_capacity_units: Member<i64>,
    pub write_capacity_units: Member<i64>,
    #[serde(skip)]
    _text: std::marker::PhantomData<&'a str>,
}
structure!(ProvisionedThroughput);

/// DescribeTableInput and DeleteTableInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TableName<'a> {
    pub table_name: Member<Str<'a>>,
}

/// ListTablesInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ListTables<'a> {
    pub exclusive_start_table_name: Member<Str<'a>>,
    pub limit: Member<i64>,
}

/// DescribeLimitsInput: no members.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DescribeLimits {}

/// UpdateContinuousBackupsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct UpdateContinuousBackups<'a> {
    pub table_name: Member<Str<'a>>,
    pub point_in_time_recovery_specification: Member<PointInTimeRecoverySpecification>,
}

/// PointInTimeRecoverySpecification.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    pub point_in_time_recovery_enabled: Member<bool>,
    pub recovery_period_in_days: Member<i64>,
}

impl<'de> super::member::Shape<'de> for PointInTimeRecoverySpecification {
    const EXPECTED: &'static str = "a structure or map";
    fn map<A: serde::de::MapAccess<'de>>(map: A) -> Result<Member<Self>, A::Error> {
        Self::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Member::Present)
    }
}

/// RestoreTableToPointInTimeInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct RestoreTableToPointInTime<'a> {
    pub source_table_arn: Member<Str<'a>>,
    pub source_table_name: Member<Str<'a>>,
    pub target_table_name: Member<Str<'a>>,
    pub use_latest_restorable_time: Member<bool>,
    /// A timestamp: seconds since the epoch, as a JSON number.
    pub restore_date_time: Member<Json>,
    pub billing_mode_override: Member<Str<'a>>,
    pub global_secondary_index_override: Member<Json>,
    pub local_secondary_index_override: Member<Json>,
    pub provisioned_throughput_override: Member<Json>,
    pub on_demand_throughput_override: Member<Json>,
    #[serde(rename = "SSESpecificationOverride")]
    pub sse_specification_override: Member<Json>,
}

/// ExportTableToPointInTimeInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ExportTableToPointInTime<'a> {
    pub table_arn: Member<Str<'a>>,
    /// A timestamp: seconds since the epoch, as a JSON number.
    pub export_time: Member<Json>,
    pub client_token: Member<Str<'a>>,
    pub s3_bucket: Member<Str<'a>>,
    pub s3_bucket_owner: Member<Str<'a>>,
    pub s3_prefix: Member<Str<'a>>,
    pub s3_sse_algorithm: Member<Str<'a>>,
    pub s3_sse_kms_key_id: Member<Str<'a>>,
    pub export_format: Member<Str<'a>>,
    pub export_type: Member<Str<'a>>,
    pub incremental_export_specification: Member<Json>,
}

/// DescribeExportInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ExportArn<'a> {
    pub export_arn: Member<Str<'a>>,
}

/// ListExportsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ListExports<'a> {
    pub table_arn: Member<Str<'a>>,
    pub max_results: Member<i64>,
    pub next_token: Member<Str<'a>>,
}

/// ImportTableInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ImportTable<'a> {
    pub client_token: Member<Str<'a>>,
    pub s3_bucket_source: Member<Json>,
    pub input_format: Member<Str<'a>>,
    pub input_format_options: Member<Json>,
    pub input_compression_type: Member<Str<'a>>,
    pub table_creation_parameters: Member<Json>,
}

/// DescribeImportInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ImportArn<'a> {
    pub import_arn: Member<Str<'a>>,
}

/// ListImportsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ListImports<'a> {
    pub table_arn: Member<Str<'a>>,
    pub page_size: Member<i64>,
    pub next_token: Member<Str<'a>>,
}

/// CreateBackupInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct CreateBackup<'a> {
    pub table_name: Member<Str<'a>>,
    pub backup_name: Member<Str<'a>>,
}

/// DescribeBackupInput and DeleteBackupInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct BackupArn<'a> {
    pub backup_arn: Member<Str<'a>>,
}

/// ListBackupsInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ListBackups<'a> {
    pub table_name: Member<Str<'a>>,
    pub limit: Member<i64>,
    /// Timestamps: seconds since the epoch, as JSON numbers.
    pub time_range_lower_bound: Member<Json>,
    pub time_range_upper_bound: Member<Json>,
    pub exclusive_start_backup_arn: Member<Str<'a>>,
    pub backup_type: Member<Str<'a>>,
}

/// RestoreTableFromBackupInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct RestoreTableFromBackup<'a> {
    pub target_table_name: Member<Str<'a>>,
    pub backup_arn: Member<Str<'a>>,
    pub billing_mode_override: Member<Str<'a>>,
    pub global_secondary_index_override: Member<Json>,
    pub local_secondary_index_override: Member<Json>,
    pub provisioned_throughput_override: Member<Json>,
    pub on_demand_throughput_override: Member<Json>,
    #[serde(rename = "SSESpecificationOverride")]
    pub sse_specification_override: Member<Json>,
}

/// `Parameters` of a PartiQL statement: attribute values, validated as read.
pub type Parameters = Member<Vec<ValueMember>>;

/// ExecuteStatementInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ExecuteStatement<'a> {
    pub statement: Member<Str<'a>>,
    pub parameters: Parameters,
    pub consistent_read: Member<bool>,
    pub next_token: Member<Str<'a>>,
    pub return_consumed_capacity: Member<Str<'a>>,
    pub limit: Member<i64>,
    pub return_values_on_condition_check_failure: Member<Str<'a>>,
}

/// BatchExecuteStatementInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct BatchExecuteStatement<'a> {
    pub statements: Member<Vec<Member<BatchStatementRequest<'a>>>>,
    pub return_consumed_capacity: Member<Str<'a>>,
}

/// BatchStatementRequest, and ParameterizedStatement (ExecuteTransaction's, which has no
/// ConsistentRead: refused when given there).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct BatchStatementRequest<'a> {
    pub statement: Member<Str<'a>>,
    pub parameters: Parameters,
    pub consistent_read: Member<bool>,
    pub return_values_on_condition_check_failure: Member<Str<'a>>,
}
structure!(BatchStatementRequest);

/// ExecuteTransactionInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ExecuteTransaction<'a> {
    pub transact_statements: Member<Vec<Member<BatchStatementRequest<'a>>>>,
    pub client_request_token: Member<Str<'a>>,
    pub return_consumed_capacity: Member<Str<'a>>,
}

/// Tag.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct Tag<'a> {
    pub key: Member<Str<'a>>,
    pub value: Member<Str<'a>>,
}
structure!(Tag);

/// TagResourceInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct TagResource<'a> {
    pub resource_arn: Member<Str<'a>>,
    pub tags: Member<Vec<Member<Tag<'a>>>>,
}

/// UntagResourceInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct UntagResource<'a> {
    pub resource_arn: Member<Str<'a>>,
    pub tag_keys: Member<Vec<Member<Str<'a>>>>,
}

/// ListTagsOfResourceInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct ListTagsOfResource<'a> {
    pub resource_arn: Member<Str<'a>>,
    pub next_token: Member<Str<'a>>,
}

/// DescribeEndpointsRequest: no members.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DescribeEndpoints {}

/// DescribeKinesisStreamingDestinationInput, KinesisStreamingDestinationInput (Enable and
/// Disable) and UpdateKinesisStreamingDestinationInput.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase", bound(deserialize = "'de: 'a"))]
pub struct KinesisStreamingDestination<'a> {
    /// A table name or ARN.
    pub table_name: Member<Str<'a>>,
    /// Enable's, Disable's and Update's.
    pub stream_arn: Member<Str<'a>>,
    /// Enable's and Disable's.
    pub enable_kinesis_streaming_configuration: Member<Json>,
    /// Update's.
    pub update_kinesis_streaming_configuration: Member<Json>,
}
