//! UpdateTable's `GlobalSecondaryIndexUpdates`: creating a global index on a live table (its
//! backfill runs in the background, [`crate::dynamodb::write::backfill`]), deleting one, and
//! changing one's provisioned throughput, checked in DynamoDB's order and words.

use super::indexes::{self, IndexDef};
use super::input::{name_type_pairs, throughput};
use crate::dynamodb::error::{validation, DResult, DynamoError};
use crate::dynamodb::limits::GLOBAL_INDEXES_MAX;
use crate::dynamodb::request::member::Member;
use crate::dynamodb::request::shapes::{AttributeDefinition, GlobalSecondaryIndexUpdate};
use crate::dynamodb::request::Constraints;
use crate::dynamodb::schema::index::{Backfill, IndexKind, IndexMeta, IndexStatus};
use crate::dynamodb::schema::table::{BillingMode, KeyAttr, ScalarType, TableMeta, Throughput};

/// One action of `GlobalSecondaryIndexUpdates`.
pub enum IndexUpdate {
    Create(IndexDef),
    /// The index's name and its new provisioned (read, write) capacity.
    Update(String, Option<(i64, i64)>),
    Delete(String),
}

impl IndexUpdate {
    fn name(&self) -> &str {
        match self {
            IndexUpdate::Create(d) => &d.name,
            IndexUpdate::Update(n, _) | IndexUpdate::Delete(n) => n,
        }
    }

    fn is_create_or_delete(&self) -> bool {
        !matches!(self, IndexUpdate::Update(..))
    }
}

fn invalid(msg: String) -> DynamoError {
    validation(format!("One or more parameter values were invalid: {msg}"))
}

/// `GlobalSecondaryIndexUpdates`, its members' constraints added to `c` (`None`: not given;
/// an entry with no action or several is `Err` of the entry, refused by [`check`]).
pub type Updates = Option<Vec<Result<IndexUpdate, &'static str>>>;

/// Reads `GlobalSecondaryIndexUpdates`.
pub fn read(
    list: Member<Vec<Member<GlobalSecondaryIndexUpdate>>>,
    c: &mut Constraints,
) -> DResult<Updates> {
    let Some(list) = list.get("GlobalSecondaryIndexUpdates")? else { return Ok(None) };
    let mut out = Vec::with_capacity(list.len());
    for (i, u) in list.into_iter().enumerate() {
        let at = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        let u = u.present().unwrap_or_default();
        let create = u.create.get("Create")?;
        let update = u.update.get("Update")?;
        let delete = u.delete.get("Delete")?;
        let given = usize::from(create.is_some())
            + usize::from(update.is_some())
            + usize::from(delete.is_some());
        if given != 1 {
            out.push(Err(if given == 0 {
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null"
            } else {
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"
            }));
            continue;
        }
        let name_of = |ix: &crate::dynamodb::request::shapes::SecondaryIndex,
                       c: &mut Constraints,
                       at: &str|
         -> String {
            let name = ix.index_name.as_str().map(str::to_string);
            let name_at = format!("{at}.indexName");
            match &name {
                None => c.not_null::<()>(&name_at, None),
                Some(n) => c.table_name(&name_at, Some(n)),
            }
            name.unwrap_or_default()
        };
        if let Some(ix) = create {
            out.push(Ok(IndexUpdate::Create(indexes::read_one(
                ix,
                IndexKind::Global,
                &format!("{at}.create"),
                c,
            )?)));
        } else if let Some(ix) = update {
            let at = format!("{at}.update");
            let name = name_of(&ix, c, &at);
            let pt = throughput(ix.provisioned_throughput, c, &format!("{at}."))?;
            out.push(Ok(IndexUpdate::Update(name, pt)));
        } else if let Some(ix) = delete {
            let name = name_of(&ix, c, &format!("{at}.delete"));
            out.push(Ok(IndexUpdate::Delete(name)));
        }
    }
    Ok(Some(out))
}

/// Reads UpdateTable's `AttributeDefinitions` (used by a Create), with their constraints.
pub fn read_definitions(
    defs: Member<Vec<Member<AttributeDefinition>>>,
    c: &mut Constraints,
) -> DResult<Vec<(String, String)>> {
    let Some(defs) = defs.get("AttributeDefinitions")? else { return Ok(vec![]) };
    let pairs = defs.into_iter().map(|e| e.present().map(|e| (e.attribute_name, e.attribute_type)));
    let at = ("attributeDefinitions", "AttributeType", "attributeType");
    name_type_pairs(pairs, at, &["B", "N", "S"], c)
}

/// The request-level checks (no table needed): the list's entries, each index once, at most
/// one Create or Delete, not with a change of the table's throughput.
pub fn check(
    updates: Vec<Result<IndexUpdate, &'static str>>,
    table_throughput: bool,
) -> DResult<Vec<IndexUpdate>> {
    if updates.is_empty() {
        return Err(invalid("List of GlobalSecondaryIndexUpdates is empty".into()));
    }
    let mut out: Vec<IndexUpdate> = Vec::with_capacity(updates.len());
    for u in updates {
        let u = u.map_err(|m| invalid(m.into()))?;
        if out.iter().any(|o| o.name() == u.name()) {
            return Err(invalid(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {}",
                u.name()
            )));
        }
        out.push(u);
    }
    let changes = out.iter().filter(|u| u.is_create_or_delete()).count();
    if changes > 0 && table_throughput {
        return Err(invalid("You cannot create or delete index while updating table IOPS".into()));
    }
    if changes > 1 {
        return Err(one_at_a_time());
    }
    Ok(out)
}

fn one_at_a_time() -> DynamoError {
    DynamoError::LimitExceeded(
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
    )
}

fn not_found(index: &str, table: &str) -> DynamoError {
    DynamoError::ResourceNotFound(format!(
        "Requested resource not found: Index {index} for table {table}"
    ))
}

/// Applies the updates to the table's metadata `m` (`new_keyspace`: the keyspace made for a
/// Create's index; `defs`: the request's attribute definitions; `now`: seconds since the
/// epoch). Returns the name of the index whose background job must start.
pub fn apply(
    m: &mut TableMeta,
    updates: &[IndexUpdate],
    defs: &[(String, String)],
    new_keyspace: Option<String>,
    now: f64,
    free_decreases: i64,
) -> DResult<Option<String>> {
    let mut job = None;
    for u in updates {
        let existing = m.indexes.iter().position(|i| i.name == u.name());
        // One index change at a time (deleting an index while it is being created is fine).
        if u.is_create_or_delete()
            && m.indexes.iter().any(|i| i.status != IndexStatus::Active && i.name != u.name())
        {
            return Err(one_at_a_time());
        }
        match u {
            IndexUpdate::Create(d) => {
                if existing.is_some() {
                    return Err(validation("Attempting to create an index which already exists"));
                }
                let attr = |name: &str| -> DResult<KeyAttr> {
                    let given = defs
                        .iter()
                        .find(|(n, _)| n == name)
                        .and_then(|(_, t)| ScalarType::parse(t));
                    let known = m.attribute_definitions.iter().find(|a| a.name == name);
                    match (given, known) {
                        (Some(ty), Some(k)) if k.ty != ty => Err(invalid(format!(
                            "Attributes cannot be redefined. Please check that your attribute has the same type as previously defined. Existing schema: {name}:{} New schema: {name}:{}",
                            k.ty.name(),
                            ty.name()
                        ))),
                        (Some(ty), _) => Ok(KeyAttr { name: name.to_string(), ty }),
                        (None, Some(k)) => Ok(k.clone()),
                        (None, None) => Err(invalid(format!(
                            "AttributeDefinitions is not specified for index: {}",
                            d.name
                        ))),
                    }
                };
                let keys: Vec<(String, String)> =
                    m.key_names().map(|n| (n.to_string(), String::new())).collect();
                let mut def = d.clone();
                let mut names: Vec<String> = m.indexes.iter().map(|i| i.name.clone()).collect();
                let no_check = |_: &[(String, String)]| Ok(());
                indexes::check(
                    std::slice::from_mut(&mut def),
                    IndexKind::Global,
                    &keys,
                    None,
                    &no_check,
                    &mut names,
                )?;
                let hash =
                    match def.keys.first() {
                        Some((n, _)) => attr(n)?,
                        None => return Err(validation(
                            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
                        )),
                    };
                let range = def.keys.get(1).map(|(n, _)| attr(n)).transpose()?;
                match (m.billing, def.throughput) {
                    (BillingMode::Provisioned, None) => {
                        return Err(invalid(format!(
                            "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: {}",
                            def.name
                        )))
                    }
                    (BillingMode::PayPerRequest, Some(_)) => {
                        return Err(invalid(format!(
                            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                            def.name
                        )))
                    }
                    _ => {}
                }
                let globals = m.indexes.iter().filter(|i| i.kind == IndexKind::Global).count();
                if globals >= GLOBAL_INDEXES_MAX {
                    return Err(DynamoError::LimitExceeded(format!(
                        "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of {GLOBAL_INDEXES_MAX}"
                    )));
                }
                let Some(keyspace) = new_keyspace.clone() else {
                    return Err(DynamoError::Internal("no keyspace for a new index".into()));
                };
                for a in [Some(&hash), range.as_ref()].into_iter().flatten() {
                    if !m.attribute_definitions.iter().any(|k| k.name == a.name) {
                        m.attribute_definitions.push(a.clone());
                    }
                }
                let (read, write) = def.throughput.unwrap_or((0, 0));
                // After the last global index: writes check global indexes first.
                let at = m
                    .indexes
                    .iter()
                    .rposition(|i| i.kind == IndexKind::Global)
                    .map_or(0, |p| p + 1);
                m.indexes.insert(
                    at,
                    IndexMeta {
                        name: def.name.clone(),
                        kind: IndexKind::Global,
                        keyspace,
                        hash,
                        range,
                        projection: def.projection,
                        status: IndexStatus::Creating,
                        throughput: Throughput { read, write, ..Throughput::default() },
                        created: now,
                        backfill: Some(Backfill::default()),
                    },
                );
                job = Some(def.name);
            }
            IndexUpdate::Delete(name) => {
                let Some(p) = existing else { return Err(not_found(name, &m.name)) };
                let ix = m.indexes.get_mut(p).ok_or_else(|| not_found(name, &m.name))?;
                if ix.kind != IndexKind::Global {
                    return Err(validation(format!(
                        "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                    )));
                }
                if ix.status == IndexStatus::Deleting {
                    return Err(DynamoError::ResourceInUse(format!(
                        "Attempt to change a resource which is still in use: Index is being deleted. Table: {} Index: {name}",
                        m.name
                    )));
                }
                ix.status = IndexStatus::Deleting;
                job = Some(name.clone());
            }
            IndexUpdate::Update(name, pt) => {
                let Some(p) = existing else { return Err(not_found(name, &m.name)) };
                let billing = m.billing;
                let ix = m.indexes.get_mut(p).ok_or_else(|| not_found(name, &m.name))?;
                if ix.kind != IndexKind::Global {
                    return Err(validation(format!(
                        "Cannot update an index that is not a GlobalSecondaryIndex: {name}"
                    )));
                }
                if ix.status == IndexStatus::Deleting {
                    return Err(DynamoError::ResourceInUse(format!(
                        "Attempt to change a resource which is still in use: Index is being deleted. Table: {} Index: {name}",
                        m.name
                    )));
                }
                let Some((r, w)) = pt.filter(|_| billing == BillingMode::Provisioned) else {
                    return Err(invalid(format!(
                        "The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
                    )));
                };
                set_throughput(&mut ix.throughput, (r, w), now, free_decreases)?;
            }
        }
    }
    Ok(job)
}

/// Seconds in a UTC day (decreases are counted per day).
const DAY_SECS: f64 = 86_400.0;
/// Once a day's free decreases are spent, one more may be made an hour after the last.
const DECREASE_INTERVAL_SECS: f64 = 3600.0;

/// Decreases made on the UTC day of `now` (the count is of the day of the last decrease).
pub fn decreases_today(t: &Throughput, now: f64) -> i64 {
    match t.last_decrease {
        Some(last) if (last / DAY_SECS).floor() == (now / DAY_SECS).floor() => t.decreases_today,
        _ => 0,
    }
}

/// A provisioned throughput change, with its history. A decrease is refused
/// (`LimitExceededException`) once `free_decreases` have been made today, unless the last was
/// an hour ago or more (DynamoDB's rule, with its default of 4).
pub fn set_throughput(
    t: &mut Throughput,
    (r, w): (i64, i64),
    now: f64,
    free_decreases: i64,
) -> DResult<()> {
    if r < t.read || w < t.write {
        let today = decreases_today(t, now);
        let last = t.last_decrease.unwrap_or(0.0);
        if today >= free_decreases && now - last < DECREASE_INTERVAL_SECS {
            let at = |s: f64| crate::iam::xml::iso8601(s.max(0.0) as u64);
            return Err(DynamoError::LimitExceeded(format!(
                "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first {free_decreases} decreases, each subsequent decrease in the same UTC day can be performed at most once every {} seconds. Number of decreases today: {today}. Last decrease at {}. Next decrease can be made at {}",
                DECREASE_INTERVAL_SECS as u64,
                at(last),
                at(last + DECREASE_INTERVAL_SECS)
            )));
        }
        t.last_decrease = Some(now);
        t.decreases_today = today + 1;
    }
    if r > t.read || w > t.write {
        t.last_increase = Some(now);
    }
    t.read = r;
    t.write = w;
    Ok(())
}

/// The names of the table's global indexes that have no new throughput in `updates` (a table
/// switched to PROVISIONED needs one for each).
pub fn without_throughput<'m>(m: &'m TableMeta, updates: &[IndexUpdate]) -> Vec<&'m str> {
    m.indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global && i.status != IndexStatus::Deleting)
        .filter(|i| {
            !updates.iter().any(|u| matches!(u, IndexUpdate::Update(n, Some(_)) if *n == i.name))
        })
        .map(|i| i.name.as_str())
        .collect()
}
