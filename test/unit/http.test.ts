import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../handlers/runtime/errors.ts';
import {
  canonicalJson,
  decodeCursor,
  encodeCursor,
  etag,
  ifMatchVersions,
  ifNoneMatchHits,
} from '../../handlers/runtime/http.ts';
import { thrownBy } from './thrown.ts';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('http', () => {
  describe('etag', () => {
    it('when given a row version, quotes it as a strong ETag', () => {
      // Arrange
      const version = 3;

      // Act
      const tag = etag(version);

      // Assert
      expect(tag).toBe('"3"');
    });
  });

  describe('ifMatchVersions', () => {
    it.each([
      ['a strong ETag', '"3"', [3]],
      ['an ETag with surrounding spaces', '  "3"  ', [3]],
      ['a list of issued ETags (any may match, RFC 9110)', '"7", "1"', [7, 1]],
      ['a list with an issued ETag after a weak one', 'W/"1", "7"', [7]],
    ])('when If-Match is %s, allows those versions', (_case, header, versions) => {
      // Arrange (the case's header)

      // Act
      const allowed = ifMatchVersions(header);

      // Assert
      expect(allowed).toEqual(versions);
    });

    it.each([
      ['absent', undefined],
      ['*', '*'],
      ['* with spaces', ' * '],
    ])('when If-Match is %s, allows any version', (_case, header) => {
      // Arrange (the case's header)

      // Act
      const allowed = ifMatchVersions(header);

      // Assert
      expect(allowed).toBeUndefined();
    });

    it.each([
      ['a weak ETag (never strong-matches)', 'W/"3"'],
      ['an unquoted number', '3'],
      ['garbage', 'not-an-etag'],
      ['an empty string', ''],
      ['a non-numeric ETag', '"abc"'],
      ['a number too long to be a version', '"12345678901"'],
    ])('when If-Match is %s, allows no version', (_case, header) => {
      // Arrange (the case's header)

      // Act
      const allowed = ifMatchVersions(header);

      // Assert
      expect(allowed).toEqual([]);
    });
  });

  describe('ifNoneMatchHits', () => {
    it.each([
      ['the current ETag', '"2"', true],
      ['the current ETag, weak (weak comparison)', 'W/"2"', true],
      ['a list holding the current ETag', '"1", "2"', true],
      ['*', '*', true],
      ['an older ETag', '"1"', false],
      ['garbage', 'x', false],
      ['absent', undefined, false],
    ])('when If-None-Match is %s at version 2, says %s', (_case, header, hit) => {
      // Arrange (the case's header)

      // Act
      const hits = ifNoneMatchHits(header, 2);

      // Assert
      expect(hits).toBe(hit);
    });
  });

  describe('canonicalJson', () => {
    it('when two objects differ only in key order (at any depth), serialises them identically', () => {
      // Arrange
      const first = { title: 'A', nested: { b: 1, a: [{ y: 2, x: 1 }] }, dueDate: null };
      const second = { dueDate: null, nested: { a: [{ x: 1, y: 2 }], b: 1 }, title: 'A' };

      // Act
      const left = canonicalJson(first);
      const right = canonicalJson(second);

      // Assert
      expect(left).toBe(right);
      expect(left).toBe('{"dueDate":null,"nested":{"a":[{"x":1,"y":2}],"b":1},"title":"A"}');
    });

    it('when values differ, serialises them differently, and drops undefined fields', () => {
      // Arrange
      const withUndefined = { title: 'A', description: undefined };

      // Act
      const serialised = canonicalJson(withUndefined);

      // Assert
      expect(serialised).toBe('{"title":"A"}');
      expect(canonicalJson({ title: 'B' })).not.toBe(serialised);
      expect(canonicalJson(null)).toBe('null');
      expect(canonicalJson(undefined)).toBe('null');
    });
  });

  describe('cursors', () => {
    it('when a cursor this API encoded is decoded, gives back the same position', () => {
      // Arrange
      const position = { createdAt: '2026-01-02T03:04:05.678Z', id: '0b7e2a38-9f4c-4d1e-8a6b-5c3d2e1f0a9b' };

      // Act
      const decoded = decodeCursor(encodeCursor(position));

      // Assert
      expect(decoded).toEqual(position);
    });

    it('when no cursor is given, starts from the beginning', () => {
      // Arrange
      const raw = undefined;

      // Act
      const decoded = decodeCursor(raw);

      // Assert
      expect(decoded).toBeUndefined();
    });

    it.each([
      ['garbage', 'not-a-cursor'],
      ['base64url of non-JSON', Buffer.from('hello').toString('base64url')],
      ['a JSON object instead of a pair', encode({ createdAt: '2026-01-02T03:04:05.678Z', id: 'x' })],
      ['a pair with an SQL string as id', encode(['2026-01-02T03:04:05.678Z', "' OR 1=1 --"])],
      ['a pair with a bad timestamp', encode(['yesterday', '0b7e2a38-9f4c-4d1e-8a6b-5c3d2e1f0a9b'])],
      ['a triple', encode(['2026-01-02T03:04:05.678Z', '0b7e2a38-9f4c-4d1e-8a6b-5c3d2e1f0a9b', 1])],
      ['a pair of numbers', encode([1, 2])],
    ])('when the cursor is %s, throws a BadRequestError pointing at /query/cursor', (_case, raw) => {
      // Arrange (the case's cursor)

      // Act
      const error = thrownBy(() => decodeCursor(raw));

      // Assert
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).errors).toEqual([{ path: '/query/cursor', message: expect.any(String) }]);
    });
  });
});
