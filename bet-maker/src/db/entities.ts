import { defineEntity } from '@mikro-orm/core';

const p = defineEntity.properties;

/**
 * The local mirror of line-provider's events (the inbox). Written by the watcher's conditional upserts
 * (src/db/events-repo.ts), read when placing and settling bets.
 */
export const EventEntity = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: p.string().primary().columnType('text'),
    coefficient: p.decimal('string').columnType('numeric(12,2)'),
    deadline: p.datetime().columnType('timestamptz'),
    status: p.string().columnType('text'),
    revision: p.bigint('string'),
    providerInstanceId: p.string().columnType('text'),
    orphanedAt: p.datetime().columnType('timestamptz').nullable(),
    settledAt: p.datetime().columnType('timestamptz').nullable(),
    /** When bet-maker applied the finish (see Migration20250301000000EventFinishedAt). */
    finishedAt: p.datetime().columnType('timestamptz').nullable(),
    updatedAt: p.datetime().columnType('timestamptz'),
  },
});

/**
 * A bet. `id` is an internal bigint identity: it orders bets (newest first) and drives keyset pagination
 * and settlement batches; `betId` is the public uuid, so ids reveal neither volume nor order.
 */
export const BetEntity = defineEntity({
  name: 'Bet',
  tableName: 'bets',
  properties: {
    id: p.bigint('string').primary(),
    betId: p.uuid().unique(),
    event: p.manyToOne(EventEntity).fieldName('event_id'),
    amount: p.decimal('string').columnType('numeric(14,2)'),
    coefficient: p.decimal('string').columnType('numeric(12,2)'),
    status: p.string().columnType('text'),
    createdAt: p.datetime().columnType('timestamptz'),
    settledAt: p.datetime().columnType('timestamptz').nullable(),
    idempotencyKey: p.string().columnType('text').nullable().unique(),
    requestHash: p.string().columnType('text').nullable(),
  },
});
