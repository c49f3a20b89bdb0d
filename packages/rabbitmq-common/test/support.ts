export { silentLogger as silentLoggerForTests } from '@daprkit/component-sdk';
export { AmqpSession, connectAmqp } from '../src/index.js';
