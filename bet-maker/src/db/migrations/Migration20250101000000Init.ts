import { Migration } from '@mikro-orm/migrations';

/** The initial schema; see DESIGN.md (bet-maker) for why each index exists. */
export class Migration20250101000000Init extends Migration {
  override up(): void {
    this.addSql(`
      CREATE TABLE events (
        id text PRIMARY KEY,
        coefficient numeric(12,2) NOT NULL CHECK (coefficient > 0),
        deadline timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('NEW', 'FINISHED_WIN', 'FINISHED_LOSE')),
        revision bigint NOT NULL,
        provider_instance_id text NOT NULL,
        orphaned_at timestamptz NULL,
        settled_at timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The sweeper's work list: finished events whose bets were not all settled yet.
    this.addSql(
      `CREATE INDEX events_unsettled_idx ON events (id) WHERE status <> 'NEW' AND settled_at IS NULL`,
    );
    this.addSql(`
      CREATE TABLE bets (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        bet_id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
        event_id text NOT NULL REFERENCES events (id),
        amount numeric(14,2) NOT NULL CHECK (amount > 0),
        coefficient numeric(12,2) NOT NULL CHECK (coefficient > 0),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'WON', 'LOST')),
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz NULL,
        idempotency_key text NULL UNIQUE,
        request_hash text NULL,
        CHECK ((status = 'PENDING') = (settled_at IS NULL))
      )`);
    // Settlement walks an event's pending bets by id; settled rows leave this index.
    this.addSql(`CREATE INDEX bets_pending_idx ON bets (event_id, id) WHERE status = 'PENDING'`);
    // GET /bets newest first, by event or by status (the primary key serves the unfiltered list).
    this.addSql(`CREATE INDEX bets_event_id_idx ON bets (event_id, id)`);
    this.addSql(`CREATE INDEX bets_status_id_idx ON bets (status, id)`);
  }

  override down(): void {
    this.addSql('DROP TABLE bets');
    this.addSql('DROP TABLE events');
  }
}
