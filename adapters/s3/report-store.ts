import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { ReportStore } from '../../lib/reports/ports';

/** Presigned report URLs work this long. @default 900 (15 minutes) */
export const DEFAULT_PRESIGN_SECONDS = 900;
/** Multipart part size: S3's minimum, so a streamed CSV holds at most a few parts in memory. */
const PART_BYTES = 5 * 1024 * 1024;

const withCharset = (contentType: string) =>
  contentType.startsWith('text/') || contentType.includes('json') ? `${contentType}; charset=utf-8` : contentType;

/** Reports in a private bucket; people get a short-lived presigned URL (or a plain one locally). */
export class S3ReportStore implements ReportStore {
  readonly urlLifetimeSeconds: number | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: { presignSeconds?: number; publicBaseUrl?: string } = {},
  ) {
    this.urlLifetimeSeconds = options.publicBaseUrl ? undefined : (options.presignSeconds ?? DEFAULT_PRESIGN_SECONDS);
  }

  async put(key: string, body: string, contentType: string) {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: withCharset(contentType) }));
  }

  /**
   * A multipart upload fed as the body is produced (lib-storage): one PutObject when it fits in a
   * part; otherwise 5 MiB parts, two in flight. A failure aborts the upload, so no partial object
   * is ever visible under the key.
   */
  async putStream(key: string, body: AsyncIterable<string>, contentType: string) {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(body), ContentType: withCharset(contentType) },
      partSize: PART_BYTES,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async urlFor(key: string) {
    if (this.options.publicBaseUrl) return `${this.options.publicBaseUrl.replace(/\/$/, '')}/${this.bucket}/${key}`;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.urlLifetimeSeconds });
  }
}
