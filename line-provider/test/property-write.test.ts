/**
 * The write RPCs (CreateEvent, UpdateEvent, UpdateEventStatus) against generated requests, encoded by hand
 * so that anything the wire allows can be sent: any strings (also invalid UTF-8), timestamps out of range
 * or with impossible nanos, unknown enum values, absent fields, unknown fields. The answer is OK or one of
 * the documented refusals (never INTERNAL or UNKNOWN), and a refused call leaves the store as it was.
 * A second property adds generated `authorization` metadata against an admin token.
 * Failures print a seed: `FC_SEED=<seed> npx ava line-provider/test/property-write.test.ts` replays it.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Client, credentials, Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';

import type { App } from '../src/app.js';
import { startServer } from './helpers.js';

const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const options = (numRuns: number) => ({
  numRuns,
  includeErrorInReport: true,
  ...(seed === undefined ? {} : { seed }),
});
const SERVICE = '/lineprovider.v1.LineProviderService';

/** A few ids shared by every generated call, so that calls meet: repeats, updates after finish, ... */
const POOL = [...Array.from({ length: 24 }, (_, i) => `p-${i}`), 'p 24', 'x'.repeat(64)];

/** A string field's bytes: usually text, sometimes bytes that are not UTF-8 at all. */
type Text = { text: string } | { bytes: Uint8Array };

const text = (arb: fc.Arbitrary<string>): fc.Arbitrary<Text> =>
  fc.oneof(
    { weight: 9, arbitrary: arb.map((t) => ({ text: t })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 70 }).map((b) => ({ bytes: b })) },
  );

const eventId = text(
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...POOL) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\u0000', 'é', '\u{1F600}', 'x'.repeat(65), 'a\nb') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ minLength: 60, maxLength: 70, unit: 'grapheme-ascii' }) },
  ),
);

const coefficient = text(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(fc.integer({ min: 0, max: 99 }), fc.nat(99)).map(([a, b]) => `${a}.${b}`),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '1.50',
        '1.5',
        '0',
        '0.00',
        '-1',
        '1e2',
        '1E-2',
        '1.005',
        'NaN',
        'Infinity',
        '',
        ' 1',
        '1,5',
        '0x10',
        '999999999.99',
        '1000000000',
        '+1',
        '.5',
        '1.',
        '00001.10',
        '\u0661.5',
      ),
    },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  ),
);

const NOW = BigInt(Math.floor(Date.now() / 1000));

/** google.protobuf.Timestamp as sent: any int64 seconds, any int32 nanos. */
const timestamp = fc.record({
  seconds: fc.oneof(
    { weight: 6, arbitrary: fc.bigInt({ min: NOW - 86_400n, max: NOW + 86_400n * 365n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -62_135_596_900n, max: 253_402_300_900n }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        0n,
        -1n,
        -62_135_596_800n,
        253_402_300_799n,
        253_402_300_800n,
        2n ** 63n - 1n,
        -(2n ** 63n),
      ),
    },
  ),
  nanos: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 999_999_999 }) },
    { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  ),
});

/** A proto field that may be absent. */
const maybe = <T>(arb: fc.Arbitrary<T>, odds = 5) =>
  fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: odds, arbitrary: arb });

const unknownField = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 16, max: 2000 }), fc.uint8Array({ maxLength: 8 })) },
);

const call = fc.oneof(
  fc.record({
    rpc: fc.constant('CreateEvent' as const),
    eventId: maybe(eventId),
    coefficient: maybe(coefficient),
    deadline: maybe(timestamp),
    unknown: unknownField,
  }),
  fc.record({
    rpc: fc.constant('UpdateEvent' as const),
    eventId: maybe(eventId),
    coefficient: maybe(coefficient, 1),
    deadline: maybe(timestamp, 1),
    unknown: unknownField,
  }),
  fc.record({
    rpc: fc.constant('UpdateEventStatus' as const),
    eventId: maybe(eventId),
    status: maybe(fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))),
    unknown: unknownField,
  }),
);

type Call = typeof call extends fc.Arbitrary<infer T> ? T : never;

function writeText(w: BinaryWriter, field: number, value: Text | undefined): void {
  if (value === undefined) return;
  if ('text' in value) w.uint32((field << 3) | WireType.LengthDelimited).string(value.text);
  else w.tag(field, WireType.LengthDelimited).bytes(value.bytes);
}

/** The request bytes, written field by field as any client could. */
function encode(c: Call): Buffer {
  const w = new BinaryWriter();
  writeText(w, 1, c.eventId);
  if (c.rpc === 'UpdateEventStatus') {
    if (c.status !== undefined) w.tag(2, WireType.Varint).int32(c.status);
  } else {
    writeText(w, 2, c.coefficient);
    if (c.deadline !== undefined) {
      w.tag(3, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Varint).int64(c.deadline.seconds);
      w.tag(2, WireType.Varint).int32(c.deadline.nanos);
      w.join();
    }
  }
  if (c.unknown !== undefined) w.tag(c.unknown[0], WireType.LengthDelimited).bytes(c.unknown[1]);
  return Buffer.from(w.finish());
}

/** Sends the call; resolves with its status code (never rejects). */
function send(client: Client, c: Call, metadata = new Metadata()): Promise<Status> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `${SERVICE}/${c.rpc}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      encode(c),
      metadata,
      { deadline: Date.now() + 5_000 },
      (error: ServiceError | null) => resolve(error === null ? Status.OK : error.code),
    );
  });
}

/** Everything a client can observe of the store. */
const stateOf = (app: App): string =>
  JSON.stringify({ revision: app.store.revision, events: app.store.all() });

const REFUSALS = new Set([
  Status.INVALID_ARGUMENT,
  Status.NOT_FOUND,
  Status.ALREADY_EXISTS,
  Status.FAILED_PRECONDITION,
]);

async function rawClient(t: ExecutionContext, port: number): Promise<Client> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  t.teardown(() => client.close());
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 5_000, (e) => (e ? reject(e) : resolve())),
  );
  return client;
}

test('when the write RPCs get generated requests, then each is OK or a documented refusal that changes nothing', async (t) => {
  t.timeout(120_000);
  const { app, port } = await startServer(t);
  const client = await rawClient(t, port);
  const codes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(call, async (c) => {
      const before = stateOf(app);
      const code = await send(client, c);
      const key = `${c.rpc} ${Status[code]}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
      if (code === Status.OK) return;
      if (!REFUSALS.has(code)) throw new Error(`${c.rpc} answered ${Status[code]}`);
      if (stateOf(app) !== before)
        throw new Error(`${c.rpc} refused with ${Status[code]} but the store changed`);
    }),
    options(3_000),
  );
  t.log(JSON.stringify(Object.fromEntries([...codes].sort())));
  for (const rpc of ['CreateEvent', 'UpdateEvent', 'UpdateEventStatus']) {
    t.true((codes.get(`${rpc} OK`) ?? 0) > 0, `${rpc} sometimes succeeds`);
    t.true((codes.get(`${rpc} INVALID_ARGUMENT`) ?? 0) > 0, `${rpc} sometimes refuses`);
  }
});

test('when write RPCs carry generated authorization metadata, then only the admin token gets through', async (t) => {
  t.timeout(60_000);
  const admin = 'admin-token-for-property-tests';
  const reader = 'reader-token-for-property-tests';
  const { app, port } = await startServer(t, { adminToken: admin, readToken: reader });
  const client = await rawClient(t, port);
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  });
  const authorization = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      `Bearer ${admin}`,
      `Bearer ${reader}`,
      `bearer ${admin}`,
      `Bearer  ${admin}`,
      `Bearer ${admin} `,
      `Bearer ${admin}x`,
      `Bearer ${admin.slice(0, -1)}`,
      `Basic ${admin}`,
      admin,
      'Bearer',
      'Bearer ',
      '',
    ),
    printable.map((s) => `Bearer ${s}`),
    printable,
  );
  await fc.assert(
    fc.asyncProperty(call, authorization, async (c, auth) => {
      const metadata = new Metadata();
      if (auth !== undefined) metadata.set('authorization', auth);
      const before = stateOf(app);
      const code = await send(client, c, metadata);
      const passed = code !== Status.UNAUTHENTICATED && code !== Status.PERMISSION_DENIED;
      // How lenient the header parsing is (case, spaces) is the server's choice; who gets in is not.
      const adminForm = auth !== undefined && /^bearer\s+admin-token-for-property-tests\s*$/i.test(auth);
      if (passed && !adminForm)
        throw new Error(`${c.rpc} with ${JSON.stringify(auth)} got in: ${Status[code]}`);
      if (auth === `Bearer ${admin}` && !passed)
        throw new Error(`the admin token was refused: ${Status[code]}`);
      if (passed && code !== Status.OK && !REFUSALS.has(code))
        throw new Error(`${c.rpc} answered ${Status[code]}`);
      if (code !== Status.OK && stateOf(app) !== before)
        throw new Error(`${Status[code]} but the store changed`);
    }),
    options(1_000),
  );
  t.pass();
});
