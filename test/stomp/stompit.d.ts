// stompit ships no types; this covers only what the tests use.
declare module "stompit" {
  import type { EventEmitter } from "node:events";
  namespace stompit {
    interface Writable {
      write(chunk: string | Buffer): boolean;
      end(cb?: () => void): void;
    }
    class Client extends EventEmitter {
      send(headers: Record<string, string>): Writable;
      subscribe(headers: Record<string, string>, listener: (err: Error | null, message: Client.Message) => void): unknown;
      ack(message: Client.Message, headers?: Record<string, string>): void;
      nack(message: Client.Message, headers?: Record<string, string>): void;
      disconnect(cb?: (err?: Error) => void): void;
    }
    namespace Client {
      interface Message {
        headers: Record<string, string>;
        readString(encoding: string, cb: (err: Error | null, body?: string) => void): void;
      }
    }
    interface ConnectOptions {
      host: string;
      port: number;
      connectHeaders?: Record<string, string>;
    }
    function connect(options: ConnectOptions, cb: (err: Error | null, client: Client) => void): Client;
  }
  export default stompit;
}
