import { describe, expect, it } from 'vitest';
import { fromHundredths, toHundredths } from '../../src/workspaces/money.js';
import { isObjectId, newObjectId, parseObjectId } from '../../src/workspaces/object-id.js';
import { decodeCursor, encodeCursor, isIdKey, toPage } from '../../src/workspaces/pagination.js';

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
  it('round-trip their key and refuse anything else with 400', () => {
    const id = newObjectId();
    expect(decodeCursor(encodeCursor([id]), isIdKey)).toEqual([id]);
    for (const bad of [
      'not-base64!',
      encodeCursor(['x']),
      encodeCursor([1]),
      Buffer.from('{').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad, isIdKey)).toThrow(expect.objectContaining({ statusCode: 400 }));
    }
  });

  it('give a next cursor only when there is another row', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(toPage(rows, 3, (r) => [r.id])).toEqual({ items: rows, nextCursor: null });
    expect(toPage(rows, 2, (r) => [r.id])).toEqual({
      items: rows.slice(0, 2),
      nextCursor: encodeCursor(['b']),
    });
  });
});
