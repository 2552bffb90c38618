import prices from './prices.json' with { type: 'json' };

/**
 * Infrastructure cost per 1,000,000 emails from the benchmark's counted units and published prices
 * (bench/prices.json, dated), next to SES's own price and to the naive design. Every assumption
 * that is not a measurement is named here.
 */
export const engagementAssumptions = {
  /** SES events per email: Send 1, Delivery 0.98, Bounce 0.02, opens 0.5 (all, incl. privacy proxies), clicks 0.04, complaints 0.001. */
  eventsPerEmail: 1 + 0.98 + 0.02 + 0.5 + 0.04 + 0.001,
  /** SQS requests per event: EventBridge's SendMessage, plus Lambda's ReceiveMessage and DeleteMessageBatch of up to 10. */
  sqsRequestsPerEvent: 1 + 0.1 + 0.1,
  /**
   * Engagement function: 512 MB for ~2 ms per event on AWS (~0.2 s per 100 events: DynamoDB round
   * trips, 8 in flight), whatever the batch size: an estimate, not measured here.
   */
  gbSecondsPerEvent: 0.5 * 0.002,
  /**
   * Sending: DynamoDB write units per email when the sending benchmark did not run with this one
   * (it measures them: one outcome item per recipient, plus a job claim, an audience page and a
   * schedule booking shared by many recipients).
   */
  sendWritesPerEmail: 1.2,
  /** Naive design: EventBridge invokes a 512 MB function per event for ~50 ms, which writes the event, the recipient and a campaign counter. */
  naive: { writeUnitsPerEvent: 3, gbSecondsPerInvocation: 0.5 * 0.05 },
};

export function costPerMillionEmails(
  measured: { writeUnitsPerEvent: number; readUnitsPerEvent: number; invocationsPer1000Events: number },
  sendingMeasured?: { dynamodbWriteUnitsPerRecipient: number },
) {
  const a = engagementAssumptions;
  const emails = 1_000_000;
  const events = emails * a.eventsPerEmail;
  const lambda = (invocations: number, gbSeconds: number) =>
    (invocations / 1e6) * prices.lambdaPerMillionRequests + gbSeconds * prices.lambdaArmPerGbSecond;
  const sending =
    ((emails * (sendingMeasured?.dynamodbWriteUnitsPerRecipient ?? a.sendWritesPerEmail)) / 1e6) * prices.dynamodbPerMillionWriteUnits;
  const invocations = (events / 1000) * measured.invocationsPer1000Events;
  const ours = {
    dynamodbWrites: ((events * measured.writeUnitsPerEvent) / 1e6) * prices.dynamodbPerMillionWriteUnits,
    dynamodbReads: ((events * measured.readUnitsPerEvent) / 1e6) * prices.dynamodbPerMillionReadUnits,
    sqs: ((events * a.sqsRequestsPerEvent) / 1e6) * prices.sqsPerMillionRequests,
    lambda: lambda(invocations, events * a.gbSecondsPerEvent),
    eventBridge: (events / 1e6) * prices.eventBridgeAwsServiceEventsPerMillion,
    sending,
  };
  const naive = {
    dynamodbWrites: ((events * a.naive.writeUnitsPerEvent) / 1e6) * prices.dynamodbPerMillionWriteUnits,
    lambda: lambda(events, events * a.naive.gbSecondsPerInvocation),
    sending,
  };
  const sum = (o: Record<string, number>) => Object.values(o).reduce((s, v) => s + v, 0);
  const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v.toFixed(2))]));
  return {
    pricesAsOf: prices.asOf,
    eventsPerEmail: a.eventsPerEmail,
    ses: Number(((emails / 1000) * prices.sesPer1000Emails).toFixed(2)),
    ours: { ...round(ours), total: Number(sum(ours).toFixed(2)) },
    naive: { ...round(naive), total: Number(sum(naive).toFixed(2)) },
  };
}
