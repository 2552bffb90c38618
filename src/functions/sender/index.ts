import type { SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { instrumented } from '../observability';
import { makeSenderHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (observability.ts). */
let built: ReturnType<typeof makeSenderHandler> | undefined;
export const handler = instrumented(async (event: SQSEvent) => {
  built ??= makeSenderHandler(await awsApp());
  return built(event);
});
