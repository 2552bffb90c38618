import { awsApp } from '../aws-runtime';
import { instrumented } from '../instrumented';
import { makeReportHandler } from './handler';

/** Lambda entry point: the handler over the application built once per container, instrumented (instrumented.ts). */
let built: ReturnType<typeof makeReportHandler> | undefined;
export const handler = instrumented(async (event: unknown) => {
  built ??= makeReportHandler(await awsApp());
  return built(event);
});
