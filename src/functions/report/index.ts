import { awsApp } from '../aws-runtime';
import { makeReportHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container. */
let built: ReturnType<typeof makeReportHandler> | undefined;
export const handler = async (event: unknown) => {
  built ??= makeReportHandler(await awsApp());
  return built(event);
};
