import { Migration } from '@mikro-orm/migrations';

/**
 * When bet-maker recorded each event's finish. The upsert that finishes an event stamps it with
 * clock_timestamp() after it has the row lock, i.e. after every bet insert holding FOR SHARE on the event
 * committed: so `bets.created_at < events.finished_at` for every accepted bet, which the fault tests check.
 * Rows finished before this migration get their last update time (the finish is their last change).
 */
export class Migration20250301000000EventFinishedAt extends Migration {
  override up(): void {
    this.addSql(`ALTER TABLE events ADD COLUMN finished_at timestamptz NULL`);
    this.addSql(`UPDATE events SET finished_at = updated_at WHERE status <> 'NEW'`);
  }

  override down(): void {
    this.addSql(`ALTER TABLE events DROP COLUMN finished_at`);
  }
}
