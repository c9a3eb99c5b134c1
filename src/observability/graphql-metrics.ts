import { selectedOperation } from "../graphql/operation.js";
import { graphqlDuration, graphqlRequests, operationLabel } from "./metrics.js";

/** Counts and times every GraphQL operation by name and outcome (ok, error, or denied for a permission refusal). */
export const GraphQLMetricsPlugin: GraphileConfig.Plugin = {
  name: "AuthDbGraphQLMetricsPlugin",
  version: "1.0.0",
  grafast: {
    middleware: {
      async execute(next, event) {
        const stop = process.hrtime.bigint();
        const result = await next();
        const errors = "errors" in result ? (result.errors ?? []) : [];
        const outcome =
          errors.length === 0
            ? "ok"
            : errors.some((error) => (error.originalError as { code?: unknown } | undefined)?.code === "42501")
              ? "denied"
              : "error";
        const { document, operationName } = event.args;
        const labels = { operation: operationLabel(selectedOperation(document, operationName)?.name?.value), outcome };
        graphqlRequests.inc(labels);
        graphqlDuration.observe(labels, Number(process.hrtime.bigint() - stop) / 1e9);
        return result;
      },
    },
  },
};
