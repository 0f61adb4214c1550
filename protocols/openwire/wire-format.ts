/**
 * WireFormatInfo: the first command each side sends. Its properties are a marshalled primitive
 * map; the options in force are the AND of both sides' (the lower version). Whether Warren offers
 * tight encoding and the marshal cache (the Java client's defaults) is a setting, off by default
 * (OpenWireOptions.tightEncoding, .cache).
 */
import { DecodeError, Reader, Writer } from "./codec/primitives.js";
import { makeWireFormatInfo, OPENWIRE_MAX_VERSION, type WireFormatInfo } from "./codec/commands.generated.js";
import { type PrimitiveMap, readPrimitiveMap, writePrimitiveMap } from "./primitive-map.js";

export const MAGIC = Buffer.from("ActiveMQ", "latin1");
/** The marshal cache's entries we offer (ActiveMQ's default). */
const CACHE_SIZE = 1024;

export interface WireFormat {
  version: number;
  tightEncoding: boolean;
  cache: boolean;
  /** Entries of the marshal cache (each direction), the lower of both sides' CacheSize. */
  cacheSize: number;
  stackTraces: boolean;
  sizePrefixDisabled: boolean;
  /** The peer's inactivity limit (ms), 0 for none. */
  maxInactivityMs: number;
  maxInactivityInitialDelayMs: number;
}

/** What Warren offers besides the fixed properties. */
export interface WireFormatOffer {
  maxInactivityMs: number;
  maxFrameSize: number;
  tightEncoding: boolean;
  cache: boolean;
}

/** What Warren offers, as a WireFormatInfo (properties in the order ActiveMQ sends them). */
export function ourWireFormatInfo(offer: WireFormatOffer): WireFormatInfo {
  const { maxInactivityMs, maxFrameSize } = offer;
  const props: PrimitiveMap = new Map<string, import("./primitive-map.js").PrimitiveValue>([
    ["StackTraceEnabled", true],
    ["PlatformDetails", "Warren (Node.js)"],
    ["CacheEnabled", offer.cache],
    ["TcpNoDelayEnabled", true],
    ["SizePrefixDisabled", false],
    ["CacheSize", { int: CACHE_SIZE }],
    ["ProviderName", "Warren"],
    ["TightEncodingEnabled", offer.tightEncoding],
    ["MaxFrameSize", { long: maxFrameSize }],
    ["MaxInactivityDuration", { long: maxInactivityMs }],
    ["MaxInactivityDurationInitalDelay", { long: 10_000 }],
    ["MaxFrameSizeEnabled", true],
    ["ProviderVersion", "5.17.2"],
  ]);
  const w = new Writer(512);
  writePrimitiveMap(w, props);
  return makeWireFormatInfo({ magic: MAGIC, version: OPENWIRE_MAX_VERSION, marshalledProperties: w.take(0) });
}

function bool(v: unknown, dflt: boolean): boolean {
  return typeof v === "boolean" ? v : dflt;
}
function long(v: unknown, dflt: number): number {
  if (typeof v === "number") return v;
  if (typeof v === "object" && v !== null && "long" in v) return (v as { long: number }).long;
  if (typeof v === "object" && v !== null && "int" in v) return (v as { int: number }).int;
  return dflt;
}

/** The options in force after the client's WireFormatInfo; a DecodeError for a bad magic or map. */
export function negotiate(info: WireFormatInfo, ours: WireFormatOffer): WireFormat {
  if (!info.magic.equals(MAGIC)) throw new DecodeError("WireFormatInfo without the ActiveMQ magic");
  if (info.version < 1) throw new DecodeError(`OpenWire version ${info.version} is not supported`);
  const p =
    info.marshalledProperties === null
      ? new Map()
      : readPrimitiveMap(new Reader(info.marshalledProperties, 0, info.marshalledProperties.length, 1, false));
  return {
    version: Math.min(info.version, OPENWIRE_MAX_VERSION),
    // ActiveMQ's rule: an option is on when both sides ask for it
    tightEncoding: ours.tightEncoding && bool(p.get("TightEncodingEnabled"), false),
    cache: ours.cache && bool(p.get("CacheEnabled"), false),
    // ActiveMQ takes the lower of both sizes
    cacheSize: Math.max(1, Math.min(long(p.get("CacheSize"), CACHE_SIZE), CACHE_SIZE)),
    stackTraces: bool(p.get("StackTraceEnabled"), false),
    sizePrefixDisabled: bool(p.get("SizePrefixDisabled"), false),
    maxInactivityMs: Math.min(long(p.get("MaxInactivityDuration"), 30_000), ours.maxInactivityMs > 0 ? ours.maxInactivityMs : Infinity),
    maxInactivityInitialDelayMs: long(p.get("MaxInactivityDurationInitalDelay"), 10_000),
  };
}
