import { type ArgumentsHost, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { AppError } from '../../../src/common/errors/app-error';
import { AllExceptionsFilter } from '../../../src/common/errors/all-exceptions.filter';

class FakeReply {
  statusCode = 0;
  headers: Record<string, string> = {};
  body: unknown;
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  header(name: string, value: string): this {
    this.headers[name] = value;
    return this;
  }
  send(body: unknown): this {
    this.body = body;
    return this;
  }
}

function hostFor(reply: FakeReply): ArgumentsHost {
  return { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
}

describe('AllExceptionsFilter', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const filter = new AllExceptionsFilter();

  it('maps an AppError code to its status with a JSON error code', () => {
    const reply = new FakeReply();
    filter.catch(new AppError('WEBHOOK.SIGNATURE_INVALID', 'bad signature'), hostFor(reply));
    expect(reply.statusCode).toBe(401);
    expect(reply.body).toEqual({ error: { code: 'WEBHOOK.SIGNATURE_INVALID', message: 'bad signature' } });
  });

  it('adds Retry-After for temporarily unavailable dependencies', () => {
    const reply = new FakeReply();
    filter.catch(new AppError('DATABASE.UNAVAILABLE', 'postgres is down'), hostFor(reply));
    expect(reply.statusCode).toBe(503);
    expect(reply.headers['Retry-After']).toBe('5');
  });

  it('passes Nest HTTP exceptions through with their own body (terminus reports health this way)', () => {
    const reply = new FakeReply();
    filter.catch(new ServiceUnavailableException({ status: 'error', details: {} }), hostFor(reply));
    expect(reply.statusCode).toBe(503);
    expect(reply.body).toEqual({ status: 'error', details: {} });
    const notFound = new FakeReply();
    filter.catch(new NotFoundException(), hostFor(notFound));
    expect(notFound.statusCode).toBe(404);
  });

  it('hides unknown errors behind a 500 with an error id', () => {
    const reply = new FakeReply();
    filter.catch(new Error('secret internals'), hostFor(reply));
    expect(reply.statusCode).toBe(500);
    expect(JSON.stringify(reply.body)).not.toContain('secret internals');
    expect(reply.body).toEqual({
      error: { code: 'INTERNAL', message: 'internal error', errorId: expect.any(String) },
    });
  });
});
