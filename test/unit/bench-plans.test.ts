import { describe, expect, it } from 'vitest';
import { planShape, readsKeysetIndex } from '../../bench/harness/scale.ts';

const keysetPlan = `Limit  (cost=0.42..2.31 rows=21 width=128) (actual time=0.025..0.127 rows=21 loops=1)
  ->  Index Scan using tasks_owner_created_idx on tasks  (cost=0.42..89797.61 rows=1000000 width=128) (actual time=0.024..0.123 rows=21 loops=1)
        Index Cond: (owner_id = 'bd22b981-d342-4f79-9db0-249f35132c50'::uuid)`;

const joinedPagePlan = `Sort  (cost=9.1..9.2 rows=21 width=144) (actual time=0.081..0.083 rows=21 loops=1)
  Sort Key: t.created_at DESC, t.id DESC
  ->  Nested Loop Left Join  (cost=0.84..8.6 rows=21 width=144) (actual time=0.03..0.07 rows=21 loops=1)
        ->  Index Scan using users_cognito_sub_key on users c  (cost=0.42..8.44 rows=1 width=16) (actual time=0.01..0.01 rows=1 loops=1)
        ->  Limit  (cost=0.42..2.31 rows=21 width=128) (actual time=0.02..0.05 rows=21 loops=1)
              ->  Index Scan using tasks_owner_created_idx on tasks t  (cost=0.42..89797.61 rows=1000000 width=128) (actual time=0.02..0.05 rows=21 loops=1)`;

const sortedTablePlan = `Limit  (cost=23.20..23.24 rows=19 width=125) (actual time=80.1..80.2 rows=21 loops=1)
  ->  Sort  (cost=23.20..23.24 rows=1000000 width=125) (actual time=80.0..80.1 rows=1000000 loops=1)
        Sort Key: created_at DESC, id DESC
        ->  Index Scan using tasks_owner_status_created_idx on tasks  (cost=0.42..22.79 rows=19 width=125) (actual time=0.04..40.0 rows=1000000 loops=1)`;

const seqScanPlan = `Limit  (cost=0.00..2.31 rows=21 width=128) (actual time=0.025..0.127 rows=21 loops=1)
  ->  Seq Scan on tasks  (cost=0.00..89797.61 rows=1000000 width=128) (actual time=0.024..0.123 rows=21 loops=1)`;

describe('bench scale plans', () => {
  it('accepts a keyset index scan under a Limit', () => {
    expect(readsKeysetIndex(keysetPlan)).toBe(true);
    expect(planShape(keysetPlan)).toBe('Limit → Index Scan using tasks_owner_created_idx');
  });

  it('accepts a Sort of one page on top of a caller join that reads the keyset index', () => {
    expect(readsKeysetIndex(joinedPagePlan)).toBe(true);
  });

  it('rejects a Sort of more than a page, even when an index scan feeds it', () => {
    expect(readsKeysetIndex(sortedTablePlan)).toBe(false);
  });

  it('rejects a sequential scan of tasks', () => {
    expect(readsKeysetIndex(seqScanPlan)).toBe(false);
  });
});
