import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from "postgraphile/graphql";

/**
 * How big an operation is once every fragment is expanded where it is used:
 * what the depth, alias and field limits look at, and a first bound on the cost.
 */
export interface Size {
  /** Deepest field nesting: the root fields are at depth 0, their children at 1, … */
  depth: number;
  /** Aliased fields (`a: field`), each use of a fragment counting again. */
  aliases: number;
  /** Fields, each use of a fragment counting again. */
  fields: number;
}

/** What auth-db's limits and policies need to know of a query text, whatever its variables. */
export interface DocumentFacts {
  /** null: the query does not parse, and is left for PostGraphile to answer. */
  document: DocumentNode | null;
  /** The largest of the document's operations, measure by measure. */
  size: Size;
  /** Whether the document selects `__schema` or `__type` anywhere (`__typename` is not introspection). */
  introspects: boolean;
}

const NOTHING: Size = { depth: 0, aliases: 0, fields: 0 };

/** A document nested so deeply that measuring it overflows the stack is, by any limit, too deep. */
const UNMEASURABLE: Size = { depth: Infinity, aliases: Infinity, fields: Infinity };

/**
 * Measures every operation of `document` in one pass over its text: each
 * fragment is measured once and its size reused wherever it is spread, so a
 * document that spreads fragments into fragments (a "fragment bomb") costs
 * time in proportion to its length, not to its expansion. Unknown and cyclic
 * fragments count as empty; GraphQL validation refuses such documents later.
 */
function sizeOf(document: DocumentNode): Size {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, Size>();
  const measuring = new Set<string>();

  const ofFragment = (name: string): Size => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || measuring.has(name)) return NOTHING;
    measuring.add(name);
    const size = ofSelections(fragment.selectionSet);
    measuring.delete(name);
    measured.set(name, size);
    return size;
  };

  const ofSelections = (selectionSet: SelectionSetNode): Size => {
    const total = { depth: 0, aliases: 0, fields: 0 };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const children = selection.selectionSet ? ofSelections(selection.selectionSet) : undefined;
        total.depth = Math.max(total.depth, children ? children.depth + 1 : 0);
        total.aliases += (selection.alias ? 1 : 0) + (children?.aliases ?? 0);
        total.fields += 1 + (children?.fields ?? 0);
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? ofSelections(selection.selectionSet) : ofFragment(selection.name.value);
        total.depth = Math.max(total.depth, inner.depth);
        total.aliases += inner.aliases;
        total.fields += inner.fields;
      }
    }
    return total;
  };

  const largest = { ...NOTHING };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const size = ofSelections(definition.selectionSet);
    largest.depth = Math.max(largest.depth, size.depth);
    largest.aliases = Math.max(largest.aliases, size.aliases);
    largest.fields = Math.max(largest.fields, size.fields);
  }
  return largest;
}

function selectsIntrospection(document: DocumentNode): boolean {
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) pending.push(definition.selectionSet);
  }
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD && (selection.name.value === "__schema" || selection.name.value === "__type")) return true;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return false;
}

function factsOf(query: string): DocumentFacts {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return { document: null, size: NOTHING, introspects: false };
  }
  let size: Size;
  try {
    size = sizeOf(document);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    size = UNMEASURABLE;
  }
  return { document, size, introspects: selectsIntrospection(document) };
}

const MAX_CACHED = 500;
const cache = new Map<string, DocumentFacts>();

/** Parses and measures a query text once (the last MAX_CACHED texts are remembered). */
export function documentFacts(query: string): DocumentFacts {
  let facts = cache.get(query);
  if (facts === undefined) {
    facts = factsOf(query);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(query, facts);
  }
  return facts;
}
