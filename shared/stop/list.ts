import type { DescribeParams, EcsApi, Invocation } from '../ecs/client.js';
import { EcsError } from '../ecs/errors.js';
import { withRetry, type RetryPolicy } from '../ecs/retry.js';

/** More pages than this of one status means the filter is too broad to list. */
const MAX_PAGES = 100;

/**
 * Every invocation ECS lists under any of `statuses` (paged with NextToken, each once, in
 * listing order); an `undefined` status lists every status. The filter goes to ECS;
 * callers still check what they rely on.
 */
export async function listInvocations(
  ecs: EcsApi,
  filter: Omit<DescribeParams, 'invokeStatus' | 'nextToken' | 'maxResults'>,
  statuses: ReadonlyArray<string | undefined>,
  retry: RetryPolicy,
  count: () => void,
  tooMany = 'DescribeInvocations returned more than 100 pages',
): Promise<Invocation[]> {
  const out = new Map<string, Invocation>();
  for (const invokeStatus of statuses) {
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const { value: page } = await withRetry(retry, () => {
        count();
        return ecs.describeInvocations({ ...filter, invokeStatus, nextToken, maxResults: 50 });
      });
      for (const inv of page.invocations) if (!out.has(inv.invokeId)) out.set(inv.invokeId, inv);
      nextToken = page.nextToken;
      if (nextToken && ++pages >= MAX_PAGES) throw new EcsError('TooManyPages', tooMany, false);
    } while (nextToken);
  }
  return [...out.values()];
}
