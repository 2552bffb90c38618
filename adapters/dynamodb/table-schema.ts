/**
 * The single DynamoDB table, defined once: the CDK stack and the local runtime (dynalite) both
 * create it from this description. Key layout: docs/architecture.md ("Data model").
 */
export const tableKeys = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Listing index: sharded contact list, campaign list, MQLs per campaign. */
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Expiry attribute (epoch seconds) for dead letters and idempotency records. */
  ttlAttribute: 'expiresAt',
} as const;
