/**
 * Turns one inbound WebSocket frame into a validated ClientMessage, or into the error the client is
 * told. Validators are compiled once at module load (one per message type), so a frame costs one
 * JSON.parse and one compiled check.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ClientMessageType, ErrorCode, PROTOCOL_VERSION, SIGNAL_REQUEST_DATA_INFIX, SIGNAL_REQUEST_PREFIX, type ClientMessage } from '../protocol/signaling.js';
import { PEER_ID_LENGTH } from '../protocol/ids.js';
import { ClientMessageSchemas } from './schemas.js';

export type DecodeResult =
  | {
      ok: true;
      message: ClientMessage;
      /**
       * For a `signal` frame in the canonical layout browsers send (`{"type":"signal","to":"…",
       * "data":…}`), the exact JSON text of `data`, so the relay can forward it without
       * serialising it again.
       */
      rawData?: string;
    }
  | { ok: false; code: ErrorCode; message: string; ref?: string };

const DATA_START = SIGNAL_REQUEST_PREFIX.length + PEER_ID_LENGTH + SIGNAL_REQUEST_DATA_INFIX.length;

/**
 * The text of `data` inside a validated signal frame, when the frame has the canonical layout.
 * Safe because the frame already parsed to exactly {type, to, data}: anything after `"data":` is
 * that value (or a repeated key of the same three, which a receiver's JSON.parse resolves to the
 * same validated value), and `to` is checked to be the one that was validated.
 */
function rawSignalData(frame: string, to: string): string | undefined {
  if (!frame.startsWith(SIGNAL_REQUEST_PREFIX) || !frame.startsWith(SIGNAL_REQUEST_DATA_INFIX, SIGNAL_REQUEST_PREFIX.length + PEER_ID_LENGTH)) {
    return undefined;
  }
  if (frame.charCodeAt(frame.length - 1) !== 0x7d /* } */) return undefined;
  if (frame.slice(SIGNAL_REQUEST_PREFIX.length, SIGNAL_REQUEST_PREFIX.length + PEER_ID_LENGTH) !== to) return undefined;
  return frame.slice(DATA_START, -1);
}

const ajv = new Ajv({ allErrors: false, strict: true });

const validators = new Map<string, ValidateFunction>(
  Object.entries(ClientMessageSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
);

const KNOWN_TYPES = [...validators.keys()].join(', ');

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'does not match the schema';
  const where = error.instancePath ? `field ${error.instancePath.slice(1).replaceAll('/', '.')}` : 'message';
  if (error.keyword === 'additionalProperties') {
    return `${where} has an unexpected field "${String(error.params.additionalProperty).slice(0, 64)}"`;
  }
  if (error.keyword === 'required') return `${where} is missing the field "${String(error.params.missingProperty).slice(0, 64)}"`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Decodes a frame of at most the configured size; `frame` is its UTF-8 text. */
export function decodeClientMessage(frame: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return { ok: false, code: ErrorCode.BadJson, message: 'The frame is not valid JSON.' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: ErrorCode.UnknownType, message: 'A frame must be a JSON object with a "type".' };
  }
  const type = (parsed as { type?: unknown }).type;
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (!validate) {
    return {
      ok: false,
      code: ErrorCode.UnknownType,
      message: `Unknown message type; expected one of: ${KNOWN_TYPES}.`,
      ...(typeof type === 'string' && type.length <= 32 ? { ref: type } : {}),
    };
  }
  // A join of another protocol version has another shape: the client is told its version is the
  // problem (and to reload), not its fields.
  const version = (parsed as { v?: unknown }).v;
  if (type === ClientMessageType.Join && Number.isInteger(version) && (version as number) >= 1 && version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      code: ErrorCode.UnsupportedVersion,
      message: `This server speaks protocol version ${PROTOCOL_VERSION}; the client sent ${version}. Reload the page to update.`,
      ref: type,
    };
  }
  if (!validate(parsed)) {
    return {
      ok: false,
      code: ErrorCode.InvalidMessage,
      message: `Invalid "${type as string}" message: ${describe(validate.errors?.[0])}.`,
      ref: type as string,
    };
  }
  const message = parsed as ClientMessage;
  if (message.type === ClientMessageType.Signal) {
    const rawData = rawSignalData(frame, message.to);
    if (rawData !== undefined) return { ok: true, message, rawData };
  }
  return { ok: true, message };
}
