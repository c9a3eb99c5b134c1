import { Kind, type DocumentNode, type OperationDefinitionNode } from "postgraphile/graphql";

/** The operation a request executes: the one named by operationName, else the document's only one. */
export function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return operationName ? operations.find((operation) => operation.name?.value === operationName) : operations[0];
}
