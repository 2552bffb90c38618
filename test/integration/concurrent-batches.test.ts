import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../functions/observability';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';
import { defaultMachineRules } from '../../lib/engagement/machine-activity';
import { generateEventLog, prng, shuffle } from '../support/event-log';
import { figures, recount } from '../support/recount';
import { envelopeOf, recordSends } from '../support/runtime-replay';

logger.setLogLevel('ERROR');

/**
 * Lambda consumes an SQS queue five batches at a time when messages wait (docs/engagement.md,
 * "Concurrent batches"), so two batches often hold events of the same recipient. The local queue
 * does the same here, with the grace a deployment has, and the counts must still be exact.
 */
let runtime: LocalRuntime;
/** Recipient writes refused because another batch had written the recipient first. */
let lostRaces = 0;
beforeAll(async () => {
  runtime = await startLocalRuntime({ engagementConsumers: { concurrency: 5, inFlightGraceMs: 300_000 } });
  const store = runtime.app.adapters.engagement;
  const put = store.putRecipient.bind(store);
  store.putRecipient = async (recipient, expectedVersion) => {
    const write = await put(recipient, expectedVersion);
    if (!write.written) lostRaces++;
    return write;
  };
});
afterAll(async () => runtime.stop());

describe('the events queue consumed five batches at once', () => {
  it('counts every event once although batches race for the same recipients, replayed and reordered', async () => {
    const log = shuffle(generateEventLog({ recipients: 150, campaigns: 1, seed: 11 }), prng(3));
    await recordSends(runtime, log);
    const random = prng(5);
    // SES delivers some events twice: a third of the log again, in another order.
    const replayed = [
      ...log,
      ...shuffle(
        log.filter(() => random() < 1 / 3),
        prng(9),
      ),
    ];
    for (const event of replayed) await runtime.buses.default.publish(envelopeOf(event));
    await runtime.settle();

    // The race this test exists for did happen: recipient writes lost to another batch's.
    expect(lostRaces).toBeGreaterThan(0);
    expect(runtime.queues.events.deadLettered).toBe(0);
    expect(await figures(runtime.app.adapters.engagement, 'cmp_0')).toEqual(recount(log, 'cmp_0', defaultMachineRules));
  });
});
