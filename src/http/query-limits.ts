import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import type { SafeError } from "postgraphile/grafast";
import { BREAK, getNamedType, visit, type ASTNode, type DocumentNode, type GraphQLSchema } from "postgraphile/graphql";
import { documentFacts, type DocumentFacts } from "../graphql/document-facts.js";
import { refusal } from "./refusal.js";

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  /** Most fields once fragments are expanded: GraphQL validation (overlapping fields) is quadratic in them. */
  maxFields: number;
}

/** A connection (list) field without first/last is assumed to return this many rows. */
const UNBOUNDED_LIST_SIZE = 100;

/** Cost of a field: its children times how many rows it may return (first/last, or a default for connections). */
const listSizeEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const isConnection = getNamedType(field.type).name.endsWith("Connection");
  const requested = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : undefined;
  if (!isConnection && requested === undefined) return undefined;
  return 1 + (requested ?? UNBOUNDED_LIST_SIZE) * Math.max(childComplexity, 1);
};

function containsVariable(node: ASTNode): boolean {
  let found = false;
  visit(node, {
    Variable() {
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** Whether a variable sets a list size (first/last) or a @skip/@include condition: the inputs of the cost. */
function costUsesVariables(document: DocumentNode): boolean {
  let uses = false;
  visit(document, {
    Argument(node) {
      if (node.name.value === "first" || node.name.value === "last") uses ||= containsVariable(node);
    },
    Directive(node) {
      uses ||= containsVariable(node);
    },
  });
  return uses;
}

/** The cost of a document's operations, per schema, when its variables cannot change it. */
interface CostMemo {
  usesVariables: boolean;
  schema?: GraphQLSchema;
  byOperation: Map<string | undefined, number>;
}

const costMemos = new WeakMap<DocumentNode, CostMemo>();

function costOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
  return getComplexity({
    schema,
    query: document,
    variables,
    operationName,
    estimators: [listSizeEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
}

/**
 * The cost of an operation; computed once per schema and operation when
 * variables cannot change it (with the first request's variables, which must
 * be valid: getComplexity throws on variables it cannot coerce).
 */
function costFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): number {
  let memo = costMemos.get(document);
  if (!memo) {
    memo = { usesVariables: costUsesVariables(document), byOperation: new Map() };
    costMemos.set(document, memo);
  }
  if (memo.usesVariables) return costOf(schema, document, operationName, variables);
  if (memo.schema !== schema) {
    memo.schema = schema;
    memo.byOperation.clear();
  }
  let cost = memo.byOperation.get(operationName);
  if (cost === undefined) {
    cost = costOf(schema, document, operationName, variables);
    memo.byOperation.set(operationName, cost);
  }
  return cost;
}

/** The refusal a document's size earns, before its cost (which needs the schema) is known. */
function sizeRefusal(facts: DocumentFacts, limits: QueryLimits): SafeError | undefined {
  const { depth, aliases, fields } = facts.size;
  if (depth > limits.maxDepth) {
    return refusal(400, "QUERY_TOO_DEEP", `query depth ${depth} exceeds the limit of ${limits.maxDepth} (GRAPHQL_MAX_DEPTH)`);
  }
  if (aliases > limits.maxAliases) {
    return refusal(400, "TOO_MANY_ALIASES", `query has ${aliases} aliased fields, more than the limit of ${limits.maxAliases} (GRAPHQL_MAX_ALIASES)`);
  }
  // The cost estimator walks a fragment again at each of its uses, so a
  // document that expands to more fields than the cost limit (nearly every
  // field costs at least 1) is refused before the estimator runs.
  if (fields > limits.maxCost) {
    return refusal(400, "QUERY_TOO_COSTLY", `query has ${fields} fields once its fragments are expanded, more than the cost limit of ${limits.maxCost} (GRAPHQL_MAX_COST)`);
  }
  // GraphQL validation compares fields pairwise (OverlappingFieldsCanBeMerged):
  // a document of a few thousand identical fields would hold the event loop
  // for a second. This hook runs before grafserv validates the document.
  if (fields > limits.maxFields) {
    return refusal(400, "TOO_MANY_FIELDS", `query has ${fields} fields once its fragments are expanded, more than the limit of ${limits.maxFields} (GRAPHQL_MAX_FIELDS)`);
  }
  return undefined;
}

/**
 * Refuses, before any SQL runs, GraphQL operations nested deeper than
 * maxDepth (400 QUERY_TOO_DEEP), with more than maxAliases aliased fields
 * (400 TOO_MANY_ALIASES), more than maxFields fields (400 TOO_MANY_FIELDS)
 * or costlier than maxCost (400 QUERY_TOO_COSTLY); all but the cost before
 * GraphQL validation runs.
 *
 * It runs where grafserv has decoded the request, whatever its transport
 * (a JSON body with any charset, an application/graphql body, a query
 * string), so every request shape grafserv accepts passes the same limits.
 */
export function queryLimitsPlugin(getSchema: () => PromiseLike<GraphQLSchema> | GraphQLSchema, limits: QueryLimits): GraphileConfig.Plugin {
  return {
    name: "AuthDbQueryLimitsPlugin",
    version: "1.0.0",
    grafserv: {
      middleware: {
        async processGraphQLRequestBody(next, event) {
          const { query, operationName, variableValues } = event.body;
          // A query that is not a string, or does not parse, is grafserv's to refuse.
          const facts = typeof query === "string" ? documentFacts(query) : undefined;
          const document = facts?.document;
          if (!facts || !document) return next();
          const refused = sizeRefusal(facts, limits);
          if (refused) throw refused;
          let cost: number;
          try {
            const variables = typeof variableValues === "object" && variableValues !== null ? (variableValues as Record<string, unknown>) : {};
            cost = costFor(await getSchema(), document, typeof operationName === "string" ? operationName : undefined, variables);
          } catch {
            // Invalid operations (unknown fields, bad variables) are PostGraphile's to report.
            return next();
          }
          if (cost > limits.maxCost) {
            throw refusal(400, "QUERY_TOO_COSTLY", `query cost ${cost} exceeds the limit of ${limits.maxCost} (GRAPHQL_MAX_COST)`);
          }
          return next();
        },
      },
    },
  };
}
