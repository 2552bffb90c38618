import type { EventFacts } from './ses-events';

/**
 * The SES mailbox simulator, played by the local SES (docs/ses-stand-in.md, "Mailbox simulator"):
 * mail to `success@`, `bounce@`, `ooto@`, `complaint@` and `suppressionlist@simulator.amazonses.com`
 * (with any `+label`) gets the events SES publishes for that scenario, whatever the local runtime's
 * `outcome` option says about other addresses. Source: SES Developer Guide, "Using the mailbox
 * simulator" (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html).
 */
export const simulatorDomain = 'simulator.amazonses.com';

export const simulatorScenarios = ['success', 'bounce', 'ooto', 'complaint', 'suppressionlist'] as const;
export type SimulatorScenario = (typeof simulatorScenarios)[number];

/** One event SES publishes after it accepted a message (the Send event comes first, always). */
export interface ScriptedEvent {
  type: 'Delivery' | 'Bounce' | 'Complaint';
  /** Milliseconds after the send. */
  afterMs: number;
  facts: EventFacts;
}

/** The scenario of a simulator address, `bounce+label@simulator.amazonses.com` included; undefined for any other address. */
export function simulatorScenario(to: string): SimulatorScenario | undefined {
  const address = (/<([^>]+)>/.exec(to)?.[1] ?? to).trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 0 || address.slice(at + 1) !== simulatorDomain) return undefined;
  const mailbox = address.slice(0, at).split('+')[0];
  return simulatorScenarios.find((s) => s === mailbox);
}

/** The receiving side's 550 5.1.1, as the simulator's RFC 3464 bounce reports it. */
const unknownUser: EventFacts = {
  bounceType: 'Permanent',
  bounceSubType: 'General',
  bounceStatus: '5.1.1',
  diagnosticCode: 'smtp; 550 5.1.1 user unknown',
  reportingMTA: 'dsn; a8-96.smtp-out.amazonses.com',
};

/**
 * SES's own hard bounce for an address on its suppression list: no delivery is attempted, so there
 * is no Delivery event and no receiving MTA.
 */
const suppressed: EventFacts = {
  bounceType: 'Permanent',
  bounceSubType: 'Suppressed',
  bounceStatus: '5.1.1',
  diagnosticCode: 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.',
  reportingMTA: 'dns; amazonses.com',
};

const scripts: Record<SimulatorScenario, ScriptedEvent[]> = {
  // Accepted by the recipient's provider: a Delivery event.
  success: [{ type: 'Delivery', afterMs: 1_500, facts: {} }],
  // Rejected with SMTP 550 5.1.1: a permanent bounce, and no Delivery.
  bounce: [{ type: 'Bounce', afterMs: 1_500, facts: unknownUser }],
  // Delivered; the automatic reply (RFC 3834) comes back to SES's Return-Path, and SES reports an
  // automatic response as a Transient/General bounce without a DSN (bounce types table of the guide).
  ooto: [
    { type: 'Delivery', afterMs: 1_500, facts: {} },
    { type: 'Bounce', afterMs: 2_500, facts: { bounceType: 'Transient', bounceSubType: 'General', withoutDsn: true } },
  ],
  // Delivered, then marked as spam: a Complaint (RFC 5965 feedback) after the Delivery.
  complaint: [
    { type: 'Delivery', afterMs: 1_500, facts: {} },
    { type: 'Complaint', afterMs: 3_000, facts: { userAgent: 'Amazon SES Mailbox Simulator', complaintFeedbackType: 'abuse' } },
  ],
  // A hard bounce as if the address were on SES's suppression list.
  suppressionlist: [{ type: 'Bounce', afterMs: 100, facts: suppressed }],
};

/** What SES publishes after the Send event for a simulator address; undefined for any other address. */
export function simulatorEvents(to: string): ScriptedEvent[] | undefined {
  const scenario = simulatorScenario(to);
  return scenario ? scripts[scenario] : undefined;
}
