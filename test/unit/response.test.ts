import { describe, expect, it } from 'vitest';
import { corsHeaders } from '../../generated/operations.ts';
import {
  BadRequestError,
  NotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
} from '../../handlers/runtime/errors.ts';
import { createLogger } from '../../handlers/runtime/logger.ts';
import { jsonResponse, toProblemResponse } from '../../handlers/runtime/response.ts';

const requestId = 'c0ffee00-1234-4abc-8def-000000000001';

function capturingLog() {
  const lines: string[] = [];
  return { lines, log: createLogger('debug', {}, (line) => lines.push(line)) };
}

describe('response', () => {
  describe('toProblemResponse', () => {
    it.each([
      [new NotFoundError('No task with this id.'), 404, 'Not Found'],
      [new PreconditionFailedError('The task has changed.'), 412, 'Precondition Failed'],
    ])(
      'when given an HttpError (%s), answers its status, title and detail as problem+json with CORS',
      (error, status, title) => {
        // Arrange
        const { log } = capturingLog();

        // Act
        const response = toProblemResponse(error, { requestId, instance: '/tasks/x', log });

        // Assert
        expect(response.statusCode).toBe(status);
        expect(response.headers).toMatchObject({ ...corsHeaders, 'Content-Type': 'application/problem+json' });
        expect(JSON.parse(response.body)).toEqual({
          type: 'about:blank',
          title,
          status,
          detail: error.detail,
          instance: '/tasks/x',
          requestId,
        });
      },
    );

    it('when given a BadRequestError with field errors, includes them', () => {
      // Arrange
      const { log } = capturingLog();
      const error = new BadRequestError('Bad', [{ path: '/body/title', message: 'is required' }]);

      // Act
      const response = toProblemResponse(error, { requestId, instance: '/tasks', log });

      // Assert
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).errors).toEqual([{ path: '/body/title', message: 'is required' }]);
    });

    it('when given a ServiceUnavailableError, answers 503 with its Retry-After header', () => {
      // Arrange
      const { log } = capturingLog();
      const error = new ServiceUnavailableError('The database is unavailable; retry shortly.', 5);

      // Act
      const response = toProblemResponse(error, { requestId, instance: '/health', log });

      // Assert
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'Retry-After': '5', 'Content-Type': 'application/problem+json' });
      expect(JSON.parse(response.body)).toMatchObject({ status: 503, title: 'Service Unavailable' });
    });

    it('when given an unknown error, answers 500 with the request id and none of its internals', () => {
      // Arrange
      const { log, lines } = capturingLog();
      const error = Object.assign(new Error('relation "users" does not exist'), {
        code: '42P01',
        query: 'SELECT secret_column FROM users',
      });

      // Act
      const response = toProblemResponse(error, { requestId, instance: '/users', log });

      // Assert
      expect(response.statusCode).toBe(500);
      expect(response.headers).toMatchObject({ ...corsHeaders, 'Content-Type': 'application/problem+json' });
      expect(JSON.parse(response.body)).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred; quote the requestId when reporting it.',
        instance: '/users',
        requestId,
      });
      for (const internal of ['does not exist', 'secret_column', 'SELECT', '42P01', 'response.test.ts']) {
        expect(response.body).not.toContain(internal);
      }
      expect(lines.some((line) => line.includes('relation \\"users\\" does not exist'))).toBe(true);
    });

    it('when a non-Error value is thrown, still answers 500 problem+json', () => {
      // Arrange
      const { log } = capturingLog();

      // Act
      const response = toProblemResponse('boom', { requestId, instance: '/tasks', log });

      // Assert
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toMatchObject({ status: 500, requestId });
      expect(response.body).not.toContain('boom');
    });
  });

  describe('jsonResponse', () => {
    it('when given a body, answers it as JSON with CORS and the extra headers', () => {
      // Arrange
      const body = { id: 'x' };

      // Act
      const response = jsonResponse(201, body, { ETag: '"1"', Location: '/tasks/x' });

      // Assert
      expect(response).toEqual({
        statusCode: 201,
        headers: { ...corsHeaders, 'Content-Type': 'application/json', ETag: '"1"', Location: '/tasks/x' },
        body: '{"id":"x"}',
      });
    });

    it('when there is no body (204), answers an empty body without a Content-Type', () => {
      // Arrange
      const body = undefined;

      // Act
      const response = jsonResponse(204, body);

      // Assert
      expect(response).toEqual({ statusCode: 204, headers: { ...corsHeaders }, body: '' });
    });
  });
});
