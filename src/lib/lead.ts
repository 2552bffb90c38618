/** A marketing-qualified lead: made once per contact lifecycle, with the reasons that made it. */
export interface Lead {
  leadId: string;
  contactId: string;
  campaignId: string;
  profileId: string;
  profileVersion: number;
  qualifiedAt: string;
  /** Plain-words reasons (fit and engagement) shown to sales. */
  reasons: string[];
  /** The human click that qualified the contact. */
  trigger: { linkUrl?: string; intent?: string; clickedAt: string };
  stage: 'mql' | 'sql' | 'rejected';
  /** Sales owner the notification went to. */
  owner: string;
  publishedAt?: string;
  notifiedAt?: string;
  /** Set when the contact's data was erased: the reasons and the trigger's link are then gone. */
  erasedAt?: string;
}

/** The event published on the project bus for CRM integrations (schema in docs/events.md). */
export const leadQualifiedDetailType = 'Lead Qualified';
export const projectEventSource = 'mql-pipeline';
