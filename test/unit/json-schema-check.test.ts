import { checkObjectSchema } from '../../domain/models/json-schema-check';

it.each([
  ['an object schema with extension keywords', { type: 'object', properties: { a: { type: 'number' } }, 'x-hotswap-tensor': { name: 'x' } }, []],
  ['an array', [], ['must be a JSON Schema object']],
  ['null', null, ['must be a JSON Schema object']],
  ['an unknown type', { type: 'object', properties: { a: { type: 'nope' } } }, ['is not a valid JSON Schema']],
  ['a bad keyword value', { type: 'object', required: 'a' }, ['is not a valid JSON Schema']],
  ['an unresolvable $ref', { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } }, ['is not a valid JSON Schema']],
  ['a non-object root', { type: 'string' }, ['must describe an object']],
])('%s', (_label, schema, expected) => {
  const details = checkObjectSchema(schema, 'inputSchema');
  expect(details.map((d) => d.field)).toEqual(expected.map(() => 'inputSchema'));
  expected.forEach((msg, i) => expect(details[i].message).toContain(msg));
});
