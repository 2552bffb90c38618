import { afterEach, describe, expect, it, vi } from 'vitest';
import { instrumented } from '../../functions/instrumented';
import { METRICS_NAMESPACE, metrics, metricNames } from '../../functions/observability';

/** Runs `fn` and returns the CloudWatch EMF documents the metrics wrote to stdout meanwhile. */
async function emfDuring(fn: () => Promise<unknown>) {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await fn().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] } },
    );
}
const metricValue = (docs: Awaited<ReturnType<typeof emfDuring>>, name: string) => docs.find((d) => name in d)?.[name];

afterEach(() => vi.restoreAllMocks());

describe('instrumented Lambda entry points', () => {
  it("counts a queue batch's messages and the ones handed back, under the pipeline's namespace", async () => {
    const handler = instrumented(async (_event: { Records: unknown[] }) => ({ batchItemFailures: [{ itemIdentifier: 'b' }] }));
    const docs = await emfDuring(() => handler({ Records: [{}, {}, {}] }, { awsRequestId: 'r-1', functionName: 'sender' }));
    expect(metricValue(docs, metricNames.messagesReceived)).toBe(3);
    expect(metricValue(docs, metricNames.messagesRetried)).toBe(1);
    for (const d of docs) expect(d._aws.CloudWatchMetrics[0]!.Namespace).toBe(METRICS_NAMESPACE);
  });

  it('flushes what the invocation recorded even when the handler throws, and rethrows', async () => {
    const handler = instrumented(async (_event: unknown) => {
      metrics.addMetric('SomethingCounted', 'Count', 2);
      throw new Error('boom');
    });
    let thrown: unknown;
    const docs = await emfDuring(() =>
      handler({}).catch((e: unknown) => {
        thrown = e;
        throw e;
      }),
    );
    expect((thrown as Error).message).toBe('boom');
    expect(metricValue(docs, 'SomethingCounted')).toBe(2);
  });

  it('adds no queue counts to events that are not queue batches', async () => {
    const handler = instrumented(async (_event: unknown) => ({ statusCode: 200 }));
    const docs = await emfDuring(() => handler({ rawPath: '/campaigns' }));
    expect(metricValue(docs, metricNames.messagesReceived)).toBeUndefined();
  });
});
