import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ReportStore } from '../../adapters/s3/report-store';

/**
 * The stack's report bucket is versioned (infra/aws/stateful-resources.ts): an overwritten object
 * stays as a noncurrent version, a copy erasure must reach. s3rver has no versioning, so this path
 * is checked against a mocked S3 client answering as S3's ListObjectVersions does.
 */
const s3 = mockClient(S3Client);
const key = 'reports/campaigns/cmp_1/2026-03-02/101500000Z-abc/recipients.csv';

beforeEach(() => {
  s3.reset();
  s3.on(ListObjectVersionsCommand)
    .resolvesOnce({
      IsTruncated: true,
      NextKeyMarker: key,
      NextVersionIdMarker: 'v2',
      Versions: [
        { Key: key, VersionId: 'v3', IsLatest: true },
        { Key: key, VersionId: 'v2', IsLatest: false },
        // The prefix also matches a longer key: never touched.
        { Key: `${key}.bak`, VersionId: 'x1', IsLatest: true },
      ],
    })
    .resolves({
      IsTruncated: false,
      Versions: [{ Key: key, VersionId: 'v1', IsLatest: false }],
      DeleteMarkers: [{ Key: key, VersionId: 'd1', IsLatest: false }],
    });
  s3.on(DeleteObjectsCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

const deleted = () => s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete!.Objects!);

describe('the S3 report store in a versioned bucket', () => {
  it('deletes every noncurrent version and delete marker of a rewritten key, across pages, and keeps the current one', async () => {
    await new S3ReportStore(s3 as unknown as S3Client, 'bucket').removeEarlierVersions(key);
    expect(deleted()).toEqual([
      { Key: key, VersionId: 'v2' },
      { Key: key, VersionId: 'v1' },
      { Key: key, VersionId: 'd1' },
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand)[1]!.args[0].input).toMatchObject({ KeyMarker: key, VersionIdMarker: 'v2' });
  });

  it('removes an object with all its versions, so nothing can be restored', async () => {
    await new S3ReportStore(s3 as unknown as S3Client, 'bucket').remove([key]);
    expect(deleted().map((o) => o.VersionId)).toEqual(['v3', 'v2', 'v1', 'd1']);
  });

  it('fails naming the object when S3 keeps one it was asked to delete', async () => {
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: key, Code: 'AccessDenied', Message: 'Access Denied' }] });
    await expect(new S3ReportStore(s3 as unknown as S3Client, 'bucket').remove([key])).rejects.toThrow(`${key} (AccessDenied`);
  });

  it('deletes plain keys, listing no versions, where the bucket keeps none (s3rver)', async () => {
    const store = new S3ReportStore(s3 as unknown as S3Client, 'bucket', { versioned: false });
    await store.removeEarlierVersions(key);
    await store.remove([key]);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
    expect(deleted()).toEqual([{ Key: key }]);
  });
});
