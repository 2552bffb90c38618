import { leadQualifiedDetailType, projectEventSource } from '../lib/qualification/lead';

/**
 * EventBridge event patterns, defined once: the CDK stack deploys them as rules and the local
 * in-process bus routes with them, so the two cannot drift.
 */
export interface EventPattern {
  [field: string]: string[] | EventPattern;
}

/** SES events of our configuration set only (the default bus carries every SES sender's events). */
export function sesEventsPattern(configurationSetName: string): EventPattern {
  return {
    source: ['aws.ses'],
    detail: { mail: { tags: { 'ses:configuration-set': [configurationSetName] } } },
  };
}

export const leadQualifiedPattern: EventPattern = {
  source: [projectEventSource],
  'detail-type': [leadQualifiedDetailType],
};

/**
 * The SES event types the configuration set publishes: exactly those the engagement handler reads.
 * Names as in the SES v2 API (`EventType`).
 */
export const publishedSesEventTypes = [
  'SEND',
  'DELIVERY',
  'OPEN',
  'CLICK',
  'BOUNCE',
  'COMPLAINT',
  'REJECT',
  'DELIVERY_DELAY',
  'RENDERING_FAILURE',
  'SUBSCRIPTION',
] as const;
