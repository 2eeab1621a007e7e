/**
 * What the server logs of each HTTP request: at debug level, its method, path and outcome, never
 * the client's address. Fastify's default logs two info lines per request with the address and
 * port; every WebSocket upgrade is a request, so that was a third more CPU per join, and a log of
 * who talked to whom. Errors are logged as Fastify does.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class QuietRequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    reply.log.debug({ statusCode: reply.statusCode, responseTime: reply.elapsedTime }, 'request completed');
  }
}
