import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  ListObjectVersionsCommand,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
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
    /**
     * `versioned`: the bucket keeps noncurrent versions (the stack's does), so removing and
     * rewriting must delete them too. s3rver has no versioning (it answers NotImplemented to
     * GetBucketVersioning and ignores `?versions`): the local runtime passes false. @default true
     */
    private readonly options: { presignSeconds?: number; publicBaseUrl?: string; versioned?: boolean } = {},
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

  async list(prefix: string) {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    }
    return keys;
  }

  async get(key: string) {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await out.Body?.transformToString('utf-8');
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async remove(keys: string[]) {
    const targets: ObjectIdentifier[] = [];
    if (this.versioned) for (const key of keys) targets.push(...(await this.versionsOf(key, true)));
    else targets.push(...keys.map((Key) => ({ Key })));
    await this.deleteAll(targets);
  }

  async removeEarlierVersions(key: string) {
    if (this.versioned) await this.deleteAll(await this.versionsOf(key, false));
  }

  private get versioned() {
    return this.options.versioned ?? true;
  }

  /** The key's versions and delete markers: all of them, or all but the current version. */
  private async versionsOf(key: string, includeCurrent: boolean): Promise<ObjectIdentifier[]> {
    const out: ObjectIdentifier[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.client.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, ...markers }));
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (v.Key === key && v.VersionId && (includeCurrent || !v.IsLatest)) out.push({ Key: key, VersionId: v.VersionId });
      }
      if (!page.IsTruncated) return out;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  /** DeleteObjects takes at most 1,000 keys, and reports per-key failures in its answer rather than throwing. */
  private async deleteAll(objects: ObjectIdentifier[]) {
    for (let i = 0; i < objects.length; i += 1000) {
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects.slice(i, i + 1000), Quiet: true } }),
      );
      if (out.Errors?.length) {
        const first = out.Errors[0]!;
        throw new Error(`S3 kept ${out.Errors.length} object(s) it was asked to delete: ${first.Key} (${first.Code}: ${first.Message})`);
      }
    }
  }
}
