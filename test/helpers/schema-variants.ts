/** Variants of a version's feature schemas: x-hotswap-tensor or x-hotswap-outputs patched, some keys dropped. */
export function schemaVariants(inputSchema: Record<string, any>, outputSchema: Record<string, any>) {
  return {
    tensor: (patch: object) => ({ ...inputSchema, 'x-hotswap-tensor': { ...inputSchema['x-hotswap-tensor'], ...patch } }),
    outputs: (patch: object, drop: string[] = []) => {
      const ext = { ...outputSchema['x-hotswap-outputs'], ...patch };
      for (const k of drop) delete ext[k];
      return { ...outputSchema, 'x-hotswap-outputs': ext };
    },
  };
}
