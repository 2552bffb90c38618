import { logger } from '../../functions/observability';
import { startLocalRuntime } from './runtime';

/**
 * `npm start`: the local stack, kept running, for a person to drive with curl, the CLI or the real
 * AWS SDK. Data lives in memory unless MQL_DATA_DIR names a folder.
 */
const port = Number(process.env.MQL_PORT ?? 3000);
/** Follow-up reminders and escalations run this often (seconds); `0` turns the schedule off. */
const followUpSeconds = Number(process.env.MQL_FOLLOW_UP_INTERVAL_SECONDS ?? 60);
if (!Number.isFinite(followUpSeconds) || followUpSeconds < 0) {
  process.stderr.write(
    `MQL_FOLLOW_UP_INTERVAL_SECONDS must be a number of seconds (0 turns it off), not ${process.env.MQL_FOLLOW_UP_INTERVAL_SECONDS}\n`,
  );
  process.exit(2);
}
logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'WARN');
// The stand-ins sit on the ports after the API's, so an SDK or CLI can be configured once.
const runtime = await startLocalRuntime({
  port,
  dataDir: process.env.MQL_DATA_DIR,
  standInPorts: { ses: port + 1, dynamodb: port + 2, s3: port + 3, eventBridge: port + 4 },
  followUpIntervalMs: followUpSeconds ? followUpSeconds * 1000 : undefined,
});
const e = runtime.endpoints;
process.stdout.write(`
mql-pipeline is running locally (Ctrl-C to stop)

  API                 ${runtime.apiUrl}            (try: curl ${runtime.apiUrl}/campaigns)
  SES inbox           ${runtime.inboxUrl}/            (messages as JSON: ${runtime.inboxUrl}/store)
  tracking            ${runtime.apiUrl}/t/…        (links and open pixels in the sent messages)
  unsubscribe         ${runtime.apiUrl}/u/<token>
  follow-ups          ${followUpSeconds ? `reminders and escalations sent every ${followUpSeconds} s (MQL_FOLLOW_UP_INTERVAL_SECONDS)` : 'off (MQL_FOLLOW_UP_INTERVAL_SECONDS=0)'}

  Stand-in endpoints for the AWS SDK or CLI (region us-east-1, key S3RVER / S3RVER):
    DynamoDB          ${e.dynamodb}      table mql-pipeline
    SES v2            ${e.ses}
    S3                ${e.s3}      bucket mql-pipeline-reports (path-style)
    EventBridge       ${e.eventBridge}      PutEvents on bus "default" (SES events) or "mql-pipeline"

  Replay a captured SES event into the pipeline:
    aws events put-events --endpoint-url ${e.eventBridge} --region us-east-1 --entries file://event.json
`);
const stop = async () => {
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
