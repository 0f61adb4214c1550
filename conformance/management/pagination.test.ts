// Paginated listings as RabbitMQ 3.10 answers them, against the broker under test: ?page and
// ?page_size give one page of the sorted rows wrapped with its counts, ?name filters by a part of
// the name (any case) or, with use_regex=true, a regular expression (any case); the columns are
// picked from the items. Page numbers and sizes that are not integers, and regular expressions that
// do not compile, are refused after authentication with RabbitMQ's reasons.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, type ManagementBrokerUnderTest, unique, useManagementBroker } from "./target.js";

let broker: ManagementBrokerUnderTest;
const vhost = unique("pagination");
const e = encodeURIComponent;
const call = (method: string, path: string, body?: unknown) => apiCall(broker, method, path, body);
const queues = `/api/queues/${e(vhost)}`;
const page = (
  items: { name: string }[],
  extra: { filtered_count: number; page: number; page_count: number; page_size: number; total_count: number },
) => ({ status: 200, json: { ...extra, item_count: items.length, items } });
const INVALID = { status: 400, json: { error: "bad_request", reason: "Pagination parameters are invalid" } };
const outOfBounds = (page: number, size: string) => ({
  status: 400,
  json: { error: "invalid_pagination_parameters", reason: `Invalid pagination parameters: page number ${page}, page size ${size}` },
});

beforeAll(async () => {
  broker = await useManagementBroker();
  expect((await call("PUT", `/api/vhosts/${e(vhost)}`)).status).toBe(201);
  // RabbitMQ already gave the vhost's creator permissions (204), Warren does not (201)
  expect(
    (await call("PUT", `/api/permissions/${e(vhost)}/${e(broker.user)}`, { configure: ".*", write: ".*", read: ".*" })).status,
  ).toBeLessThan(300);
  for (const name of ["b", "xa", "a", "ab"]) expect((await call("PUT", `${queues}/${name}`, { durable: false })).status).toBe(201);
});
afterAll(async () => {
  if (broker === undefined) return;
  await call("DELETE", `/api/vhosts/${e(vhost)}`);
  await broker.close();
});

describe("paginated listings", () => {
  it("answer one page of the sorted rows with the counts, the columns picked from each item", async () => {
    expect(await call("GET", `${queues}?page=1&page_size=3&sort=name&columns=name`)).toEqual(
      page([{ name: "a" }, { name: "ab" }, { name: "b" }], { filtered_count: 4, page: 1, page_count: 2, page_size: 3, total_count: 4 }),
    );
    expect(await call("GET", `${queues}?page=2&page_size=3&sort=name&columns=name`)).toEqual(
      page([{ name: "xa" }], { filtered_count: 4, page: 2, page_count: 2, page_size: 3, total_count: 4 }),
    );
    expect(await call("GET", `${queues}?page=01&page_size=2&sort=name&sort_reverse=true&columns=name`)).toEqual(
      page([{ name: "xa" }, { name: "b" }], { filtered_count: 4, page: 1, page_count: 2, page_size: 2, total_count: 4 }),
    );
  });

  it("filter by a part of the name in any case, or by a regular expression with use_regex=true", async () => {
    expect(await call("GET", `${queues}?page=1&name=A&sort=name&columns=name`)).toEqual(
      page([{ name: "a" }, { name: "ab" }, { name: "xa" }], { filtered_count: 3, page: 1, page_count: 1, page_size: 100, total_count: 4 }),
    );
    expect(await call("GET", `${queues}?page=1&name=${e("^A")}&use_regex=true&sort=name&columns=name`)).toEqual(
      page([{ name: "a" }, { name: "ab" }], { filtered_count: 2, page: 1, page_count: 1, page_size: 100, total_count: 4 }),
    );
    // only "true" makes it a regular expression
    expect(await call("GET", `${queues}?page=1&name=${e("^a")}&use_regex=TRUE&columns=name`)).toEqual(
      page([], { filtered_count: 0, page: 1, page_count: 0, page_size: 100, total_count: 4 }),
    );
  });

  it("are the plain listing without a page number", async () => {
    expect(await call("GET", `${queues}?page_size=2&sort=name&columns=name`)).toEqual({
      status: 200,
      json: [{ name: "a" }, { name: "ab" }, { name: "b" }, { name: "xa" }],
    });
  });

  it("refuse page numbers and sizes that are not integers, and regular expressions that do not compile", async () => {
    for (const q of [
      "page=x",
      "page=1.5",
      "page=",
      "page=+1",
      "page_size=x",
      "page=1&page_size=two",
      `page=1&name=${e("(")}&use_regex=true`,
    ]) {
      expect(await call("GET", `${queues}?${q}`), q).toEqual(INVALID);
    }
  });

  it("refuse page numbers below 1 and sizes outside 1 to 500", async () => {
    expect(await call("GET", `${queues}?page=0`)).toEqual(outOfBounds(0, "undefined"));
    // a sign is part of an integer (a "+" not percent-encoded is a space, and refused above)
    expect((await call("GET", `${queues}?page=%2B1`)).status).toBe(200);
    expect(await call("GET", `${queues}?page=-1&page_size=5`)).toEqual(outOfBounds(-1, "5"));
    expect(await call("GET", `${queues}?page=1&page_size=0`)).toEqual(outOfBounds(1, "0"));
    expect(await call("GET", `${queues}?page=1&page_size=501`)).toEqual(outOfBounds(1, "501"));
    expect((await call("GET", `${queues}?page=1&page_size=500`)).status).toBe(200);
  });

  it("refuse a page that starts past the one just after the last (an empty page)", async () => {
    expect(await call("GET", `${queues}?page=3&page_size=2&columns=name`)).toEqual(
      page([], { filtered_count: 4, page: 3, page_count: 2, page_size: 2, total_count: 4 }),
    );
    expect(await call("GET", `${queues}?page=4&page_size=2`)).toEqual({
      status: 400,
      json: { error: "page_out_of_range", reason: "Page out of range, page: 4 page size: 2, len: 4" },
    });
    expect(await call("GET", `${queues}?page=2&name=nothing-like-it`)).toEqual({
      status: 400,
      json: { error: "page_out_of_range", reason: "Page out of range, page: 2 page size: 100, len: 0" },
    });
    expect((await call("GET", `${queues}?page=1&name=nothing-like-it`)).json).toMatchObject({
      items: [],
      page_count: 0,
      filtered_count: 0,
    });
  });

  it("check the credentials first", async () => {
    const res = await fetch(`${broker.url}${queues}?page=x`);
    expect(res.status).toBe(401);
  });

  it("are the vhost, exchange, connection and channel listings too", async () => {
    expect(await call("GET", `/api/vhosts?page=1&name=${e(vhost)}&columns=name`)).toEqual(
      page([{ name: vhost }], {
        filtered_count: 1,
        page: 1,
        page_count: 1,
        page_size: 100,
        total_count: expect.any(Number) as unknown as number,
      }),
    );
    expect(await call("GET", `/api/exchanges/${e(vhost)}?page=1&name=amq.topic&columns=name`)).toEqual(
      page([{ name: "amq.topic" }], {
        filtered_count: 1,
        page: 1,
        page_count: 1,
        page_size: 100,
        total_count: expect.any(Number) as unknown as number,
      }),
    );
    for (const path of ["/api/queues", "/api/exchanges", "/api/vhosts", "/api/connections", "/api/channels"]) {
      expect(await call("GET", `${path}?page=x`), path).toEqual(INVALID);
    }
  });
});
