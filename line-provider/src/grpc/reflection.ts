import { readFileSync } from 'node:fs';

import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Server } from '@grpc/grpc-js';
import type { AnyDefinition, PackageDefinition, ProtobufTypeDefinition } from '@grpc/proto-loader';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

// Descriptor sets written by `buf build` (npm run gen), imports included.
const DESCRIPTOR_SETS = [
  new URL('../gen/line_provider.binpb', import.meta.url),
  new URL('../gen/health.binpb', import.meta.url),
];

/**
 * Adds server reflection (v1 and v1alpha) describing LineProviderService and grpc.health.v1.Health, so that
 * `grpcurl` and `buf curl` can list and call every method.
 *
 * Why not just proto-loader's definitions: proto-loader re-serialises each file and drops its `dependency` list,
 * so a reflection client receives line_provider.proto without its import of google/protobuf/timestamp.proto and
 * cannot build the schema ("failed to find service named ..."). Reflection only reads `fileDescriptorProtos`
 * from the definitions, so they are given the original, untouched file descriptors from the sets instead.
 */
export function addReflection(server: Pick<Server, 'addService'>): void {
  let definition: PackageDefinition = {};
  for (const url of DESCRIPTOR_SETS) {
    const set = readFileSync(url);
    definition = {
      ...definition,
      ...withOriginalFiles(loadFileDescriptorSetFromBuffer(set), splitFiles(set)),
    };
  }
  new ReflectionService(definition).addToServer(server);
}

function withOriginalFiles(definition: PackageDefinition, files: Buffer[]): PackageDefinition {
  for (const entry of Object.values(definition)) {
    if (isTypeDefinition(entry)) entry.fileDescriptorProtos = files;
  }
  return definition;
}

function isTypeDefinition(entry: AnyDefinition): entry is ProtobufTypeDefinition & AnyDefinition {
  return Array.isArray((entry as Partial<ProtobufTypeDefinition>).fileDescriptorProtos);
}

/** The raw FileDescriptorProto messages of a FileDescriptorSet (`repeated FileDescriptorProto file = 1`). */
function splitFiles(set: Uint8Array): Buffer[] {
  const reader = new BinaryReader(set);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(Buffer.from(reader.bytes()));
    else reader.skip(wireType);
  }
  return files;
}
