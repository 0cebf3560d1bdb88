type OptionType = "string" | "boolean";

function optionsOf<const T extends OptionType, const K extends string>(
  type: T,
  names: readonly K[],
): { [P in K]: { type: T } } {
  return Object.fromEntries(names.map((name) => [name, { type }])) as { [P in K]: { type: T } };
}

/** node:util parseArgs options taking a value, one per name (spread into its `options`). */
export function stringOptions<const K extends string>(...names: K[]) {
  return optionsOf("string", names);
}

/** node:util parseArgs flags, one per name (spread into its `options`). */
export function booleanOptions<const K extends string>(...names: K[]) {
  return optionsOf("boolean", names);
}
