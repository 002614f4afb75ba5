import { describe, expect, it } from 'vitest';
import { formats } from '../../handlers/runtime/formats.ts';

const check = (name: keyof typeof formats, text: string): boolean => {
  const format = formats[name];
  return format instanceof RegExp ? format.test(text) : format.validate(text);
};

describe('formats', () => {
  it.each([
    ['uuid', '3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b', true],
    ['uuid', '3F1E2D4C-5B6A-4798-8A1B-2C3D4E5F6A7B', true],
    ['uuid', 'urn:uuid:3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7b', false],
    ['uuid', '3f1e2d4c5b6a47988a1b2c3d4e5f6a7b', false],
    ['uuid', '3f1e2d4c-5b6a-4798-8a1b-2c3d4e5f6a7g', false],
    ['date', '2026-12-02', true],
    ['date', '2028-02-29', true],
    ['date', '2000-02-29', true],
    ['date', '2026-02-29', false],
    ['date', '1900-02-29', false],
    ['date', '2026-04-31', false],
    ['date', '2026-13-01', false],
    ['date', '2026-00-10', false],
    ['date', '2026-12-00', false],
    ['date', '2026-12-2', false],
    ['date', '2026-12-02T00:00:00Z', false],
    ['date-time', '2026-12-02T05:30:00Z', true],
    ['date-time', '2026-12-02t05:30:00.123456z', true],
    ['date-time', '2026-12-02T05:30:00+05:30', true],
    ['date-time', '2026-12-31T23:59:60Z', true],
    ['date-time', '2026-12-02T05:30:00', false],
    ['date-time', '2026-12-02T24:00:00Z', false],
    ['date-time', '2026-12-02T05:60:00Z', false],
    ['date-time', '2026-02-30T05:30:00Z', false],
    ['date-time', '2026-12-02T05:30:00+24:00', false],
    ['email', 'ada@example.com', true],
    ['email', 'ada.lovelace+tasks@mail.example.co.uk', true],
    ['email', 'ada@example', false],
    ['email', 'ada example@example.com', false],
    ['email', 'ada@@example.com', false],
    ['email', 'ada@example..com', false],
  ] as const)('when %s is checked against %j, says %s', (name, text, valid) => {
    // Act / Assert
    expect(check(name, text)).toBe(valid);
  });
});
