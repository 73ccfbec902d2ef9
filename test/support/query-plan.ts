import type pg from 'pg';

/** One node of `EXPLAIN (FORMAT JSON)`, reduced to what the plan tests look at. */
export interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of the plan PostgreSQL would run for `text` with `values` (not run: no ANALYZE). */
export async function planNodes(client: pg.Client, text: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>({ text: `EXPLAIN (FORMAT JSON) ${text}`, values });
  return nodesOf(rows[0]!['QUERY PLAN'][0].Plan);
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}
