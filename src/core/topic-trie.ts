/**
 * Matches AMQP topic routing keys against binding patterns (`*` = one word, `#` = zero or more).
 * One trie for every binding of an exchange, with a bounded cache of recent routing keys
 * cleared on every bind/unbind (nats-server's Sublist does the same).
 */

class TrieNode<T> {
  readonly children = new Map<string, TrieNode<T>>();
  star: TrieNode<T> | null = null;
  hash: TrieNode<T> | null = null;
  readonly values = new Set<T>();

  isEmpty(): boolean {
    return this.values.size === 0 && this.children.size === 0 && this.star === null && this.hash === null;
  }
}

const CACHE_LIMIT = 4096;

/** `#.#` matches exactly what `#` matches; collapsing runs keeps matching polynomial. */
function words(pattern: string): string[] {
  const out: string[] = [];
  for (const w of split(pattern)) if (!(w === "#" && out[out.length - 1] === "#")) out.push(w);
  return out;
}

/** As RabbitMQ's split_topic_key: the empty key has zero words (so `*` does not match it), "a." has two. */
const split = (key: string): string[] => (key === "" ? [] : key.split("."));

/** The pattern as the trie stores it: bindings whose patterns normalise alike share one entry. */
export const normalizePattern = (pattern: string): string => words(pattern).join(".");

export class TopicTrie<T> {
  private readonly root = new TrieNode<T>();
  private cache = new Map<string, T[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(pattern: string, value: T): void {
    let node = this.root;
    for (const word of words(pattern)) {
      if (word === "*") node = node.star ??= new TrieNode<T>();
      else if (word === "#") node = node.hash ??= new TrieNode<T>();
      else {
        let next = node.children.get(word);
        if (!next) node.children.set(word, (next = new TrieNode<T>()));
        node = next;
      }
    }
    if (!node.values.has(value)) {
      node.values.add(value);
      this.count++;
    }
    this.cache.clear();
  }

  remove(pattern: string, value: T): void {
    const path: [TrieNode<T>, string][] = [];
    let node: TrieNode<T> | null | undefined = this.root;
    for (const word of words(pattern)) {
      path.push([node, word]);
      node = word === "*" ? node.star : word === "#" ? node.hash : node.children.get(word);
      if (!node) return;
    }
    if (!node.values.delete(value)) return;
    this.count--;
    this.cache.clear();
    // prune empty branches so unbinding leaves no memory behind
    for (let i = path.length - 1; i >= 0 && node.isEmpty(); i--) {
      const [parent, word] = path[i]!;
      if (word === "*") parent.star = null;
      else if (word === "#") parent.hash = null;
      else parent.children.delete(word);
      node = parent;
    }
  }

  /** The values whose pattern matches `routingKey`, each once. The array is shared: don't mutate it. */
  match(routingKey: string): T[] {
    const hit = this.cache.get(routingKey);
    if (hit) return hit;
    const found = new Set<T>();
    this.walk(this.root, split(routingKey), 0, found);
    const out = [...found];
    if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
    this.cache.set(routingKey, out);
    return out;
  }

  private walk(node: TrieNode<T>, words: string[], i: number, found: Set<T>): void {
    if (node.hash) {
      // `#` swallows zero or more words: try every split point
      for (let j = i; j <= words.length; j++) this.walk(node.hash, words, j, found);
    }
    if (i === words.length) {
      for (const v of node.values) found.add(v);
      return;
    }
    const word = words[i]!;
    const child = node.children.get(word);
    if (child) this.walk(child, words, i + 1, found);
    if (node.star) this.walk(node.star, words, i + 1, found);
  }
}
