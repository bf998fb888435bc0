import { fileURLToPath } from 'node:url';
import swaggerJsdoc from 'swagger-jsdoc';

const problem = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'urn:bet-maker:problem:validation_failed' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const decimal = (example: string) => ({ type: 'string', pattern: '^\\d+\\.\\d{2}$', example });

const definition = {
  openapi: '3.0.3',
  info: {
    title: 'bet-maker',
    version: '1.0.0',
    description:
      'Bets on line-provider events. Decimals are strings with two places; times are RFC 3339 UTC.',
  },
  components: {
    schemas: {
      Problem: problem,
      Event: {
        type: 'object',
        required: ['event_id', 'coefficient', 'deadline', 'status'],
        properties: {
          event_id: { type: 'string' },
          coefficient: decimal('1.75'),
          deadline: { type: 'string', format: 'date-time' },
          status: { type: 'string', enum: ['NEW'] },
        },
      },
      PlaceBet: {
        type: 'object',
        required: ['event_id', 'amount'],
        additionalProperties: false,
        properties: {
          event_id: { type: 'string', minLength: 1, maxLength: 64 },
          amount: {
            oneOf: [
              { type: 'number', example: 10.5 },
              { type: 'string', example: '10.50' },
            ],
            description: '> 0, at most two decimal places, at most 1000000.00',
          },
        },
      },
      Bet: {
        type: 'object',
        required: ['bet_id', 'event_id', 'amount', 'coefficient', 'status', 'created_at', 'settled_at'],
        properties: {
          bet_id: { type: 'string', format: 'uuid' },
          event_id: { type: 'string' },
          amount: decimal('10.50'),
          coefficient: decimal('1.75'),
          status: { type: 'string', enum: ['PENDING', 'WON', 'LOST'] },
          created_at: { type: 'string', format: 'date-time' },
          settled_at: { type: 'string', format: 'date-time', nullable: true },
        },
      },
      Readiness: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['ready', 'not ready'] },
          checks: {
            type: 'object',
            properties: {
              database: { type: 'string', enum: ['ok', 'unreachable'] },
              event_stream: { type: 'string', enum: ['disconnected', 'connecting', 'live'] },
              synced: { type: 'boolean' },
              line_provider_access: { type: 'string', enum: ['ok', 'unauthenticated', 'permission_denied'] },
            },
          },
          orphaned_bets: { type: 'integer', nullable: true },
          detail: { type: 'string', description: 'Why line-provider refuses bet-maker, when it does' },
        },
      },
    },
    responses: {
      BadRequest: problemResponse('The request is malformed'),
      Unprocessable: problemResponse('The request is well-formed but its values are not acceptable'),
      NotFound: problemResponse('Not found'),
      Conflict: problemResponse('The event no longer accepts bets'),
      NotSynced: {
        ...problemResponse('Not synced with line-provider yet, or (POST /bet) its event feed is down'),
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
      },
      TooManyRequests: {
        ...problemResponse('Rate limit reached (only when RATE_LIMIT_PER_SECOND is set)'),
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
      },
    },
  },
};

/** The OpenAPI 3 document, built from the `@openapi` comments on the route files. */
export function buildOpenApi(): object {
  const routes = fileURLToPath(new URL('./routes/', import.meta.url));
  return swaggerJsdoc({ definition, apis: [`${routes}*.ts`, `${routes}*.js`], failOnErrors: true });
}
