// graphql-js as the conformance oracle for Patronus.GraphQL (run by GraphqlJs/ConformanceTests.cs, once per class).
// Input (argv[2], JSON): { introspection: <data of the introspection query>, documents: [{ name, text }] }
// Output (stdout, JSON): schema validation errors, printSchema of buildClientSchema (as is and
// lexicographically sorted), and graphql-js's verdict for every document.
import { readFileSync } from 'node:fs';
import {
  buildClientSchema, validateSchema, printSchema, lexicographicSortSchema, parse, validate, getIntrospectionQuery,
} from 'graphql';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const schema = buildClientSchema(input.introspection);
const schemaErrors = validateSchema(schema).map((e) => e.message);
const verdicts = {};
for (const { name, text } of input.documents) {
  try {
    const errors = validate(schema, parse(text));
    verdicts[name] = { syntaxError: null, errors: errors.map((e) => e.message) };
  } catch (e) {
    verdicts[name] = { syntaxError: e.message, errors: [] };
  }
}
process.stdout.write(JSON.stringify({
  introspectionQuery: getIntrospectionQuery({ specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true, schemaDescription: true }),
  schemaErrors,
  printed: printSchema(schema),
  printedSorted: printSchema(lexicographicSortSchema(schema)),
  verdicts,
}));
