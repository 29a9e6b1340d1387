import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { classifyDatabaseError } from '../../../src/common/errors/database-errors';
import { answerFor } from '../../../src/common/errors/error-answer';

const pgError = (code: string, message = `sqlstate ${code}`): Error =>
  Object.assign(new Error(message), { code });

describe('what a database failure means', () => {
  it.each([
    ['40P01', 'DATABASE.CONFLICT'],
    ['40001', 'DATABASE.CONFLICT'],
    ['57014', 'DATABASE.TIMEOUT'],
    ['55P03', 'DATABASE.TIMEOUT'],
    ['08006', 'DATABASE.UNAVAILABLE'],
    ['57P01', 'DATABASE.UNAVAILABLE'],
    ['53300', 'DATABASE.UNAVAILABLE'],
  ])('SQLSTATE %s is %s', (code, expected) => {
    expect(classifyDatabaseError(pgError(code))).toBe(expected);
  });

  it('sees the SQLSTATE through TypeORM, and connection failures by their network code or message', () => {
    expect(classifyDatabaseError(new QueryFailedError('SELECT 1', [], pgError('40P01')))).toBe(
      'DATABASE.CONFLICT',
    );
    expect(
      classifyDatabaseError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe('DATABASE.UNAVAILABLE');
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(
      'DATABASE.UNAVAILABLE',
    );
  });

  it('does not call a bug an outage', () => {
    expect(classifyDatabaseError(pgError('42P01'))).toBeUndefined();
    expect(classifyDatabaseError(pgError('23505'))).toBeUndefined();
    expect(classifyDatabaseError(new TypeError('x is undefined'))).toBeUndefined();
  });
});

describe('the one error mapping', () => {
  const logger = new Logger('test');
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('answers each database failure with its own code and a Retry-After', () => {
    for (const [code, expected] of [
      ['57014', 'DATABASE.TIMEOUT'],
      ['40P01', 'DATABASE.CONFLICT'],
      ['08006', 'DATABASE.UNAVAILABLE'],
    ] as const) {
      const answer = answerFor(pgError(code), logger);
      expect([answer.status, answer.code, answer.headers['Retry-After'] !== undefined]).toEqual([
        503,
        expected,
        true,
      ]);
    }
  });

  it('answers anything unexpected with a 500 and an error id, logged with the cause', () => {
    const errors: unknown[] = [];
    const spy = { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const answer = answerFor(new TypeError('boom'), spy);
    expect(answer.status).toBe(500);
    const body = answer.body as { error: { code: string; errorId: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(errors)).toContain(body.error.errorId);
  });

  it('answers Fastify transport refusals by code', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(answerFor(tooLarge, logger)).toMatchObject({ status: 413, code: 'REQUEST.PAYLOAD_TOO_LARGE' });
  });
});
