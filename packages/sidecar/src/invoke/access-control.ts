/**
 * Configuration `spec.accessControl` (daprd pkg/acl/acl.go, pkg/config/acl_trie.go): allow or deny calls arriving
 * from other sidecars, checked on the callee side before the app sees them (internal CallLocal/CallLocalStream and
 * gRPC proxying to the local app).
 *
 * daprd takes the caller's identity from its mTLS certificate (a SPIFFE id from Sentry); without one it applies only
 * the global `defaultAction`. daprkit has no mTLS, so the same holds by default. `trustCallerId` (the sidecar's
 * `--access-control-trust-caller-id`) opts into matching app policies against the app id and namespace the calling
 * sidecar asserts in its metadata (`dapr-caller-app-id`, `dapr-caller-namespace`): unauthenticated, so only for
 * sidecars that reach each other on a trusted network (the internal port binds loopback by default).
 */
import type { Logger } from '@daprkit/component-sdk';
import { GRPC, type HeaderMap, type InvokeCall, InvokeError, type InvokeResult } from '../shared/invocation.js';
import { isObject } from '../shared/json-fields.js';

const WHERE = 'Configuration spec.accessControl';
const DEFAULT_TRUST_DOMAIN = 'public';

export class AccessControlConfigError extends Error {
  override name = 'AccessControlConfigError';
}

function fail(field: string, message: string): never {
  throw new AccessControlConfigError(`${WHERE}${field === '' ? '' : `.${field}`}: ${message}`);
}

/** What an operation rule decides: per HTTP verb (`*` = any), and for calls without a verb (gRPC apps). */
interface OperationAction {
  verbs: Map<string, string>;
  action: string;
}

interface TrieNode {
  /** One path segment with its leading `/`, e.g. `/orders`, `/*`, `/**`, `/ord*`. */
  segment: string;
  data: OperationAction | undefined;
  children: TrieNode[];
}

/** Segment globbing: `*` matches any run of characters, including none (acl_trie.go isMatch). */
function globMatch(target: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < target.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === target[t]) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The first child matching `segment`, in daprd's order of checks (exact, `/*` at the end, `/**`, glob). */
function findChild(children: readonly TrieNode[], segment: string, isEnd: boolean): TrieNode | undefined {
  for (const node of children) {
    if (node.segment === segment) return node;
    if (node.segment === '/*') {
      if (isEnd) return node;
      continue;
    }
    if (node.segment === '/**') return node;
    if (globMatch(segment, node.segment)) return node;
  }
  return undefined;
}

/** Operation names to rules, with daprd's `/*` (one segment) and `/**` (any depth) wildcards. */
export class OperationTrie {
  private readonly root: TrieNode = { segment: '/', data: undefined, children: [] };

  put(operation: string, data: OperationAction): void {
    const parts = operation.split('/');
    let node = this.root;
    for (let i = 1; i < parts.length; i++) {
      const segment = `/${parts[i]}`;
      const isLast = i === parts.length - 1;
      const existing = node.children.find((child) => child.segment === segment);
      if (existing === undefined) {
        const created: TrieNode = { segment, data: isLast ? data : undefined, children: [] };
        node.children.push(created);
        node = created;
      } else if (isLast) {
        // The first rule for an operation wins, as in daprd.
        existing.data ??= data;
      } else node = existing;
    }
  }

  search(operation: string): OperationAction | undefined {
    const parts = operation.split('/');
    let node: TrieNode | undefined = this.root;
    for (let i = 1; i < parts.length; i++) {
      const isEnd = i === parts.length - 1;
      node = findChild(node.children, `/${parts[i]}`, isEnd);
      if (node === undefined) return undefined;
      if (node.data !== undefined) {
        if (!isEnd && node.segment.endsWith('/*') && !node.segment.endsWith('/**')) continue;
        return node.data;
      }
      if (isEnd) {
        const wildcard = findChild(node.children, '/*', true);
        if (wildcard?.data !== undefined) return wildcard.data;
      }
    }
    return undefined;
  }
}

interface AppPolicy {
  appId: string;
  namespace: string;
  trustDomain: string;
  /** Empty: the global default applies when no operation matches. */
  defaultAction: string;
  operations: OperationTrie;
}

/** daprd's `runtime/acl/*` counters (SidecarMetrics): which policy decided, for which caller identity. */
export interface AccessControlMetrics {
  accessDecision(policy: 'app' | 'global', allowed: boolean, caller: CallerIdentity | undefined): void;
}

export interface AccessControlList {
  metrics?: AccessControlMetrics;
  defaultAction: string;
  trustDomain: string;
  /** Keyed `appId||namespace`, as daprd keys them. */
  policies: Map<string, AppPolicy>;
  /** Operations are matched ignoring case when the app speaks HTTP. */
  isHTTP: boolean;
  trustCallerId: boolean;
}

/** The caller as the callee sidecar knows it. */
export interface CallerIdentity {
  appId: string;
  namespace: string;
  trustDomain: string;
}

function text(object: Record<string, unknown>, name: string, where: string): string {
  const value = object[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(`${where}${name}`, `must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function action(object: Record<string, unknown>, name: string, where: string): string {
  const value = text(object, name, where).toLowerCase();
  if (value !== '' && value !== 'allow' && value !== 'deny')
    fail(`${where}${name}`, `must be "allow" or "deny", got ${JSON.stringify(object[name])}`);
  return value;
}

function list(object: Record<string, unknown>, name: string, where: string): unknown[] {
  const value = object[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${where}${name}`, 'must be a list');
  return value;
}

function parseOperations(raw: unknown[], where: string, isHTTP: boolean): OperationTrie {
  const trie = new OperationTrie();
  raw.forEach((entry, i) => {
    const at = `${where}operations[${i}].`;
    if (!isObject(entry)) fail(`${where}operations[${i}]`, 'must be an object');
    let name = text(entry, 'name', at);
    if (name === '') fail(`${at}name`, 'is required');
    if (!name.startsWith('/')) name = `/${name}`;
    if (isHTTP) name = name.toLowerCase();
    const decided = action(entry, 'action', at);
    const verbs = new Map<string, string>();
    list(entry, 'httpVerb', at).forEach((verb, j) => {
      if (typeof verb !== 'string' || verb === '') fail(`${at}httpVerb[${j}]`, 'must be a verb such as GET or "*"');
      verbs.set(verb, decided);
    });
    trie.put(name, { verbs, action: decided });
  });
  return trie;
}

/**
 * The parsed list, or undefined when the spec sets nothing (no checks at all). Errors name the field; daprd fails
 * start-up on the same mistakes (a policy without appId, namespace or trustDomain).
 */
export function parseAccessControl(
  spec: Record<string, unknown>,
  options: { isHTTP: boolean; trustCallerId: boolean },
): AccessControlList | undefined {
  const raw = spec.accessControl;
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) fail('', 'must be an object');
  const defaultAction = action(raw, 'defaultAction', '');
  const trustDomain = text(raw, 'trustDomain', '');
  const rawPolicies = list(raw, 'policies', '');
  if (defaultAction === '' && trustDomain === '' && rawPolicies.length === 0) return undefined;
  const policies = new Map<string, AppPolicy>();
  rawPolicies.forEach((entry, i) => {
    const where = `policies[${i}].`;
    if (!isObject(entry)) fail(`policies[${i}]`, 'must be an object');
    const appId = text(entry, 'appId', where);
    const namespace = text(entry, 'namespace', where);
    const policyTrustDomain = text(entry, 'trustDomain', where);
    if (appId === '') fail(`${where}appId`, 'is required');
    if (policyTrustDomain === '') fail(`${where}trustDomain`, `is required (app ${appId})`);
    if (namespace === '') fail(`${where}namespace`, `is required (app ${appId})`);
    policies.set(`${appId}||${namespace}`, {
      appId,
      namespace,
      trustDomain: policyTrustDomain,
      defaultAction: action(entry, 'defaultAction', where),
      operations: parseOperations(list(entry, 'operations', where), where, options.isHTTP),
    });
  });
  return {
    // No global default with app policies: deny, the safer choice (daprd logs a warning and does the same).
    defaultAction: defaultAction === '' ? (rawPolicies.length > 0 ? 'deny' : 'allow') : defaultAction,
    trustDomain: trustDomain === '' ? DEFAULT_TRUST_DOMAIN : trustDomain,
    policies,
    isHTTP: options.isHTTP,
    trustCallerId: options.trustCallerId,
  };
}

/** The caller's identity from call metadata, only when the list trusts it (else undefined: global default). */
export function callerIdentity(
  acl: AccessControlList,
  metadata: HeaderMap,
  ownNamespace: string,
): CallerIdentity | undefined {
  if (!acl.trustCallerId) return undefined;
  const appId = metadata['dapr-caller-app-id']?.[0];
  if (appId === undefined || appId === '') return undefined;
  const namespace = metadata['dapr-caller-namespace']?.[0];
  return { appId, namespace: namespace || ownNamespace, trustDomain: acl.trustDomain };
}

/** daprd's isOperationAllowedByAccessControlPolicy: `verb` is the upper-case HTTP verb, `NONE` or empty for gRPC. */
export function isAllowed(
  acl: AccessControlList,
  caller: CallerIdentity | undefined,
  operation: string,
  verb: string,
): boolean {
  return decide(acl, caller, operation, verb).allowed;
}

/** The decision and which policy made it (daprd's ActionPolicyGlobal / ActionPolicyApp, for the ACL metrics). */
function decide(
  acl: AccessControlList,
  caller: CallerIdentity | undefined,
  operation: string,
  verb: string,
): { allowed: boolean; by: 'app' | 'global' } {
  let decided = acl.defaultAction;
  const global = () => ({ allowed: decided === 'allow', by: 'global' as const });
  if (caller === undefined) return global();
  const policy = acl.policies.get(`${caller.appId}||${caller.namespace}`);
  if (policy === undefined || policy.trustDomain !== caller.trustDomain || policy.namespace !== caller.namespace)
    return global();
  let by: 'app' | 'global' = 'global';
  if (policy.defaultAction !== '') {
    decided = policy.defaultAction;
    by = 'app';
  }
  let op = operation.startsWith('/') ? operation : `/${operation}`;
  if (acl.isHTTP) op = op.toLowerCase();
  const rule = policy.operations.search(op);
  if (rule !== undefined) {
    if (!acl.isHTTP) decided = rule.action;
    else if (verb !== '' && verb !== 'NONE') decided = rule.verbs.get(verb) ?? rule.verbs.get('*') ?? decided;
    else decided = policy.defaultAction;
  }
  return { allowed: decided === 'allow', by };
}

/** daprd's PermissionDenied text (the id is the caller's SPIFFE URL, empty without one). */
export function deniedMessage(caller: CallerIdentity | undefined, operation: string, verb: string): string {
  const id = caller === undefined ? '' : `spiffe://${caller.trustDomain}/ns/${caller.namespace}/${caller.appId}`;
  return `access control policy has denied access to id: ${id} operation: ${operation} verb: ${verb || 'NONE'}`;
}

/**
 * `denied(acl, metadata, namespace, operation, verb)`: undefined when the call may go on, else daprd's
 * PermissionDenied text. `verb` only counts for HTTP apps (gRPC apps and gRPC proxying match on the operation).
 */
export function denial(
  acl: AccessControlList,
  metadata: HeaderMap,
  ownNamespace: string,
  operation: string,
  verb: string,
): string | undefined {
  const caller = callerIdentity(acl, metadata, ownNamespace);
  const effectiveVerb = acl.isHTTP ? verb : 'NONE';
  const { allowed, by } = decide(acl, caller, operation, effectiveVerb);
  acl.metrics?.accessDecision(by, allowed, caller);
  return allowed ? undefined : deniedMessage(caller, operation, effectiveVerb);
}

/** Wraps the callee's local invoker: calls from other sidecars pass the list first (PERMISSION_DENIED if not). */
export function guardLocalInvoker(
  acl: AccessControlList,
  ownNamespace: string,
  invokeLocal: (call: InvokeCall) => Promise<InvokeResult>,
): (call: InvokeCall) => Promise<InvokeResult> {
  return (call) => {
    const why = denial(acl, call.metadata, ownNamespace, call.method, call.verb);
    return why === undefined ? invokeLocal(call) : Promise.reject(new InvokeError(GRPC.PERMISSION_DENIED, why));
  };
}

/** Parses `spec.accessControl` once at start-up and says in the log what it will and will not enforce. */
export function loadAccessControl(
  spec: Record<string, unknown>,
  options: { isHTTP: boolean; trustCallerId: boolean; logger: Logger; metrics?: AccessControlMetrics | undefined },
): AccessControlList | undefined {
  const acl = parseAccessControl(spec, options);
  if (acl === undefined) return undefined;
  if (options.metrics !== undefined) acl.metrics = options.metrics;
  if (acl.policies.size > 0 && !acl.trustCallerId)
    options.logger.warn(
      `accessControl: app policies need the caller's mTLS identity, which daprkit-sidecar does not have: only defaultAction (${acl.defaultAction}) applies, as in daprd without mTLS (--access-control-trust-caller-id matches policies on the caller id other sidecars assert)`,
    );
  else if (acl.trustCallerId)
    options.logger.warn(
      'accessControl: app policies match the caller app id other sidecars assert (unauthenticated: keep the internal gRPC port on a trusted network)',
    );
  return acl;
}
