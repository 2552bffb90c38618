import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ReportStore } from '../../lib/ports';

/** Reports in a private bucket; people get a short-lived presigned URL (or a plain one locally). */
export class S3ReportStore implements ReportStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: { presignSeconds?: number; publicBaseUrl?: string } = {},
  ) {}

  async put(key: string, body: string, contentType: string) {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType.startsWith('text/') || contentType.includes('json') ? `${contentType}; charset=utf-8` : contentType,
      }),
    );
  }

  async urlFor(key: string) {
    if (this.options.publicBaseUrl) return `${this.options.publicBaseUrl.replace(/\/$/, '')}/${this.bucket}/${key}`;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.options.presignSeconds ?? 3600 });
  }
}
