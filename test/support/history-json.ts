import { createRequire } from 'node:module';
import {
  historyFromJSON as sdkHistoryFromJSON,
  historyToJSON as sdkHistoryToJSON,
  type History,
} from '@temporalio/common/lib/proto-utils.js';

/**
 * Temporal's history JSON (the format the Temporal CLI and Web UI export) to and from History.
 *
 * The SDK's own helpers call protobufjs' `protojson`, which checks `type instanceof Type` against
 * ITS copy of protobufjs. When npm cannot hoist protobufjs 8 (here @grpc/proto-loader keeps a
 * protobufjs 7 at the top), @temporalio/common and @temporalio/proto each get a nested copy and
 * that check fails with "type must be a Type", and so does Worker.runReplayHistories given JSON.
 * Then the same conversion runs with the protojson of the copy @temporalio/proto itself uses.
 * Once the install has one copy (npm dedupe, or an `overrides` entry), the SDK path is taken.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

interface ProtoBindings {
  protojson: ProtoJson;
  historyType: unknown;
  History: { fromObject(object: unknown): unknown };
}

let bindings: ProtoBindings | undefined;

function protoBindings(): ProtoBindings {
  if (bindings) return bindings;
  const here = createRequire(import.meta.url);
  const fromCommon = createRequire(here.resolve('@temporalio/common/lib/proto-utils.js'));
  const fromProto = createRequire(fromCommon.resolve('@temporalio/proto'));
  const proto = fromCommon('@temporalio/proto') as {
    temporal: { api: { history: { v1: { History: ProtoBindings['History'] } } } };
  };
  const { patchProtobufRoot } = fromCommon('@temporalio/proto/lib/patch-protobuf-root') as {
    patchProtobufRoot(root: unknown): { lookupType(name: string): unknown };
  };
  bindings = {
    protojson: fromProto('protobufjs/ext/protojson') as ProtoJson,
    historyType: patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History'),
    History: proto.temporal.api.history.v1.History,
  };
  return bindings;
}

function isCopyMismatch(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'type must be a Type';
}

export function historyToJSON(history: History): string {
  try {
    return sdkHistoryToJSON(history);
  } catch (error) {
    if (!isCopyMismatch(error)) throw error;
    const { protojson, historyType, History: HistoryMessage } = protoBindings();
    return JSON.stringify(protojson.toJson(historyType, HistoryMessage.fromObject(history)), null, 2);
  }
}

export function historyFromJSON(json: unknown): History {
  try {
    return sdkHistoryFromJSON(json);
  } catch (error) {
    if (!isCopyMismatch(error)) throw error;
    // Files written by historyToJSON (and the current Temporal CLI) use the canonical enum names
    // the fallback reads; older exports with PascalCase enums need the SDK path.
    const { protojson, historyType } = protoBindings();
    return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
  }
}
