export type ListenerName = "amqp" | "mqtt" | "stomp" | "openwire" | "webMqtt" | "webStomp" | "management" | "prometheus";
export declare const DEFAULT_LISTENERS: Readonly<Record<ListenerName, string>>;
export declare function listenerArgs(open?: Partial<Record<ListenerName, string | number>>): string[];
