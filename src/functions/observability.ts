import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger for every function. Log ids (campaignId, contactId, messageId), never email
 * addresses or whole events: they are personal data. Service name and level come from the
 * environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL), set once in the CDK function construct.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'mql-pipeline' });
