import { describe, expect, it } from 'vitest';
import {
  assertSupportedServerVersion,
  minimumServerMajor,
  UnsupportedServerError,
} from '../../scripts/local/database.ts';

describe('assertSupportedServerVersion (DATABASE_URL)', () => {
  it('when the server is PostgreSQL 14, throws a message naming its version and the minimum, 15', () => {
    // Arrange
    const check = () => assertSupportedServerVersion(140_009, '14.9');

    // Act / Assert
    expect(check).toThrow(UnsupportedServerError);
    expect(check).toThrow('PostgreSQL 14.9 is too old: Taskboard needs PostgreSQL 15 or later');
  });

  it.each([
    [150_018, '15.18 (Debian 15.18-0+deb12u1)'],
    [160_004, '16.4'],
    [170_005, '17.5'],
    [180_000, '18.0'],
  ])('accepts server_version_num %i', (num, version) => {
    expect(() => assertSupportedServerVersion(num, version)).not.toThrow();
  });

  it('names 15 as the minimum, the version CI proves (Debian 12’s postgresql)', () => {
    expect(minimumServerMajor).toBe(15);
  });
});
