import { describe, expect, it } from 'vitest';
import { columnsOf, Params } from '../../handlers/runtime/columns.ts';

interface Profile {
  id: string;
  email: string;
  name: string;
  nickname: string | null;
}

const profileColumns = columnsOf<Profile>({
  id: { column: 'id' },
  email: { column: 'email', writes: 'text', insertOnly: true },
  name: { column: 'name', writes: 'text' },
  nickname: { column: 'nick_name', writes: 'text' },
});

describe('columnsOf', () => {
  it('writes an insertOnly field on insert', () => {
    // Arrange
    const params = new Params();

    // Act
    const values = profileColumns.writeValues(params, { email: 'a@example.com', name: 'A' });

    // Assert
    expect(profileColumns.writable.map(({ column }) => column)).toEqual(['email', 'name', 'nick_name']);
    expect(values).toEqual(['$1::text', '$2::text', '$3::text']);
    expect(params.values).toEqual(['a@example.com', 'A', null]);
  });

  it('leaves an insertOnly field out of an update, even when the changes name it', () => {
    // Arrange
    const params = new Params();
    params.add('leading');

    // Act
    const set = profileColumns.updateSet(params, 'p', { email: 'b@example.com', name: 'B' });

    // Assert
    expect(set).toEqual([
      'name = CASE WHEN $2 THEN $3::text ELSE p.name END',
      'nick_name = CASE WHEN $4 THEN $5::text ELSE p.nick_name END',
    ]);
    expect(params.values).toEqual(['leading', true, 'B', false, null]);
  });
});
