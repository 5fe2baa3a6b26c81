// The AWS SDK for JavaScript v3 (@aws-sdk/client-dynamodb), unchanged, against shale-server's
// DynamoDB gateway at $SHALE_DYNAMO_ENDPOINT. Run with `node --test` (server/tests/dynamo_js_sdk.rs
// starts the server and runs it).

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient,
  CreateTableCommand,
  DescribeTableCommand,
  DeleteTableCommand,
  PutItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  DeleteItemCommand,
  BatchWriteItemCommand,
  TransactWriteItemsCommand,
  ConditionalCheckFailedException,
  TransactionCanceledException,
  ResourceNotFoundException,
  paginateQuery,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";

const endpoint = process.env.SHALE_DYNAMO_ENDPOINT;
assert.ok(endpoint, "SHALE_DYNAMO_ENDPOINT must be set");
const client = new DynamoDBClient({
  endpoint,
  region: "us-east-1",
  // The server's root credentials (the test harness starts it with AWS's example pair).
  credentials: {
    accessKeyId: process.env.SHALE_ACCESS_KEY_ID ?? "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: process.env.SHALE_SECRET_ACCESS_KEY ?? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  },
  maxAttempts: 1,
});
const table = `js-sdk-${process.pid}-${Date.now()}`;

test("the JavaScript SDK works unchanged", async () => {
  await client.send(new CreateTableCommand({
    TableName: table,
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "N" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: table });

  // Every type round-trips.
  const item = {
    pk: { S: "p" }, sk: { N: "1" }, n: { N: "12.50" }, b: { B: new Uint8Array([0, 1, 255]) },
    ss: { SS: ["a", "b"] }, ns: { NS: ["1", "2.5"] }, bs: { BS: [new Uint8Array([7])] },
    m: { M: { x: { L: [{ BOOL: true }, { NULL: true }, { S: "" }] } } },
  };
  await client.send(new PutItemCommand({ TableName: table, Item: item }));
  const got = await client.send(new GetItemCommand({
    TableName: table, Key: { pk: { S: "p" }, sk: { N: "1" } }, ConsistentRead: true,
  }));
  assert.equal(got.Item.n.N, "12.5");
  assert.deepEqual([...got.Item.b.B], [0, 1, 255]);
  assert.deepEqual([...got.Item.ss.SS].sort(), ["a", "b"]);
  assert.equal(got.Item.m.M.x.L[0].BOOL, true);

  // Update with a condition and return values; then a failing condition.
  const up = await client.send(new UpdateItemCommand({
    TableName: table, Key: { pk: { S: "p" }, sk: { N: "1" } },
    UpdateExpression: "SET n = n + :d", ConditionExpression: "attribute_exists(pk)",
    ExpressionAttributeValues: { ":d": { N: "0.25" } }, ReturnValues: "UPDATED_NEW",
  }));
  assert.deepEqual(up.Attributes, { n: { N: "12.75" } });
  await assert.rejects(
    client.send(new PutItemCommand({
      TableName: table, Item: { pk: { S: "p" }, sk: { N: "1" } },
      ConditionExpression: "attribute_not_exists(pk)",
    })),
    (e) => e instanceof ConditionalCheckFailedException && e.message === "The conditional request failed",
  );

  // A batch, then a paged query over the partition, in sort-key order.
  const puts = [];
  for (let i = 2; i <= 21; i++) {
    puts.push({ PutRequest: { Item: { pk: { S: "p" }, sk: { N: String(i) } } } });
  }
  for (let i = 0; i < puts.length; i += 10) {
    const r = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: puts.slice(i, i + 10) } }));
    assert.deepEqual(r.UnprocessedItems, {});
  }
  const seen = [];
  for await (const page of paginateQuery({ client, pageSize: 7 }, {
    TableName: table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: "p" } },
  })) {
    assert.ok(page.Items.length <= 7);
    seen.push(...page.Items.map((i) => Number(i.sk.N)));
  }
  assert.deepEqual(seen, Array.from({ length: 21 }, (_, i) => i + 1));

  // A transaction that fails its condition changes nothing and says why.
  await assert.rejects(
    client.send(new TransactWriteItemsCommand({ TransactItems: [
      { Delete: { TableName: table, Key: { pk: { S: "p" }, sk: { N: "2" } } } },
      { ConditionCheck: { TableName: table, Key: { pk: { S: "p" }, sk: { N: "3" } },
        ConditionExpression: "attribute_not_exists(pk)" } },
    ] })),
    (e) => e instanceof TransactionCanceledException
      && e.CancellationReasons.map((r) => r.Code).join(",") === "None,ConditionalCheckFailed",
  );
  const still = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: "p" }, sk: { N: "2" } } }));
  assert.ok(still.Item, "a cancelled transaction deleted an item");

  await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "p" }, sk: { N: "2" } } }));
  const desc = await client.send(new DescribeTableCommand({ TableName: table }));
  assert.equal(desc.Table.ItemCount, 20);
  await client.send(new DeleteTableCommand({ TableName: table }));
  await assert.rejects(
    client.send(new DescribeTableCommand({ TableName: table })),
    (e) => e instanceof ResourceNotFoundException,
  );
});
