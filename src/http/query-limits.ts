import type { NextFunction, Request, Response } from "express";
import depthLimit from "graphql-depth-limit";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import { BREAK, getNamedType, parse, validate, visit, type ASTNode, type DocumentNode, type GraphQLSchema } from "postgraphile/graphql";
import { refuse } from "./refusal.js";

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
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

const MAX_CACHED = 500;

interface Parsed {
  /** null: the query does not parse, and is left for PostGraphile to answer. */
  document: DocumentNode | null;
  /** The depth check's verdict, per schema (it does not depend on variables). */
  tooDeep?: { schema: GraphQLSchema; message: string | null };
  /** Whether variables can change the cost (list sizes or @skip/@include given as variables). */
  costUsesVariables: boolean;
  /** The cost per operation name, per schema, when variables cannot change it. */
  costs?: { schema: GraphQLSchema; byOperation: Map<string | undefined, number> };
}

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

const parsed = new Map<string, Parsed>();

/** Parses a query once per query text. */
function parsedQuery(query: string): Parsed {
  let entry = parsed.get(query);
  if (entry === undefined) {
    let document: DocumentNode | null;
    try {
      document = parse(query);
    } catch {
      document = null;
    }
    entry = { document, costUsesVariables: document !== null && costUsesVariables(document) };
    if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
    parsed.set(query, entry);
  }
  return entry;
}

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
 * The cost of a query whose variables cannot change it, computed once per
 * schema and operation (with the first request's variables, which must be
 * valid: getComplexity throws on variables it cannot coerce).
 */
function cachedCost(entry: Parsed, schema: GraphQLSchema, operationName: string | undefined, variables: Record<string, unknown>): number {
  if (entry.costs?.schema !== schema) entry.costs = { schema, byOperation: new Map() };
  let cost = entry.costs.byOperation.get(operationName);
  if (cost === undefined) {
    cost = costOf(schema, entry.document!, operationName, variables);
    entry.costs.byOperation.set(operationName, cost);
  }
  return cost;
}

/**
 * Refuses, before any SQL runs, GraphQL operations nested deeper than
 * maxDepth (400 QUERY_TOO_DEEP) or costlier than maxCost (400
 * QUERY_TOO_COSTLY), whatever Accept header the client sent.
 */
export function queryLimits(getSchema: () => PromiseLike<GraphQLSchema> | GraphQLSchema, limits: QueryLimits) {
  const depthRule = depthLimit(limits.maxDepth);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    const entry = typeof body?.query === "string" ? parsedQuery(body.query) : undefined;
    const document = entry?.document;
    if (!entry || !document) return next();
    try {
      const schema = await getSchema();
      if (entry.tooDeep?.schema !== schema) {
        const errors = validate(schema, document, [depthRule]);
        entry.tooDeep = { schema, message: errors[0]?.message ?? null };
      }
      if (entry.tooDeep.message !== null) {
        return refuse(res, 400, "QUERY_TOO_DEEP", `${entry.tooDeep.message} (GRAPHQL_MAX_DEPTH)`);
      }
      const operationName = typeof body!.operationName === "string" ? body!.operationName : undefined;
      const variables = typeof body!.variables === "object" && body!.variables !== null ? (body!.variables as Record<string, unknown>) : {};
      const cost = entry.costUsesVariables
        ? costOf(schema, document, operationName, variables)
        : cachedCost(entry, schema, operationName, variables);
      if (cost > limits.maxCost) {
        return refuse(res, 400, "QUERY_TOO_COSTLY", `query cost ${cost} exceeds the limit of ${limits.maxCost} (GRAPHQL_MAX_COST)`);
      }
    } catch {
      // Invalid operations (unknown fields, bad variables) are PostGraphile's to report.
    }
    next();
  };
}
