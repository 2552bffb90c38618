import type { EventBridgeEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { instrumented } from '../instrumented';
import { makeNotifierHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (instrumented.ts). */
let built: ReturnType<typeof makeNotifierHandler> | undefined;
export const handler = instrumented(async (event: EventBridgeEvent<string, unknown>) => {
  built ??= makeNotifierHandler(await awsApp());
  return built(event);
});
