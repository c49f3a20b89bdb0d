/** contrib's entity naming and the queue policy statement, byte-compatible so replicas share entities. */

export const MAX_AWS_NAME_LENGTH = 80;
const FIFO_SUFFIX = '.fifo';

/**
 * Keeps `[A-Za-z0-9_-]`, at most 80 characters; with `fifo`, `.fifo` is (re)attached within the 80. Distinct
 * names can collide (`a.b` and `ab` are both `ab`), as upstream.
 */
export function sanitizeName(name: string, fifo: boolean): string {
  let base = name;
  const hadSuffix = fifo && base.endsWith(FIFO_SUFFIX);
  if (hadSuffix) base = base.slice(0, -FIFO_SUFFIX.length);
  let out = '';
  for (const ch of base) {
    if (/^[A-Za-z0-9_-]$/.test(ch)) {
      out += ch;
      if (out.length === MAX_AWS_NAME_LENGTH) break;
    }
  }
  if (hadSuffix || fifo) {
    const delta = out.length + FIFO_SUFFIX.length - MAX_AWS_NAME_LENGTH;
    if (delta > 0) out = out.slice(0, out.length - delta);
    return out + FIFO_SUFFIX;
  }
  return out;
}

/** The ARN partition of a region, as contrib derives it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
}

export function topicArn(partition: string, region: string, account: string, sanitizedTopic: string): string {
  return `arn:${partition}:sns:${region}:${account}:${sanitizedTopic}`;
}

/** The topic (sanitized name) a delivered SNS envelope came from: the last `:` segment of its TopicArn. */
export function topicOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: { ArnEquals?: { 'aws:SourceArn'?: unknown } };
}

interface Policy {
  Version?: string;
  Statement?: Statement[];
}

/**
 * The queue policy with a statement letting `topicArn` send to `queueArn` appended if missing (contrib's shape);
 * undefined when the policy already allows it.
 */
export function policyWithTopic(current: string | undefined, queueArn: string, topic: string): string | undefined {
  let policy: Policy;
  try {
    policy = current === undefined || current === '' ? {} : (JSON.parse(current) as Policy);
  } catch {
    policy = {};
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [];
  const present = statements.some(
    (s) => s.Condition?.ArnEquals?.['aws:SourceArn'] === topic && s.Resource === queueArn && s.Effect === 'Allow',
  );
  if (present) return undefined;
  statements.push({
    Effect: 'Allow',
    Principal: { Service: 'sns.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnEquals: { 'aws:SourceArn': topic } },
  });
  return JSON.stringify({ Version: '2012-10-17', ...policy, Statement: statements });
}
