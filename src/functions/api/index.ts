import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { makeApiHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container. */
let built: ReturnType<typeof makeApiHandler> | undefined;
export const handler = async (event: APIGatewayProxyEventV2) => {
  built ??= makeApiHandler(await awsApp());
  return built(event);
};
