/**
 * @daprkit/mqtt-common/testing — test support for MQTT components: reach the shared broker
 * (`bash scripts/services.sh up mosquitto`), and gate suites on it: skipped visibly without it locally, failing
 * with `CI=true`, where a skip would hide a gap. Registers vitest suites, so it needs `vitest` (optional peer).
 */
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, it } from 'vitest';

/** The shared test broker; override with `DAPRKIT_MQTT_URL`. */
export const MQTT_URL = process.env.DAPRKIT_MQTT_URL ?? 'tcp://127.0.0.1:1883';

const HINT = 'run bash scripts/services.sh up mosquitto';

/** A plain MQTT.js client on the test broker (clean session, random id unless given). */
export async function rawMqtt(options: { clientId?: string; clean?: boolean } = {}): Promise<MqttClient> {
  const url = new URL(MQTT_URL.replace(/^tcp:/, 'mqtt:'));
  const client = mqtt.connect({
    host: url.hostname,
    port: Number(url.port || 1883),
    protocol: 'mqtt',
    protocolVersion: 4,
    clientId: options.clientId ?? `daprkit-test-${randomUUID()}`,
    clean: options.clean ?? true,
    connectTimeout: 2000,
    reconnectPeriod: 0,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => reject(err));
    client.once('close', () => reject(new Error(`no CONNACK from ${MQTT_URL}`)));
  });
  return client;
}

/** `undefined` when the broker accepts a connection, otherwise why not. */
export async function mqttUnreachable(): Promise<string | undefined> {
  try {
    const client = await rawMqtt();
    await client.endAsync();
    return undefined;
  } catch (err) {
    return `MQTT broker unreachable at ${MQTT_URL}: ${(err instanceof Error && err.message) || String(err)}`;
  }
}

/** Throws when the broker is unreachable (for conformance `backend.probe`). */
export async function probeMqtt(): Promise<void> {
  const missing = await mqttUnreachable();
  if (missing !== undefined) throw new Error(missing);
}

/** Gates a suite on `missing` (undefined = run it). */
export function describeIfAvailable(missing: string | undefined, name: string, body: () => void, hint = HINT): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has its backend', () => {
        throw new Error(`${missing}; CI must provide it`);
      });
    });
  } else {
    describe.skip(`${name} [skipped: ${missing}; ${hint}]`, body);
  }
}

export type DescribeWithMqtt = (name: string, body: () => void) => void;

/** Probes once; use at the top of a test-support module: `export const describeWithMqtt = await createDescribeWithMqtt();`. */
export async function createDescribeWithMqtt(): Promise<DescribeWithMqtt> {
  const missing = await mqttUnreachable();
  return (name, body) => describeIfAvailable(missing, name, body);
}

/** A topic unique to this run. */
export const uniqueTopic = (label = 'topic') => `daprkit-test/${label}/${randomUUID()}`;
