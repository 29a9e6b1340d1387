import { Writable } from 'node:stream';
import { withCorrelationId } from '../../../src/common/logging/correlation';
import { createRootLogger, PinoNestLogger } from '../../../src/common/logging/logger';

function capturingLogger(): { lines: Record<string, unknown>[]; logger: PinoNestLogger } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: new PinoNestLogger(createRootLogger({ level: 'debug', format: 'json' }, stream)) };
}

describe('logging', () => {
  it('writes structured fields, the message and the Nest context', () => {
    const { lines, logger } = capturingLogger();
    logger.log({ count: 3 }, 'batch published', 'Relay');
    expect(lines[0]).toMatchObject({ level: 30, msg: 'batch published', count: 3, context: 'Relay' });
  });

  it('adds the correlation id of the unit of work to every line inside it, and only there', () => {
    const { lines, logger } = capturingLogger();
    withCorrelationId('delivery-42', () => {
      logger.warn('inside', 'Webhook');
    });
    logger.warn('outside', 'Webhook');
    expect(lines[0]).toMatchObject({ msg: 'inside', correlationId: 'delivery-42' });
    expect(lines[1]).not.toHaveProperty('correlationId');
  });

  it('never writes secrets or API keys', () => {
    const { lines, logger } = capturingLogger();
    logger.log(
      { apiKey: 'tango-key', webhook: { secret: 'shh' }, headers: { 'x-api-key': 'k2' } },
      'config',
      'Boot',
    );
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('tango-key');
    expect(text).not.toContain('shh');
    expect(text).not.toContain('k2');
    expect(text).toContain('[redacted]');
  });

  it("keeps Nest's error(message, stack, context) form", () => {
    const { lines, logger } = capturingLogger();
    logger.error('boom', 'Error: boom\n    at x', 'ExceptionHandler');
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: 'boom',
      stack: 'Error: boom\n    at x',
      context: 'ExceptionHandler',
    });
  });

  it('serialises an Error passed as the message', () => {
    const { lines, logger } = capturingLogger();
    logger.error(new Error('kaput'), 'Worker');
    expect(lines[0]).toMatchObject({ msg: 'kaput', err: { message: 'kaput', type: 'Error' } });
  });
});
