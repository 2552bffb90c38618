import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCampaignStore } from '../adapters/dynamodb/campaign-store';
import { DynamoContactRekeyStore } from '../adapters/dynamodb/contact-rekey-store';
import { S3ReportStore } from '../adapters/s3/report-store';
import { contactIds } from '../lib/common/ids';
import { rekeyLegacyContacts, type RekeySummary } from '../lib/contacts/rekey-contacts';
import { localClientConfig, localS3Config } from '../infra/local/stand-ins';

/**
 * `npm run migrate:contact-ids`: re-keys the contacts stored before keyed ids, and every record and
 * report holding their ids (docs/deploy.md, "Upgrading: re-keying contact ids").
 *
 *   AWS (the operator's credentials):  -- --table T --bucket B --secret-id ARN [--region R] [--dry-run]
 *   the local stack of `npm start`:     -- --local [--port 3000] [--secret S] [--dry-run]
 *
 * The secret is the one contact ids are keyed with (the stack's unsubscribe secret; locally
 * MQL_UNSUBSCRIBE_SECRET, which `npm start` must have been given for ids to outlive it).
 */
const usage = `usage: npm run migrate:contact-ids -- (--table T --bucket B --secret-id ARN [--region R] | --local [--port P] [--secret S]) [--dry-run]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        table: { type: 'string' },
        bucket: { type: 'string' },
        'secret-id': { type: 'string' },
        region: { type: 'string' },
        local: { type: 'boolean', default: false },
        port: { type: 'string' },
        secret: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();

async function target() {
  if (values.local) {
    const port = Number(values.port ?? process.env.MQL_PORT ?? 3000);
    if (!Number.isInteger(port) || port <= 0) fail(`--port must be the local stack's API port, not ${values.port}`);
    const secret = values.secret ?? process.env.MQL_UNSUBSCRIBE_SECRET;
    if (!secret) fail('--local needs the secret `npm start` was given: --secret or MQL_UNSUBSCRIBE_SECRET');
    // npm start puts the stand-ins on the ports after the API's (infra/local/start.ts).
    const dynamodb = new DynamoDBClient(localClientConfig(`http://127.0.0.1:${port + 2}`));
    const s3 = new S3Client(localS3Config(`http://127.0.0.1:${port + 3}`));
    return { dynamodb, s3, table: 'mql-pipeline', bucket: 'mql-pipeline-reports', secret, versioned: false };
  }
  if (!values.table || !values.bucket || !values['secret-id']) fail('--table, --bucket and --secret-id are required (or --local)');
  const region = values.region;
  const answer = await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: values['secret-id'] }));
  if (!answer.SecretString) fail(`the secret ${values['secret-id']} has no string value`);
  return {
    dynamodb: new DynamoDBClient({ region }),
    s3: new S3Client({ region }),
    table: values.table,
    bucket: values.bucket,
    secret: answer.SecretString,
    versioned: true,
  };
}

function report(s: RekeySummary) {
  const verb = s.dryRun ? 'to re-key' : 're-keyed';
  return [
    `${s.dryRun ? 'dry run: nothing written' : 'done'}`,
    `  contacts ${verb}:          ${s.contacts} (${s.erasedContacts} erased before keyed ids)`,
    `  items ${s.dryRun ? 'to rewrite' : 'rewritten'}:           ${s.itemsRewritten}`,
    `  report objects ${s.dryRun ? 'to rewrite' : 'rewritten'}:  ${s.reportObjectsRewritten}`,
    `  already done:               ${s.alreadyDone}`,
    '',
  ].join('\n');
}

const t = await target();
const db = DynamoDBDocumentClient.from(t.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
try {
  const summary = await rekeyLegacyContacts(
    {
      rekey: new DynamoContactRekeyStore(db, t.table),
      campaigns: new DynamoCampaignStore(db, t.table),
      reports: new S3ReportStore(t.s3, t.bucket, { versioned: t.versioned }),
      ids: contactIds(t.secret),
      progress: (line) => process.stdout.write(`${line}\n`),
    },
    { dryRun: values['dry-run'] },
  );
  process.stdout.write(report(summary));
} catch (error) {
  process.stderr.write(`migration stopped: ${(error as Error).message}\nRunning it again finishes the job.\n`);
  process.exitCode = 1;
} finally {
  t.dynamodb.destroy();
  t.s3.destroy();
}
