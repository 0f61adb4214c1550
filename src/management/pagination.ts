/**
 * RabbitMQ's paginated listings (vhosts, queues, exchanges, connections, channels):
 * `?page=2&page_size=50&name=orders&use_regex=true` answers one page of the sorted, name-filtered
 * rows, wrapped in `{filtered_count, item_count, items, page, page_count, page_size, total_count}`
 * with the columns picked from each item. Without `page` the listing is the plain array it always
 * was (listing.ts sorts it and picks its columns).
 *
 * The parameters are checked here, in the handler after authentication, not by the route's
 * schema: RabbitMQ answers 401 to a caller without credentials whatever the query says.
 */
import { compilePattern, PatternError } from "../core/patterns.js";
import { ApiError, badRequest } from "./errors.js";
import { alreadyShaped, type ListingQuery, pickColumns, sortRows } from "./listing.js";
import type { Schema } from "./schemas.js";

/** The query parameters of a paginated listing. */
export interface PageQuery {
  page?: string;
  page_size?: string;
  name?: string;
  use_regex?: string;
}

/** Declared as texts: what they must be is checked by `paginate`, after authentication. */
export const PAGE_QUERY: Record<keyof PageQuery, Schema> = {
  page: { type: "string", description: "a page number from 1, checked by paginate()" },
  page_size: { type: "string", description: "1 to 500 rows, checked by paginate()" },
  name: { type: "string", description: "a part of the names shown (any case), or a regular expression" },
  use_regex: { type: "string", description: '"true": name is a regular expression' },
};

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

/** RabbitMQ's refusal of a page number or size that is not an integer, or a name that is not a regex. */
const invalid = (): ApiError => badRequest("Pagination parameters are invalid");

/** An integer as Erlang's list_to_integer reads it: digits, with an optional sign. */
function integer(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[+-]?[0-9]+$/.test(text)) throw invalid();
  return Number(text);
}

/** The rows, or the page of them the query asks for. */
export function paginate(rows: unknown[], q: ListingQuery & PageQuery): unknown {
  const page = integer(q.page);
  const size = integer(q.page_size);
  if (page === undefined) return rows;
  const name = q.name ?? "";
  const regex = name !== "" && q.use_regex === "true" ? compilePattern(`(?i)${name}`) : null;
  if (regex instanceof PatternError) throw invalid();
  if (page < 1 || (size !== undefined && (size < 1 || size > MAX_PAGE_SIZE))) {
    throw new ApiError(
      400,
      "invalid_pagination_parameters",
      `Invalid pagination parameters: page number ${page}, page size ${size ?? "undefined"}`,
    );
  }
  const pageSize = size ?? DEFAULT_PAGE_SIZE;
  const sorted = q.sort ? sortRows(rows, q.sort, q.sort_reverse === "true") : rows;
  const nameOf = (row: unknown) => String((row as { name?: unknown } | null)?.name ?? "");
  const filtered =
    name === ""
      ? sorted
      : sorted.filter(regex !== null ? (r) => regex.test(nameOf(r)) : (r) => nameOf(r).toLowerCase().includes(name.toLowerCase()));
  const pageCount = Math.ceil(filtered.length / pageSize);
  // RabbitMQ's lists:sublist fails only when the page starts past one after the last row: the page
  // just after the last is an empty one, the one after that an error
  if ((page - 1) * pageSize > filtered.length) {
    throw new ApiError(400, "page_out_of_range", `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`);
  }
  const slice = filtered.slice((page - 1) * pageSize, page * pageSize);
  const items = q.columns ? (pickColumns(slice, q.columns) as unknown[]) : slice;
  const answer = {
    filtered_count: filtered.length,
    item_count: items.length,
    items,
    page,
    page_count: pageCount,
    page_size: pageSize,
    total_count: rows.length,
  };
  // sorted and with its columns already: the listing hook leaves it as it is
  return alreadyShaped(answer);
}
