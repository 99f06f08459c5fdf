import { describe, expect, it } from 'vitest';
import { fromHundredths, toHundredths } from '../../src/workspaces/money.js';
import { isObjectId, newObjectId, parseObjectId } from '../../src/http/object-id.js';
import { cursorCodec } from '../../src/http/cursor.js';
import { toPage } from '../../src/http/pagination.js';

describe('ObjectIds', () => {
  it('are 24 lowercase hex characters starting with the creation second', () => {
    const at = Date.UTC(2026, 0, 10, 12, 0, 0);
    const id = newObjectId(at);
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(parseInt(id.slice(0, 8), 16)).toBe(at / 1000);
  });

  it('are unique and increase within one second of one process', () => {
    const at = Date.now();
    const ids = Array.from({ length: 1000 }, () => newObjectId(at));
    expect(new Set(ids).size).toBe(1000);
    // The counter may wrap once from 0xffffff to 0; apart from that, each id is above the one before.
    const descents = ids.filter((id, i) => i > 0 && id < ids[i - 1]!).length;
    expect(descents).toBeLessThanOrEqual(1);
  });

  it('are recognised in either letter case and stored in lowercase; anything else is 422 invalid_id', () => {
    expect(isObjectId('507F1F77BCF86CD799439011')).toBe(true);
    expect(parseObjectId('507F1F77BCF86CD799439011', 'clientId')).toBe('507f1f77bcf86cd799439011');
    for (const bad of [
      '',
      '507f1f77bcf86cd79943901',
      '507f1f77bcf86cd7994390111',
      '507f1f77bcf86cd79943901g',
      ' 507f1f77bcf86cd79943901',
    ]) {
      expect(() => parseObjectId(bad, 'clientId')).toThrow(
        expect.objectContaining({ statusCode: 422, code: 'invalid_id' }),
      );
    }
  });
});

describe('money in hundredths', () => {
  it('converts amounts with at most two decimals exactly, and refuses a third', () => {
    expect(toHundredths(40)).toBe(4000);
    expect(toHundredths(1.13)).toBe(113);
    expect(toHundredths(0.29)).toBe(29);
    expect(toHundredths(19.99)).toBe(1999);
    expect(toHundredths(0.1 + 0.2)).toBeNull();
    expect(toHundredths(1.005)).toBeNull();
    expect(fromHundredths(9000)).toBe(90);
    expect(fromHundredths(53)).toBe(0.53);
  });
});

describe('cursors', () => {
  const byId = cursorCodec('objectId');
  const byDateAndId = cursorCodec('timestamp', 'objectId');
  const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it('round-trip their key and refuse anything else with 400 invalid_cursor', () => {
    const id = newObjectId();
    expect(byId.decode(byId.encode([id]))).toEqual([id]);
    const at = new Date('2026-01-10T12:00:00.000Z');
    expect(byDateAndId.decode(byDateAndId.encode([at, id]))).toEqual([at, id]);
    for (const bad of [
      'not-base64!',
      raw(['x']),
      raw([1]),
      Buffer.from('{').toString('base64url'),
      raw([id, id]),
    ]) {
      expect(() => byId.decode(bad)).toThrow(
        expect.objectContaining({ statusCode: 400, code: 'invalid_cursor' }),
      );
    }
  });

  it('refuse timestamps and integers PostgreSQL would not take', () => {
    const id = newObjectId();
    for (const at of [
      '1',
      '+275760-09-13T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
      '2026-01-10',
    ]) {
      expect(() => byDateAndId.decode(raw([at, id])), at).toThrow(
        expect.objectContaining({ code: 'invalid_cursor' }),
      );
    }
    const byInt = cursorCodec('int32');
    expect(byInt.decode(raw([205]))).toEqual([205]);
    for (const n of [1e300, 2 ** 31, 1.5, '205']) {
      expect(() => byInt.decode(raw([n])), String(n)).toThrow(
        expect.objectContaining({ code: 'invalid_cursor' }),
      );
    }
  });

  it('give a next cursor only when there is another row', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const codec = cursorCodec('uuid');
    expect(toPage(rows, 3, codec, (r) => [r.id])).toEqual({ items: rows, nextCursor: null });
    expect(toPage(rows, 2, codec, (r) => [r.id])).toEqual({
      items: rows.slice(0, 2),
      nextCursor: codec.encode(['b']),
    });
  });
});
