import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { instrumented } from '../instrumented';
import { makeApiHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (instrumented.ts). */
let built: ReturnType<typeof makeApiHandler> | undefined;
export const handler = instrumented(async (event: APIGatewayProxyEventV2) => {
  built ??= makeApiHandler(await awsApp());
  return built(event);
});
