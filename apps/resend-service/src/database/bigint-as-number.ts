import type { ValueTransformer } from 'typeorm';

/** pg returns bigint as a string; keyIds, task ids and offsets all fit in a JS safe integer. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
