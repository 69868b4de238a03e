import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../domain/errors';
import { assertSha256Matches, normaliseSha256, sha256OfStream, Sha256Meter, toBuffer, toReadable } from '../../infra/artifact-store/sha256-meter';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('Sha256Meter', () => {
  it('hashes and counts what passes through the transform', async () => {
    const meter = new Sha256Meter();
    const out: Buffer[] = [];
    await pipeline(Readable.from(['ab', Buffer.from('cd'), new Uint8Array([101])]), meter.transform(), async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) out.push(c);
    });
    expect(Buffer.concat(out).toString()).toBe('abcde');
    expect(meter.bytes).toBe(5);
    expect(meter.digest()).toBe(sha('abcde'));
  });

  it('allows exactly maxBytes and fails one byte later with PAYLOAD_TOO_LARGE', () => {
    const meter = new Sha256Meter(4);
    meter.update(Buffer.from('abcd'));
    expect(() => meter.update(Buffer.from('e'))).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', status: 413 }));
  });

  it('errors the transform when the limit is crossed', async () => {
    const meter = new Sha256Meter(3);
    await expect(pipeline(Readable.from([Buffer.from('abcd')]), meter.transform(), async (src: AsyncIterable<Buffer>) => {
      for await (const _ of src);
    })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('checksum helpers', () => {
  it('normalises a declared checksum to lowercase', () => {
    expect(normaliseSha256(undefined)).toBeUndefined();
    expect(normaliseSha256('AB'.repeat(32))).toBe('ab'.repeat(32));
  });

  it.each(['', 'abc', 'g'.repeat(64), 'a'.repeat(65), `sha256:${'a'.repeat(64)}`])('rejects declared checksum %j', (value) => {
    expect(() => normaliseSha256(value)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'checksum' })] }));
  });

  it('raises CHECKSUM_MISMATCH with both digests', () => {
    expect(() => assertSha256Matches(undefined, sha('x'))).not.toThrow();
    expect(() => assertSha256Matches(sha('x'), sha('x'))).not.toThrow();
    let err: AppError | undefined;
    try {
      assertSha256Matches(sha('x'), sha('y'));
    } catch (e) {
      err = e as AppError;
    }
    expect(err).toMatchObject({ code: 'CHECKSUM_MISMATCH', status: 400, details: [{ field: 'checksum' }] });
    expect(err!.details[0].message).toContain(sha('x'));
    expect(err!.details[0].message).toContain(sha('y'));
  });

  it('hashes a stream', async () => {
    expect(await sha256OfStream(Readable.from([Buffer.from('ab'), Buffer.from('c')]))).toBe(sha('abc'));
  });

  it('converts chunks to buffers', () => {
    expect(toBuffer('hi').toString()).toBe('hi');
    expect(toBuffer(new Uint8Array([104, 105])).toString()).toBe('hi');
  });

  it('wraps an old-style stream into an iterable Readable', async () => {
    const legacy = Object.assign(new EventEmitter(), { readable: true, pause: () => legacy, resume: () => legacy, isPaused: () => false }) as unknown as NodeJS.ReadableStream;
    const readable = toReadable(legacy);
    expect(readable).toBeInstanceOf(Readable);
    const hashing = sha256OfStream(readable);
    (legacy as unknown as EventEmitter).emit('data', Buffer.from('old'));
    (legacy as unknown as EventEmitter).emit('end');
    expect(await hashing).toBe(sha('old'));
    const modern = Readable.from([]);
    expect(toReadable(modern)).toBe(modern);
  });
});
