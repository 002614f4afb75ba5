import { describe, expect, it } from 'vitest';
import { parseGroups, principalFromClaims } from '../../handlers/runtime/principal.ts';

const sub = '8f3c2a1e-0b4d-4c6e-9a7f-1d2e3f4a5b6c';

describe('principal', () => {
  it('when the claims are a full ID token, maps sub, email, name, phone number and groups', () => {
    // Arrange
    const claims = {
      sub,
      email: 'carol@example.com',
      name: 'Carol',
      phone_number: '+14155550100',
      'cognito:groups': 'admin',
      'cognito:username': 'carol-username',
    };

    // Act
    const principal = principalFromClaims(claims);

    // Assert
    expect(principal).toEqual({
      sub,
      email: 'carol@example.com',
      name: 'Carol',
      phoneNumber: '+14155550100',
      groups: ['admin'],
    });
  });

  it.each([
    ['a single group', 'admin', ['admin']],
    ['a comma-separated list (REST API authorizer)', 'a,b', ['a', 'b']],
    ['a bracketed list (HTTP API authorizer)', '[a b]', ['a', 'b']],
    ['an array (claims of a verified token)', ['a', 'b'], ['a', 'b']],
    ['an empty string', '', []],
  ])('when cognito:groups is %s, parses the groups', (_shape, value, expected) => {
    // Arrange
    const claims = { sub, 'cognito:groups': value };

    // Act
    const principal = principalFromClaims(claims);

    // Assert
    expect(principal?.groups).toEqual(expected);
    expect(parseGroups(value)).toEqual(expected);
  });

  it('when there is no name claim, falls back to cognito:username, then to the email local part', () => {
    // Arrange
    const withUsername = { sub, email: 'dave@example.com', 'cognito:username': 'dave-user' };
    const withEmailOnly = { sub, email: 'erin@example.com' };

    // Act
    const fromUsername = principalFromClaims(withUsername);
    const fromEmail = principalFromClaims(withEmailOnly);

    // Assert
    expect(fromUsername?.name).toBe('dave-user');
    expect(fromEmail?.name).toBe('erin');
  });

  it('when there are no groups or phone number, gives an empty group list and no phone number', () => {
    // Arrange
    const claims = { sub, email: 'frank@example.com' };

    // Act
    const principal = principalFromClaims(claims);

    // Assert
    expect(principal?.groups).toEqual([]);
    expect(principal?.phoneNumber).toBeUndefined();
  });

  it.each([
    ['no claims', undefined],
    ['null claims', null],
    ['claims without sub', { email: 'ghost@example.com' }],
    ['a blank sub', { sub: '  ', email: 'ghost@example.com' }],
  ])('when given %s, returns undefined', (_case, claims) => {
    // Arrange (the case's claims)

    // Act
    const principal = principalFromClaims(claims);

    // Assert
    expect(principal).toBeUndefined();
  });
});
