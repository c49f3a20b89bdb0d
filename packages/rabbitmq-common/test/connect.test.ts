/** connectAmqp against the test broker: plain, TLS with the test CA, SASL EXTERNAL with a client certificate. */
import {
  createDescribeWithRabbitMQ,
  createDescribeWithRabbitMQTls,
  RABBITMQ_TLS_URL,
  RABBITMQ_URL,
  testTlsMaterial,
} from '@daprkit/rabbitmq-common/testing';
import { expect, it } from 'vitest';
import { AmqpSession, connectAmqp, silentLoggerForTests } from './support.js';

const describeWithRabbitMQ = await createDescribeWithRabbitMQ();
const describeWithTls = await createDescribeWithRabbitMQTls();

describeWithRabbitMQ('connectAmqp (plain)', () => {
  it('connects, names the connection, and refuses a wrong password without echoing it', async () => {
    const model = await connectAmqp({ url: RABBITMQ_URL, clientName: 'daprkit-connect-test', heartbeatSeconds: 5 });
    await model.close();
    const wrong = RABBITMQ_URL.replace(/:[^:@/]+@/, ':not-the-password@');
    const error = await connectAmqp({ url: wrong }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/refused/);
    expect((error as Error).message).not.toContain('not-the-password');
    const unreachable = await connectAmqp({ url: 'amqp://127.0.0.1:1', connectTimeoutMs: 1000 }).catch((e: Error) => e);
    expect((unreachable as Error).message).toMatch(/cannot connect to amqp:\/\/127\.0\.0\.1:1/);
  });

  it('AmqpSession fails fast at start and reports the field', async () => {
    const session = new AmqpSession({
      endpoint: { url: 'amqp://127.0.0.1:1', connectTimeoutMs: 500 },
      reconnectWaitMs: 100,
      logger: silentLoggerForTests,
      label: 'test',
    });
    await expect(session.start()).rejects.toThrow(/cannot connect/);
    await session.close();
  });
});

describeWithTls('connectAmqp over TLS', () => {
  it('amqps with the CA and PLAIN credentials; without the CA the certificate is refused', async () => {
    const { caCert } = testTlsMaterial();
    const model = await connectAmqp({ url: RABBITMQ_TLS_URL, tls: { ca: caCert } });
    await model.close();
    await expect(connectAmqp({ url: RABBITMQ_TLS_URL })).rejects.toThrow(/certificate/i);
  });

  it('SASL EXTERNAL: the client certificate authenticates (user = its CN), no password in the URI', async () => {
    const tls = testTlsMaterial();
    const url = new URL(RABBITMQ_TLS_URL);
    url.username = '';
    url.password = '';
    const model = await connectAmqp({
      url: url.toString(),
      tls: { ca: tls.caCert, cert: tls.clientCert, key: tls.clientKey },
      saslExternal: true,
    });
    const channel = await model.createChannel();
    await channel.checkExchange('amq.fanout');
    await model.close();
  });
});
