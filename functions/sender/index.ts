import type { SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { instrumented } from '../instrumented';
import { makeSenderHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (instrumented.ts). */
let built: ReturnType<typeof makeSenderHandler> | undefined;
export const handler = instrumented(async (event: SQSEvent, context?: { getRemainingTimeInMillis?: () => number }) => {
  built ??= makeSenderHandler(await awsApp());
  // Lambda's remaining time sets the deadline by which a job hands the rest of its work back.
  const remaining = context?.getRemainingTimeInMillis;
  return built(event, remaining ? { getRemainingTimeInMillis: () => remaining.call(context) } : undefined);
});
