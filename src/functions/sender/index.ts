import type { SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws-runtime';
import { makeSenderHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container. */
let built: ReturnType<typeof makeSenderHandler> | undefined;
export const handler = async (event: SQSEvent) => {
  built ??= makeSenderHandler(await awsApp());
  return built(event);
};
