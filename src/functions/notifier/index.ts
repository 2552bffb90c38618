import type { EventBridgeEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { makeNotifierHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container. */
let built: ReturnType<typeof makeNotifierHandler> | undefined;
export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  built ??= makeNotifierHandler(await awsApp());
  return built(event);
};
