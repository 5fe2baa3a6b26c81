// Policy templates the editor offers: DynamoDB access to one table (read-only, full, or only
// the items whose partition key is the caller's user name: fine-grained access with
// dynamodb:LeadingKeys), and a role's trust policy for this account.

/** `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`. */
export function tableArn(region, account, table) {
  return `arn:aws:dynamodb:${region}:${account}:table/${table}`;
}

const LIST = {
  Sid: 'ListTablesAndStreams',
  Effect: 'Allow',
  Action: ['dynamodb:ListTables', 'dynamodb:ListStreams'],
  Resource: '*',
};

/**
 * The templates of a kind of policy (`identity` or `trust`): `{ id, label, note, table,
 * build({ arn, account }) }`; `table`: the template is about one table (its ARN is `arn`).
 */
export const TEMPLATES = {
  identity: [
    {
      id: 'read',
      label: 'Read-only access to one table',
      table: true,
      note: 'Reads items (GetItem, BatchGetItem, Query, Scan, PartiQL SELECT), the table\'s indexes and stream, and its settings; also lists table and stream names (the console signs in with ListTables).',
      build: ({ arn }) => ({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadTable',
            Effect: 'Allow',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:BatchGetItem',
              'dynamodb:Query',
              'dynamodb:Scan',
              'dynamodb:PartiQLSelect',
              'dynamodb:DescribeTable',
              'dynamodb:DescribeTimeToLive',
              'dynamodb:DescribeContinuousBackups',
              'dynamodb:ListTagsOfResource',
              'dynamodb:DescribeStream',
              'dynamodb:GetShardIterator',
              'dynamodb:GetRecords',
            ],
            Resource: [arn, `${arn}/index/*`, `${arn}/stream/*`],
          },
          LIST,
        ],
      }),
    },
    {
      id: 'full',
      label: 'Full access to one table',
      table: true,
      note: 'Every DynamoDB action on the table, its indexes, stream and backups: reading and writing items, changing and deleting the table.',
      build: ({ arn }) => ({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'FullAccessToTable', Effect: 'Allow', Action: 'dynamodb:*', Resource: [arn, `${arn}/*`] },
          LIST,
        ],
      }),
    },
    {
      id: 'leading',
      label: "Items whose partition key is the user's name (dynamodb:LeadingKeys)",
      table: true,
      note: "Reads and writes only the items whose partition key value is the calling user's name (${aws:username}): every key a request touches must match, so Scan and other users' items are refused.",
      build: ({ arn }) => ({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OwnItemsOnly',
            Effect: 'Allow',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:BatchGetItem',
              'dynamodb:Query',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:BatchWriteItem',
              'dynamodb:ConditionCheckItem',
            ],
            Resource: arn,
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:username}'] } },
          },
          { Sid: 'DescribeTable', Effect: 'Allow', Action: 'dynamodb:DescribeTable', Resource: arn },
          LIST,
        ],
      }),
    },
  ],
  trust: [
    {
      id: 'account',
      label: 'Users and roles of this account may assume the role',
      table: false,
      note: 'Trusts the account: its users and roles whose own policies allow sts:AssumeRole on this role may assume it.',
      build: ({ account }) => ({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
        ],
      }),
    },
  ],
};
