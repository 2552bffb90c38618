import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { TransientDependencyError } from '../../lib/common/errors';
import { leadQualifiedDetail, leadQualifiedDetailType, projectEventSource } from '../../lib/qualification/lead';
import type { EventPublisher, LeadQualifiedEvent } from '../../lib/qualification/ports';

/** Publishes "Lead Qualified" on the project bus (schema: docs/events.md). */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async leadQualified(event: LeadQualifiedEvent) {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: projectEventSource,
            DetailType: leadQualifiedDetailType,
            Detail: JSON.stringify(leadQualifiedDetail(event.lead)),
          },
        ],
      }),
    );
    if (result.FailedEntryCount) {
      throw new TransientDependencyError(`EventBridge refused the Lead Qualified event: ${result.Entries?.[0]?.ErrorCode}`);
    }
  }
}
