import type { SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { instrumented } from '../instrumented';
import { makeEngagementHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (instrumented.ts). */
let built: ReturnType<typeof makeEngagementHandler> | undefined;
export const handler = instrumented(async (event: SQSEvent) => {
  built ??= makeEngagementHandler(await awsApp());
  return built(event);
});
