/**
 * ActiveMQ's composite destinations, shared by the front-ends that offer them (OpenWire's
 * `queue://a,topic://b`, STOMP's `/queue/a,/topic/b`): members separated by commas, blank ones
 * skipped, each of the composite's own kind unless it names its kind with a prefix. A send goes to
 * every member; a consumer consumes only the members of the composite's own kind (observed on
 * ActiveMQ 5.17: a consumer on queue a,topic b gets only a's messages).
 */
export type DestinationKind = "queue" | "topic";

export interface CompositeMember {
  readonly kind: DestinationKind;
  readonly name: string;
}

export interface CompositeDestination {
  /** The kind the composite itself has (the consumer's). */
  readonly of: DestinationKind;
  readonly members: readonly CompositeMember[];
}

/** How a front-end writes a member's kind inside a composite name. */
export interface MemberPrefixes {
  readonly queue: string;
  readonly topic: string;
}

/** OpenWire's prefixes (and the ones ActiveMQ's composite physical names use). */
export const ACTIVEMQ_MEMBER_PREFIXES: MemberPrefixes = { queue: "queue://", topic: "topic://" };

/** The members of composite `name` (a comma in it) of kind `of`, each trimmed; null when it names none. */
export function parseCompositeDestination(of: DestinationKind, name: string, prefixes: MemberPrefixes): CompositeDestination | null {
  const members: CompositeMember[] = [];
  for (const part of name.split(",")) {
    const m = part.trim();
    let member: CompositeMember;
    if (m.startsWith(prefixes.queue)) member = { kind: "queue", name: m.slice(prefixes.queue.length) };
    else if (m.startsWith(prefixes.topic)) member = { kind: "topic", name: m.slice(prefixes.topic.length) };
    else member = { kind: of, name: m };
    if (member.name !== "") members.push(member);
  }
  return members.length === 0 ? null : { of, members };
}

/** The members a consumer on the composite consumes: those of its own kind. */
export function consumedMembers(c: CompositeDestination): CompositeMember[] {
  return c.members.filter((m) => m.kind === c.of);
}

/**
 * The composite's ActiveMQ physical name, as its copies' original destination names it: the first
 * member bare, the others with their kind (`a,queue://b,topic://c`), as ActiveMQ 5.17 writes the
 * composite a STOMP client sent to.
 */
export function compositePhysicalName(c: CompositeDestination): string {
  let s = c.members[0]!.name;
  for (let i = 1; i < c.members.length; i++) {
    const m = c.members[i]!;
    s += `,${ACTIVEMQ_MEMBER_PREFIXES[m.kind]}${m.name}`;
  }
  return s;
}
