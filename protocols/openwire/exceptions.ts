/**
 * Refusals as the Java client sees them: an ExceptionResponse carrying a Java exception class
 * name and message, which ActiveMQ's client turns into the JMSException subclass of that name
 * (or wraps: java.lang.SecurityException becomes javax.jms.JMSSecurityException).
 */
import { type BrokerError, ReplyCode } from "../../src/core/index.js";
import type { JavaThrowable } from "./codec/primitives.js";

export class OpenWireRefusal {
  constructor(
    readonly className: string,
    readonly message: string,
  ) {}

  toThrowable(): JavaThrowable {
    return { className: this.className, message: this.message, stack: [], cause: null };
  }
}

export const JMS_EXCEPTION = "javax.jms.JMSException";
export const INVALID_CLIENT_ID = "javax.jms.InvalidClientIDException";
export const INVALID_DESTINATION = "javax.jms.InvalidDestinationException";
export const INVALID_SELECTOR = "javax.jms.InvalidSelectorException";
export const SECURITY = "java.lang.SecurityException";
export const UNSUPPORTED = "java.lang.UnsupportedOperationException";

/** A core refusal as the Java exception ActiveMQ would raise for it. */
export function refusalOf(e: BrokerError): OpenWireRefusal {
  switch (e.code) {
    case ReplyCode.ACCESS_REFUSED:
      return new OpenWireRefusal(SECURITY, e.text);
    case ReplyCode.NOT_FOUND:
      return new OpenWireRefusal(INVALID_DESTINATION, e.text);
    default:
      return new OpenWireRefusal(JMS_EXCEPTION, e.text);
  }
}
