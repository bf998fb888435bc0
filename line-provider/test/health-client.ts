import type { ClientReadableStream } from '@grpc/grpc-js';
import { Client, credentials } from '@grpc/grpc-js';
import { service } from 'grpc-health-check';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The status field of a grpc.health.v1.HealthCheckResponse (proto-loader decodes enums as names). */
export function statusOf(response: unknown): ServingStatus {
  if (typeof response === 'object' && response !== null && 'status' in response) {
    const { status } = response;
    if (
      status === 'UNKNOWN' ||
      status === 'SERVING' ||
      status === 'NOT_SERVING' ||
      status === 'SERVICE_UNKNOWN'
    ) {
      return status;
    }
  }
  throw new Error(`not a health response: ${JSON.stringify(response)}`);
}

/** A minimal client of grpc.health.v1.Health, built from grpc-health-check's own service definition. */
export class HealthClient {
  private readonly client: Client;

  constructor(port: number) {
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  check(serviceName: string): Promise<ServingStatus> {
    const { path, requestSerialize, responseDeserialize } = service['Check'] ?? missing('Check');
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        requestSerialize,
        responseDeserialize,
        { service: serviceName },
        (error, value) => (error === null ? resolve(statusOf(value)) : reject(error)),
      );
    });
  }

  watch(serviceName: string): ClientReadableStream<object> {
    const { path, requestSerialize, responseDeserialize } = service['Watch'] ?? missing('Watch');
    return this.client.makeServerStreamRequest(path, requestSerialize, responseDeserialize, {
      service: serviceName,
    });
  }

  close(): void {
    this.client.close();
  }
}

function missing(method: string): never {
  throw new Error(`grpc-health-check has no ${method} method`);
}
