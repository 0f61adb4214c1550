// Cron expressions as ActiveMQ 5.17's CronParser takes them: what it accepts, what it refuses
// (with its exception's text), and the next time, in UTC here (the broker evaluates local time).
import { describe, expect, it } from "vitest";
import { CronError, type CronSchedule, nextCronTime, parseCron } from "../../src/core/cron.js";

function cron(text: string): CronSchedule {
  const c = parseCron(text);
  if (c instanceof CronError) throw new Error(`refused: ${c.message}`);
  return c;
}
const at = (iso: string) => Date.parse(iso);
const next = (text: string, after: string) => {
  const t = nextCronTime(cron(text), at(after), true);
  return t === null ? null : new Date(t).toISOString();
};

describe("cron syntax (ActiveMQ's CronParser)", () => {
  it("takes *, ?, numbers, ranges, lists and steps, as in ActiveMQ's own tests", () => {
    for (const ok of [
      "30 08 10 06 ? ",
      "30 08 ? 06 5 ",
      "* * * * * ",
      "* * * * 1-6",
      "* * * * 1,2,5",
      "*/10 0-4,8-12 * * 1-2,3-6/2",
      "+5 * * * *",
    ]) {
      expect(parseCron(ok)).not.toBeInstanceOf(CronError);
    }
    expect([...cron("*/15 * * * *").minutes]).toEqual([0, 15, 30, 45, 60]);
    // a step keeps the values n divides, not every n-th from the range's start
    expect([...cron("10-40/15 * * * *").minutes]).toEqual([15, 30]);
    expect([...cron("* 0-4,8-12/4 * * *").hours]).toEqual([0, 4, 8, 12]);
    // ActiveMQ's bounds: minute 0-60, hour 0-24, day 1-32
    expect(parseCron("60 24 32 12 6")).not.toBeInstanceOf(CronError);
  });

  it("refuses what ActiveMQ refuses, with its exception's text", () => {
    const refused = (text: string) => {
      const c = parseCron(text);
      return c instanceof CronError ? [c.code, c.message] : null;
    };
    // texts observed from ActiveMQ 5.17.2 (its client checks a set property, its broker a send)
    expect(refused("* * *")).toEqual(["tokens", "Not a valid cron entry - wrong number of tokens(3): * * *"]);
    expect(refused("* * * * * *")).toEqual(["tokens", "Not a valid cron entry - wrong number of tokens(6): * * * * * *"]);
    expect(refused("")).toEqual(["tokens", "Not a valid cron entry - wrong number of tokens(0): "]);
    expect(refused("70 * * * *")).toEqual(["range", "Invalid token: Minutes:70"]);
    expect(refused("0-70 * * * *")).toEqual(["range", "Invalid token: Minutes:0-70"]);
    expect(refused("* 25 * * *")).toEqual(["range", "Invalid token: Hours:25"]);
    expect(refused("* * 0 * *")).toEqual(["range", "Invalid token: DayOfMonth:0"]);
    expect(refused("* * * 13 *")).toEqual(["range", "Invalid token: Month:13"]);
    expect(refused("* * * * 7")).toEqual(["range", "Invalid token: DayOfWeek:7"]);
    expect(refused("5-1 * * * *")).toEqual(["range", "Invalid token: Minutes:5-1"]);
    expect(refused("x * * * *")).toEqual(["number", 'For input string: "x"']);
    expect(refused("5 * * * MON")).toEqual(["number", 'For input string: "MON"']);
    expect(refused("-5 * * * *")).toEqual(["number", 'For input string: ""']);
    expect(refused("*/0 * * * *")).toEqual(["zero-step", "/ by zero"]);
  });
});

describe("the next cron time (UTC)", () => {
  it("* * * * * is the next minute boundary, strictly after", () => {
    expect(next("* * * * *", "2026-12-07T12:00:30.250Z")).toBe("2026-12-07T12:01:00.000Z");
    expect(next("* * * * *", "2026-12-07T12:00:00.000Z")).toBe("2026-12-07T12:01:00.000Z");
  });

  it("minutes and hours, rolling into the next hour and day", () => {
    expect(next("30 * * * *", "2026-12-07T12:31:00Z")).toBe("2026-12-07T13:30:00.000Z");
    expect(next("0 1 * * *", "1972-03-02T17:10:00Z")).toBe("1972-03-03T01:00:00.000Z");
    expect(next("*/15 9-10 * * *", "2026-12-07T10:50:00Z")).toBe("2026-12-08T09:00:00.000Z");
  });

  it("weekdays, as in ActiveMQ's CronParserTest", () => {
    // Monday 15 Nov 2010: the next Friday at midnight
    expect(next("* * * * 5", "2010-11-15T09:15:30Z")).toBe("2010-11-19T00:00:00.000Z");
    expect(next("50 20 * * 5", "2011-03-07T09:15:30Z")).toBe("2011-03-11T20:50:00.000Z");
    expect(next("50 20 * * 5", "2011-03-11T22:00:30Z")).toBe("2011-03-18T20:50:00.000Z");
    // Sundays in April and May only
    expect(next("0 20 * 4,5 0", "2011-03-07T09:15:30Z")).toBe("2011-04-03T20:00:00.000Z");
    expect(next("0 20 * 4,5 0", "2011-04-30T22:00:30Z")).toBe("2011-05-01T20:00:00.000Z");
    expect(next("0 20 * 4,5 0", "2011-05-30T22:00:30Z")).toBe("2012-04-01T20:00:00.000Z");
  });

  it("across month and year ends", () => {
    expect(next("* * * 12 *", "2010-11-15T09:15:30Z")).toBe("2010-12-01T00:00:00.000Z");
    expect(next("* * 1 * *", "2010-12-15T09:15:30Z")).toBe("2011-01-01T00:00:00.000Z");
    expect(next("* * 1 12 *", "2010-12-15T09:15:30Z")).toBe("2011-12-01T00:00:00.000Z");
    expect(next("59 23 31 12 *", "2026-12-31T23:59:00Z")).toBe("2027-12-31T23:59:00.000Z");
    expect(next("0 0 31 * *", "2027-01-31T00:00:00Z")).toBe("2027-03-31T00:00:00.000Z");
    // 29 February: the next leap year
    expect(next("0 12 29 2 *", "2026-12-07T00:00:00Z")).toBe("2028-02-29T12:00:00.000Z");
  });

  it("a day of month and a weekday must both match", () => {
    // Friday the 13th after 7 Dec 2026: August 2027
    expect(next("0 0 13 * 5", "2026-12-07T00:00:00Z")).toBe("2027-08-13T00:00:00.000Z");
  });

  it("none for an expression no calendar time matches", () => {
    expect(next("0 0 31 2 *", "2026-12-07T00:00:00Z")).toBeNull();
    expect(next("60 * * * *", "2026-12-07T00:00:00Z")).toBeNull();
  });
});
